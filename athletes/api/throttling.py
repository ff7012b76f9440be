"""API rate limits: one bucket per personal token, else one per user, else one per client IP.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (API_THROTTLE_USER, API_THROTTLE_ANON).
A throttled request is a 429 with Retry-After (seconds until the bucket has room again).
"""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle

from athletes.api.authentication import personal_token_of


class TokenOrUserRateThrottle(UserRateThrottle):
    """The "user" rate, counted per personal token (two tokens of one user have a bucket each)
    and per user for sessions and DRF tokens. Anonymous requests are AnonRateThrottle's."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        token = personal_token_of(request)
        ident = f"token-{token.pk}" if token is not None else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
