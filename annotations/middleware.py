from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.utils import translation

from .models import Profile


def saved_language(user) -> str:
    """Return the language ``user`` chose on their account page, or ""."""
    if not getattr(user, "is_authenticated", False):
        return ""
    try:
        return user.profile.language
    except Profile.DoesNotExist:
        return ""


class PreferredLanguageMiddleware:
    """Speak the language a logged-in user saved, whatever the browser asks for.

    Django's LocaleMiddleware has already chosen from the language cookie,
    Accept-Language and LANGUAGE_CODE; a saved preference overrides it. The API
    keeps LocaleMiddleware's choice: scripts ask with Accept-Language, and a
    token user and a session user must get the same answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            language = saved_language(request.user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class LoginRequiredExceptApiMiddleware(LoginRequiredMiddleware):
    """Redirect anonymous browsers to the login page; leave the API to DRF.

    API clients authenticate per request (session or token) and must get a JSON
    401 rather than a redirect to an HTML form.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
