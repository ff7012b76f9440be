"""Safe retries of API POSTs: the `Idempotency-Key` header.

A POST sent with `Idempotency-Key: <up to 255 characters>` by an authenticated user runs once.
Sent again with the same key and the same body, it is not run again: the first response comes
back (same status, same body) with `Idempotent-Replayed: true`. The same key with another body
or to another URL is a 422. Keys belong to the user who sent them, so two users never collide,
and count for IDEMPOTENCY_KEY_TTL (24 hours); after that a key is free again. Expired records
are replaced when their key is used again; `idempotency_records_purge()` deletes them all.

What is stored: a response with a 2xx status, and the 409/422 conflicts a view answers with
(e.g. a client UUID already used with other values), since those are the request's outcome.
Errors raised on the way (a 400 for invalid input, a 403, a 404, a 429) are not stored: they
change nothing, so the client may fix the request and send it again with the same key.

How it runs: inside one transaction that first takes a Postgres advisory lock on (user, key).
The view runs and its response is stored in that transaction, so either both are kept or
neither is; a request that dies half-way leaves the key free. A concurrent request with the
same key cannot take the lock and gets a 409 "in progress" at once instead of running the view a
second time. The body's fingerprint is the SHA-256 of the parsed body as canonical JSON (keys
sorted), so spacing and key order do not matter. An uploaded file counts by the SHA-256 of its
bytes (a multipart form's fields by value), so the same key with another file is a 422; a raw
body that is not JSON (text/csv) counts by its bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from athletes.models import IdempotencyRecord

from .api_errors import format_error_response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
STORED_ERROR_STATUSES = {status.HTTP_409_CONFLICT, status.HTTP_422_UNPROCESSABLE_ENTITY}

KEY_REUSED = "This Idempotency-Key was already used with a different request body or URL."
KEY_IN_PROGRESS = "A request with this Idempotency-Key is in progress; retry in a moment."


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = KEY_REUSED
    default_code = "idempotency_key_reused"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = KEY_IN_PROGRESS
    default_code = "idempotency_key_in_progress"


def _file_digest(upload: UploadedFile) -> dict:
    """An uploaded file by its content: SHA-256 and size. Leaves it ready to be read again."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {"file_sha256": digest.hexdigest(), "size": upload.size}


def _canonical(data: Any) -> Any:
    """The body as plain JSON values: a form's fields as lists, a file as its digest."""
    if isinstance(data, UploadedFile):
        return _file_digest(data)
    if isinstance(data, MultiValueDict):
        return {key: [_canonical(value) for value in data.getlist(key)] for key in data}
    if isinstance(data, dict):
        return {str(key): _canonical(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_canonical(value) for value in data]
    return data


def request_fingerprint(data: Any) -> str:
    """SHA-256 of the parsed body as canonical JSON; of the bytes of a raw (non-JSON) body."""
    if isinstance(data, bytes | bytearray):
        return hashlib.sha256(b"raw:" + bytes(data)).hexdigest()
    data = _canonical(data)
    try:
        canonical = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):  # nothing a parser yields, but never a 500 for it
        canonical = repr(data)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_id(user_id: int, key: str) -> int:
    """A signed 64-bit advisory lock id for (user, key)."""
    digest = hashlib.sha256(f"idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _try_lock(user_id: int, key: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_lock_id(user_id, key)])
        return bool(cursor.fetchone()[0])


def _json(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=JSONEncoder))


def _is_stored(status_code: int) -> bool:
    return 200 <= status_code < 300 or status_code in STORED_ERROR_STATUSES


def idempotency_key_of(request) -> str | None:
    """The request's key, or None when the header is absent; a 400 when it is malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise serializers.ValidationError(
            {HEADER: [f"Give 1 to {MAX_KEY_LENGTH} printable characters."]}
        )
    return key


def idempotency_records_purge(*, now=None) -> int:
    """Delete the records whose key has expired; returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def run_idempotently(request, key: str, handler, *args, **kwargs) -> Response:
    """Run `handler` once per (user, key): the first response, stored, answers every replay."""
    user = request.user
    fingerprint = request_fingerprint(request.data)
    if request.query_params:  # `?organisation=1` and `?organisation=2` are different requests
        fingerprint = request_fingerprint({"query": request.query_params, "body": fingerprint})
    with transaction.atomic():
        if not _try_lock(user.pk, key):
            raise IdempotencyKeyInProgress()
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is not None and record.created_at < timezone.now() - IDEMPOTENCY_KEY_TTL:
            record.delete()
            record = None
        if record is not None:
            if (record.method, record.path, record.fingerprint) != (
                request.method,
                request.path,
                fingerprint,
            ):
                raise IdempotencyKeyReused()
            return Response(
                record.response_body,
                status=record.response_status,
                headers={REPLAYED_HEADER: "true"},
            )
        response = handler(request, *args, **kwargs)
        format_error_response(response)
        if _is_stored(response.status_code):
            IdempotencyRecord.objects.create(
                user=user,
                key=key,
                method=request.method,
                path=request.path,
                fingerprint=fingerprint,
                response_status=response.status_code,
                response_body=_json(response.data),
            )
        return response


class IdempotencyMixin:
    """For viewsets: every POST honours the Idempotency-Key header (see the module)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        if request.method != "POST" or not request.user.is_authenticated:
            return
        handler = getattr(self, "post", None)  # the action DRF's dispatch calls next
        if handler is None or "post" not in self.http_method_names:
            return  # a 405
        key = idempotency_key_of(request)
        if key is None:
            return

        def idempotent_post(request, *args, **kwargs):
            return run_idempotently(request, key, handler, *args, **kwargs)

        self.post = idempotent_post
