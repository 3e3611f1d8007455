"""Login throttling: what a person sees once django-axes locks them out.

django-axes counts failed logins per username and address on every login form
(``/accounts/login/`` and ``/admin/login/``) and, past ``LOGIN_FAILURE_LIMIT``,
refuses that pair for ``LOGIN_LOCKOUT_MINUTES`` (settings). Its middleware then
calls ``locked_out`` (``AXES_LOCKOUT_CALLABLE``) for the answer.
"""

import math

from axes.helpers import get_cool_off
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import ngettext

LOCKED_STATUS = 429


def lockout_message(request) -> str:
    """Return the sentence saying the login is locked, and until when."""
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    # Each refused try starts the cool-off again (django-axes' default).
    until = timezone.localtime(timezone.now() + cool_off)
    return ngettext(
        "Too many failed logins: this account is locked on this computer for "
        "%(minutes)d minute, until %(time)s. Try again then, or ask an admin to "
        "unlock it.",
        "Too many failed logins: this account is locked on this computer for "
        "%(minutes)d minutes, until %(time)s. Try again then, or ask an admin to "
        "unlock it.",
        minutes,
    ) % {"minutes": minutes, "time": time_format(until, "TIME_FORMAT")}


def locked_out(request, response, credentials):
    """Answer 429 with the login page the person used, saying it is locked."""
    message = lockout_message(request)
    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    if not isinstance(response, TemplateResponse) or form is None:
        return HttpResponse(
            message, status=LOCKED_STATUS, content_type="text/plain; charset=utf-8"
        )
    # The form failed as if the password were wrong; say why instead.
    form.errors.clear()
    form.add_error(None, message)
    page = TemplateResponse(
        request,
        response.template_name,
        {**context, "locked_out": message},
        status=LOCKED_STATUS,
    )
    return page.render()
