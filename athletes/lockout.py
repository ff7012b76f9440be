"""django-axes glue: lock out an email address after repeated failed logins.

The web login (/accounts/login/) and POST /api/v1/auth/token/ both go through
django.contrib.auth.authenticate with the request, so axes counts failures on both; settings
AXES_FAILURE_LIMIT and AXES_COOLOFF_TIME say how many and for how long. While locked out even
the right password is refused: the API answers a JSON 429, the browser a page saying so, both
with Retry-After.
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render

from config.api_errors import error_body

from .models import normalize_email


def lockout_username(request, credentials: dict | None) -> str | None:
    """The email a login attempt is for, normalised: the web form sends it as `username`, the
    token endpoint as `email`, so both count towards the same lockout."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if value is None and request is not None:
        data = getattr(request, "data", None) or request.POST
        value = data.get("email") or data.get("username")
    return normalize_email(value) if isinstance(value, str) and value.strip() else None


def _retry_after_seconds(request) -> int | None:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else None


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login attempt gets: JSON under /api/, a page elsewhere."""
    retry_after = _retry_after_seconds(request)
    minutes = (retry_after + 59) // 60 if retry_after else None
    wait = f"Try again in {minutes} minutes." if minutes else "Ask an administrator to unlock it."
    message = f"Too many failed login attempts: this account is locked. {wait}"
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        body = error_body(status, message, code="locked_out")
        response = JsonResponse(body, status=status)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": message, "minutes": minutes},
            status=status,
        )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@receiver(user_locked_out, dispatch_uid="athletes.lockout.mark_django_request")
def mark_django_request(sender, request=None, **kwargs):
    """Axes flags the request it was given; for the token endpoint that is DRF's Request, so the
    flag is copied to the Django request that AxesMiddleware looks at."""
    django_request = getattr(request, "_request", None)
    if django_request is not None:
        django_request.axes_locked_out = True
        django_request.axes_credentials = getattr(request, "axes_credentials", None)
