"""Signatures of webhook deliveries: HMAC-SHA256 with the endpoint's secret over
"<timestamp>.<body>", sent as `Baseline-Signature: t=<timestamp>,v1=<hex>`.

A receiver recomputes the HMAC over the raw body it got and compares in constant time, and
rejects a timestamp older than a few minutes so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Baseline-Signature"
TIMESTAMP_HEADER = "Baseline-Timestamp"
EVENT_HEADER = "Baseline-Event"
DELIVERY_HEADER = "Baseline-Delivery"
DEFAULT_TOLERANCE = 300  # seconds


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The hex HMAC-SHA256 of f"{timestamp}.{body}" under the secret."""
    message = f"{timestamp}.".encode() + _bytes(body)
    return hmac.new(_bytes(secret), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int | str, body: str | bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def headers_for(
    *, secret: str, event_type: str, delivery_id: int, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Baseline-Webhooks/1",
        EVENT_HEADER: event_type,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature_header(secret, timestamp, body),
    }


def verify(
    secret: str,
    header: str,
    body: str | bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True if `header` (a Baseline-Signature value) signs `body` with `secret` and its
    timestamp is within `tolerance` seconds of now."""
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    if not timestamp or not timestamp.isdigit() or not candidates:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
