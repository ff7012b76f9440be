"""Celery tasks: send a delivery, and every minute resend the deliveries that are overdue."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .delivery import deliveries_due, delivery_attempt
from .models import DeliveryStatus

logger = logging.getLogger(__name__)


@shared_task(name="webhooks.deliver", soft_time_limit=60, time_limit=90)
def deliver(delivery_id: int) -> str | None:
    """Attempt the delivery; on failure schedule the next attempt at its backoff. A lost
    message costs nothing: webhooks.retry_due finds the delivery once it is overdue."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return None
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
        countdown = max(0.0, (delivery.next_attempt_at - timezone.now()).total_seconds())
        try:
            deliver.apply_async((delivery.id,), countdown=countdown)
        except Exception:  # the broker is down: retry_due sends it when it is overdue
            logger.exception("Could not schedule webhook delivery %s", delivery.id)
    return delivery.status


@shared_task(name="webhooks.retry_due")
def retry_due() -> int:
    """Send again every pending delivery whose attempt is overdue: its message was lost (a
    broker outage) or the worker sending it died."""
    ids = deliveries_due()
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)
