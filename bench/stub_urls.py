"""A stand-in for ``GET /api/v1/export/``: the streaming export behind token auth.

It is what the API view is expected to do, minus DRF: authenticate, validate
the parameters (400), check the role (403), then stream.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from annotations import exports
from annotations.models import ApiToken


def _token_user(request):
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Token" or not key:
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=ApiToken.hash_key(key))
        .first()
    )
    return token.user if token and token.user.is_active else None


@require_GET
def export(request):
    user = _token_user(request)
    if user is None:
        return JsonResponse({"detail": "Send a valid API token."}, status=401)
    try:
        if request.GET.get("manifest") in ("1", "true"):
            return JsonResponse(exports.manifest(request.GET, user))
        result = exports.stream(
            request.GET, user, iri_base=request.build_absolute_uri("/api/v1/")
        )
    except ValidationError as exc:
        return JsonResponse(exc.message_dict, status=400)
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    response = StreamingHttpResponse(result.chunks)
    for name, value in result.headers().items():
        response[name] = value
    return response


urlpatterns = [path("api/v1/export/", export)]
