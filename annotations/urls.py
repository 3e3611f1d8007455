from django.urls import path

from . import views

app_name = "annotations"

urlpatterns = [
    # Articles
    path("", views.article_list, name="article_list"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    # Spans of an article
    path("articles/<int:pk>/spans/", views.span_create, name="span_create"),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/",
        views.span_update,
        name="span_update",
    ),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/delete/",
        views.span_delete,
        name="span_delete",
    ),
    # API tokens
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    # Exports and dataset snapshots
    path("export/", views.export_page, name="export"),
    path("datasets/", views.dataset_list, name="dataset_list"),
]
