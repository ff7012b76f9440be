"""One error format for every error the REST API answers with.

    {"error": {"status": 400, "code": "invalid", "message": "…",
               "fields": [{"field": "rows.3.left", "message": "…", "code": "max_value"}]}}

`fields` names each invalid field by its dotted path (a list index or a row key is a segment);
`field` is null for an error about the request as a whole. Some errors carry more: a replayed
client UUID with other values (422) has `original`, a batch row conflict also `row`.

`exception_handler` is DRF's EXCEPTION_HANDLER: Django's Http404 and PermissionDenied become 404
and 403, a Django ValidationError a 400, and errors that only absurd input causes (a number too
big for its column, a string where a number belongs, JSON nested too deep) a 400 rather than a
500. Anything else is logged and stays a 500. `ErrorFormatMixin` puts the 4xx responses a view
returns itself (e.g. a 422 conflict) into the same format.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

INVALID_INPUT = "The request contains a value that cannot be stored or understood."
TOO_DEEP = "The JSON body is nested too deeply."
TOO_LARGE = "The request body is too large."
CONFLICTING = "This conflicts with an existing record."

# The code of an error whose detail names none, by status.
DEFAULT_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = TOO_LARGE
    default_code = "too_large"


# --- the format ---------------------------------------------------------------------------------


def _flatten(detail: Any, path: tuple[str, ...] = ()) -> list[dict]:
    """DRF error detail (dicts and lists nested as deep as the serializers) as a flat list of
    {"field": "a.0.b", "message": "…", "code": "…"}; `non_field_errors` names its parent."""
    if isinstance(detail, dict):
        fields = []
        for key, value in detail.items():
            key = str(key)
            fields += _flatten(
                value, path if key == api_settings.NON_FIELD_ERRORS_KEY else (*path, key)
            )
        return fields
    if isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            return [_field(path, item) for item in detail]
        fields = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list | tuple):
                fields += _flatten(item, (*path, str(index)))  # a list serializer's item
            else:
                fields.append(_field(path, item))
        return fields
    return [_field(path, detail)]


def _field(path: tuple[str, ...], message: Any) -> dict:
    return {
        "field": ".".join(path) or None,
        "message": str(message),
        "code": getattr(message, "code", None) or "invalid",
    }


def error_body(status_code: int, detail: Any, code: str | None = None, **extra: Any) -> dict:
    """The one error format. `detail` is DRF error detail: a message, a list or a dict."""
    code = code or DEFAULT_CODES.get(status_code, "error")
    if isinstance(detail, dict | list | tuple):
        fields = _flatten(detail)
        named = ", ".join(dict.fromkeys(f["field"] for f in fields if f["field"]))
        if len(fields) == 1:
            message = fields[0]["message"]
        elif named:
            message = f"Invalid input: {named}."
        else:
            message = " ".join(f["message"] for f in fields) or "Invalid input."
        if status_code != 400 and all(f["field"] is None for f in fields):
            fields = []  # a plain message, e.g. a 403's reason, is not about a field
    else:
        message = str(detail)
        code = getattr(detail, "code", None) or code
        fields = []
    return {
        "error": {
            "status": status_code,
            "code": code,
            "message": message,
            "fields": fields,
            **extra,
        }
    }


def is_error_body(data: Any) -> bool:
    return isinstance(data, dict) and set(data) == {"error"} and isinstance(data["error"], dict)


def format_error_response(response) -> None:
    """Put a 4xx response a view built itself into the error format (in place). A body of
    {"detail": "…", **more} keeps `more` (e.g. `original`) inside the error."""
    if response is None or response.status_code < 400 or is_error_body(response.data):
        return
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        extra = {key: value for key, value in data.items() if key != "detail"}
        detail = data["detail"]
        response.data = error_body(response.status_code, detail, code=_code_of(detail), **extra)
    elif data is not None:
        response.data = error_body(response.status_code, data)


def _code_of(detail: Any) -> str | None:
    return getattr(detail, "code", None) if not isinstance(detail, dict | list) else None


# --- the handler --------------------------------------------------------------------------------


def _as_api_exception(exc: Exception) -> Exception:
    """Exceptions DRF does not know, as the APIException they mean; others unchanged."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        from athletes.api.serializers import drf_error_detail

        return serializers.ValidationError(drf_error_detail(exc))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError()
    if isinstance(exc, RecursionError):
        return exceptions.ParseError(TOO_DEEP)
    if isinstance(exc, IntegrityError):
        logger.warning("IntegrityError answered with 400: %s", exc)
        return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [CONFLICTING]})
    if isinstance(exc, DataError | ValueError | OverflowError):
        # A value the database or a conversion refused: a number out of range, a malformed
        # string. Only input does that; log it so a real bug still shows.
        logger.warning("%s answered with 400: %s", type(exc).__name__, exc, exc_info=exc)
        return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [INVALID_INPUT]})
    return exc


def exception_handler(exc: Exception, context: dict):
    """DRF's handler, then the one format. None (a 500) only for what is not an input error."""
    exc = _as_api_exception(exc)
    unauthenticated = isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
    if unauthenticated:
        # DRF makes these a 403 when the first authenticator (the session) names no scheme.
        exc.status_code = status.HTTP_401_UNAUTHORIZED
    response = drf_exception_handler(exc, context)
    if response is not None and unauthenticated and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = _authenticate_header(context.get("request"))
    if response is None:
        view = context.get("view")
        logger.error("Unhandled exception in %s", type(view).__name__, exc_info=exc)
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    code = None
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
    elif isinstance(exc, exceptions.APIException):
        code = _code_of(detail) or exc.default_code
    response.data = error_body(response.status_code, detail, code=code)
    return response


def _authenticate_header(request) -> str:
    """The scheme of the first authenticator that has one: how to authenticate."""
    for authenticator in getattr(request, "authenticators", None) or ():
        header = authenticator.authenticate_header(request)
        if header:
            return header
    return "Token"


class ErrorFormatMixin:
    """For views: error responses they return themselves get the one format too."""

    def finalize_response(self, request, response, *args, **kwargs):
        format_error_response(response)
        return super().finalize_response(request, response, *args, **kwargs)
