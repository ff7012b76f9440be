"""The OpenAPI schema's shared parts: the one error format on every operation, and the
Idempotency-Key header on every POST of a viewset that honours it.

BaselineAutoSchema is DEFAULT_SCHEMA_CLASS. Each operation documents the error statuses it can
answer with (declared ones keep their description), all with ErrorResponse's body.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from config.idempotency import HEADER, IDEMPOTENCY_KEY_TTL, MAX_KEY_LENGTH, IdempotencyMixin


class ErrorFieldSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text="Dotted path of the field, e.g. `rows.3.left`; null for the whole request.",
    )
    message = serializers.CharField()
    code = serializers.CharField(help_text="E.g. `required`, `max_value`, `invalid`.")


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status again.")
    code = serializers.CharField(help_text="E.g. `invalid`, `not_found`, `throttled`.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = ErrorFieldSerializer(many=True, help_text="One entry per invalid field.")
    original = serializers.JSONField(
        required=False,
        help_text="A client UUID conflict (422): the stored original (or its id).",
    )
    row = serializers.CharField(
        required=False, help_text="A batch conflict (422): the index of the row."
    )


class ErrorResponseSerializer(serializers.Serializer):
    """Every error the API answers with."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each invalid field.",
    401: "No or invalid credentials.",
    403: "Authenticated but not allowed.",
    404: "No such object among those the requester may see.",
    409: "A conflict, e.g. a request with this Idempotency-Key is in progress.",
    415: "The body's content type is not JSON.",
    422: "The Idempotency-Key (or a client UUID) was used with a different request.",
    429: "Too many requests; retry after `Retry-After` seconds.",
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before retrying.",
    }
}
BODY_METHODS = {"POST", "PUT", "PATCH"}

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Makes a retry safe: the same key with the same body returns the first "
    "response (with `Idempotent-Replayed: true`) instead of running again; with another body "
    f"it is a 422. Keys are per user and expire after {IDEMPOTENCY_KEY_TTL.days or 1} day.",
)


class BaselineAutoSchema(AutoSchema):
    def _honours_idempotency_key(self) -> bool:
        return self.method == "POST" and isinstance(self.view, IdempotencyMixin)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._honours_idempotency_key():
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

    def _error_statuses(self) -> set[int]:
        statuses = {400, 429}
        if self.get_auth():
            statuses |= {401, 403}
        if "{" in self.path or self.method == "GET":
            statuses.add(404)  # a list's `?page=` past the end is a 404 too
        if self.method in BODY_METHODS:
            statuses.add(415)
        if self._honours_idempotency_key():
            statuses |= {409, 422}
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        declared = {int(code) for code in responses if int(code) >= 400}
        for status_code in sorted(declared | self._error_statuses()):
            code = str(status_code)
            body = self._get_response_for_code(ErrorResponseSerializer, code, direction=direction)
            description = responses.get(code, {}).get("description")
            body["description"] = description or ERROR_DESCRIPTIONS.get(status_code, "An error.")
            if status_code == 429:
                body["headers"] = {**body.get("headers", {}), **RETRY_AFTER}
            responses[code] = body
        return dict(sorted(responses.items()))
