"""Sending one delivery: claim it, POST the signed event, record the outcome, schedule the retry.

Safe to run twice or concurrently: a conditional UPDATE claims a pending, due delivery and moves
its next attempt a lease into the future, so only one worker sends it; a worker that dies while
sending leaves it pending, and it is sent again once the lease has passed. A receiver therefore
sees each event at least once and should ignore a `Baseline-Delivery` id it has already seen.
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import urllib.error
import urllib.request

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from . import signing
from .models import Delivery, DeliveryStatus, validate_endpoint_url

logger = logging.getLogger(__name__)

TIMEOUT = 10  # seconds for the whole request
LEASE = datetime.timedelta(minutes=5)  # a claimed delivery is not claimed again before this
BACKOFF_BASE = 30  # seconds
BACKOFF_CAP = 3600
MIN_DELAY = 1
GRACE = datetime.timedelta(minutes=1)


def backoff(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: a random delay up to base × 2^(attempts-1),
    capped at an hour (and at least a second)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return max(MIN_DELAY, (rng or random).uniform(0, ceiling))


def body_of(delivery: Delivery) -> bytes:
    event = delivery.event
    document = {
        "id": str(event.id),
        "type": event.type,
        "created": event.created_at.isoformat(),
        "organisation_id": event.organisation_id,
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer like any other non-2xx: retried, never followed


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(status code or None, error text)."""
    if not url.lower().startswith(("https://", "http://")):
        return None, "Only http(s) URLs are delivered to."
    # The scheme is checked above and by validate_endpoint_url.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"HTTP {error.code} {error.reason}"[:300]
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, (f"{type(error).__name__}: {reason}")[:300]


def claim(delivery_id: int) -> Delivery | None:
    """Take a pending, due delivery to an active endpoint; None if it is not ours to send."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        endpoint__active=True,
    ).update(
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + LEASE,
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint", "event").get(pk=delivery_id)


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """Send the delivery if it is due; returns it with its new status (None if not sent)."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    code, error = None, ""
    try:
        validate_endpoint_url(endpoint.url)
    except ValidationError as refused:
        error = "; ".join(refused.messages)[:300]
        _finish(delivery, status=DeliveryStatus.FAILED, code=None, error=error, next_at=None)
        return delivery
    body = body_of(delivery)
    timestamp = int(timezone.now().timestamp())
    headers = signing.headers_for(
        secret=endpoint.secret,
        event_type=delivery.event.type,
        delivery_id=delivery.id,
        timestamp=timestamp,
        body=body,
    )
    code, error = post(endpoint.url, body, headers)
    if code is not None and 200 <= code < 300:
        _finish(delivery, status=DeliveryStatus.SUCCEEDED, code=code, error="", next_at=None)
        return delivery
    next_at = timezone.now() + datetime.timedelta(seconds=backoff(delivery.attempts))
    if next_at > delivery.give_up_at:
        _finish(delivery, status=DeliveryStatus.GAVE_UP, code=code, error=error, next_at=None)
    else:
        _finish(delivery, status=DeliveryStatus.PENDING, code=code, error=error, next_at=next_at)
    logger.info("Webhook delivery %s: %s (%s)", delivery.id, delivery.status, error or code)
    return delivery


def _finish(delivery: Delivery, *, status, code, error, next_at) -> None:
    """Record the attempt, unless the delivery changed meanwhile (redelivered by hand)."""
    fields = {
        "status": status,
        "last_response_code": code,
        "last_error": error,
        "next_attempt_at": next_at,
    }
    Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)


def deliveries_due(*, limit: int = 500, grace: datetime.timedelta = GRACE) -> list[int]:
    """Pending deliveries whose next attempt is overdue by more than `grace` (their message
    was lost, or the worker that claimed them died). The grace leaves a delivery whose
    scheduled message is on its way to that message."""
    return list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=timezone.now() - grace,
            endpoint__active=True,
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
