"""Personal API tokens: create, list, revoke, and look one up from a request header.

A token is "bl_" + 43 URL-safe characters. Only its SHA-256 hash and its first 11 characters
(the visible prefix) are stored; the token itself is returned once, by `api_token_create`.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.db import prepared_cursor

from .models_tokens import ApiToken, TokenScope

TOKEN_PREFIX = "bl_"  # noqa: S105 (a marker, not a secret)
VISIBLE_CHARS = len(TOKEN_PREFIX) + 8
# last_used_at is written at most this often per token, so a busy script costs no extra writes.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def looks_like_personal_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


def api_tokens_of(user) -> QuerySet[ApiToken]:
    """The user's own tokens (the only ones they may see or revoke), newest first."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)


@transaction.atomic
def api_token_create(
    *,
    user,
    name: str,
    scope: str = TokenScope.READ,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the user; returns the row and the token, which is never shown again."""
    now = timezone.now()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=(name or "").strip(),
        scope=scope,
        prefix=raw[:VISIBLE_CHARS],
        key_hash=token_hash(raw),
        created_at=now,
        expires_at=expires_at,
    )
    errors = {}
    if expires_at is not None and expires_at <= now:
        errors["expires_at"] = "The expiry date must be in the future."
    try:
        token.full_clean()
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    token.save()
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke the token from now on (idempotent: a second revoke keeps the first time)."""
    if token.revoked_at is None:
        now = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_find(raw: str) -> ApiToken | None:
    """The token with this value (revoked and expired ones included), with its user.

    Every API call with a token asks this, so it is one prepared statement rather than an ORM
    query (compiling `select_related("user")` cost more than the request's own work): the same
    columns, turned into the same model instances, as
    `ApiToken.objects.select_related("user").get(key_hash=...)` would give."""
    if not looks_like_personal_token(raw):
        return None
    with prepared_cursor() as cursor:
        cursor.execute(_token_lookup_sql(), [token_hash(raw)])
        row = cursor.fetchone()
    return None if row is None else token_of_row(row)


@functools.cache
def _token_lookup_sql() -> str:
    columns, tables = token_with_user_sql()
    # Identifiers from the models (token_with_user_sql); the hash is a parameter.
    return f"SELECT {columns} FROM {tables} WHERE t.key_hash = %s"  # noqa: S608


@functools.cache
def token_with_user_sql() -> tuple[str, str]:
    """(the columns, the tables) of a token (as `t`) and its user (as `u`) in one SELECT, for a
    statement that looks a token up with more; `token_of_row` reads those columns back."""
    quote = connection.ops.quote_name
    user_model = _user_model()
    columns = [f"t.{quote(f.column)}" for f in ApiToken._meta.concrete_fields]
    columns += [f"u.{quote(f.column)}" for f in user_model._meta.concrete_fields]
    user_fk = ApiToken._meta.get_field("user").column
    tables = (
        f"{quote(ApiToken._meta.db_table)} t JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{quote(user_model._meta.pk.column)} = t.{quote(user_fk)}"
    )
    return ", ".join(columns), tables


def token_of_row(row: tuple) -> ApiToken:
    """The token, with its user, from the first columns of a row of `token_with_user_sql`."""
    token_fields = ApiToken._meta.concrete_fields
    user_fields = _user_model()._meta.concrete_fields
    split = len(token_fields)
    token = _instance(ApiToken, token_fields, row[:split])
    token.user = _instance(_user_model(), user_fields, row[split : split + len(user_fields)])
    return token


def token_width() -> int:
    """How many columns `token_with_user_sql` selects."""
    return len(ApiToken._meta.concrete_fields) + len(_user_model()._meta.concrete_fields)


def _user_model():
    return ApiToken._meta.get_field("user").related_model


def _instance(model, fields: list, values: tuple):
    """A model instance from a row, as the ORM builds it (fields' own converters applied)."""
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def api_token_touch(*, token: ApiToken, now: datetime.datetime | None = None) -> bool:
    """Record a use, at most once per LAST_USED_RESOLUTION; True if this call wrote it.

    The UPDATE is conditional, so concurrent requests with the same token write it once. Either
    way `token` then counts as just used, so an instance kept across requests (see
    programs.api.own_sets) does not ask again until the resolution has passed."""
    now = now or timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return False
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff))
        .update(last_used_at=now)
    )
    token.last_used_at = now  # by this call or, when it wrote nothing, by another since cutoff
    return bool(updated)
