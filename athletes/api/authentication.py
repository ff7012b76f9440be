"""Authentication with a personal API token (athletes.tokens).

`Authorization: Bearer bl_...` (or `Token bl_...`) authenticates as the token's user. Any other
`Token <key>` is left to DRF's TokenAuthentication, so tokens from POST /api/v1/auth/token/
keep working. A read-only token may only make safe requests (GET, HEAD, OPTIONS): anything else
is a 403 saying so. A revoked, expired or unknown token is a 401.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from athletes.models_tokens import ApiToken
from athletes.tokens import api_token_find, api_token_touch, looks_like_personal_token


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        keyword = parts[0].lower()
        if keyword not in (b"bearer", b"token"):
            return None
        if len(parts) != 2:
            if keyword == b"token":
                return None  # DRF's TokenAuthentication explains the malformed header
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: use 'Bearer <token>' with no spaces in the token."
            )
        try:
            raw = parts[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(
                "Invalid token: it has invalid characters."
            ) from error
        if keyword == b"token" and not looks_like_personal_token(raw):
            return None  # a DRF token from POST /api/v1/auth/token/
        return self.authenticate_token(request, raw)

    def authenticate_token(self, request, raw: str):
        return self.accept(request, api_token_find(raw))

    def accept(self, request, token: ApiToken | None):
        """(user, token) for a token looked up by its value (None: no such token), or the
        401 or 403 that refuses it."""
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.is_revoked:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.is_expired():
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        if request.method not in SAFE_METHODS and not token.can_write:
            raise exceptions.PermissionDenied(
                f"The token '{token.name}' is read-only: it may only make GET, HEAD and OPTIONS "
                "requests. Create a read-write token to change data."
            )
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def personal_token_of(request) -> ApiToken | None:
    """The personal token a DRF request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "athletes.api.authentication.ApiTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token from /settings/tokens/: `Authorization: Bearer bl_...`. "
                "Read-only tokens may only make GET, HEAD and OPTIONS requests."
            ),
        }
