from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginRequiredExceptApiMiddleware(LoginRequiredMiddleware):
    """Redirect anonymous browsers to the login page; leave the API to DRF.

    API clients authenticate per request (session or token) and must get a JSON
    401 rather than a redirect to an HTML form.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
