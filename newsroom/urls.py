from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from annotations import api

# The catalogue changes only with a deploy: browsers revalidate it cheaply.
STARTED = timezone.now()

urlpatterns = [
    path("admin/", admin.site.urls),
    # French and English words for static/annotations/*.js, as `gettext()`
    # (a script file, not inline: the pages' CSP allows only 'self').
    path(
        "jsi18n/",
        login_not_required(
            last_modified(lambda request: STARTED)(
                JavaScriptCatalog.as_view(packages=["annotations"])
            )
        ),
        name="javascript_catalog",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # API v1
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as a file (?script), so
    # the page needs no inline script under the Content-Security-Policy.
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="annotations/api_docs.html"
        ),
        name="api-docs",
    ),
    path("api/v1/export/", api.ExportView.as_view(), name="api-export"),
    path("api/v1/agreement/", api.AgreementView.as_view(), name="api-agreement"),
    path("api/v1/", include(api.router.urls)),
    path("", include("annotations.urls")),
]

handler404 = api.not_found
handler500 = api.server_error
