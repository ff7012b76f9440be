"""Writes: endpoints (owners only), events and their deliveries, redelivery by hand.

`event_emit` is the outbox: it runs inside the transaction of the change that caused the event
and writes the event with one pending delivery per subscribed endpoint; the workers are told
once that transaction commits. If they are not told (the broker is down), the periodic
`webhooks.retry_due` task finds the pending deliveries, so no event is lost.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from athletes.models import Organisation, Role, User
from athletes.selectors import role_in
from config.celery import enqueue_on_commit

from .models import Delivery, DeliveryStatus, Endpoint, Event, EventType

RETRY_WINDOW = datetime.timedelta(hours=24)
OWNERS_ONLY = "Only the head coach (owner) manages webhooks."


def require_owner(user: User, organisation_id: int) -> None:
    if role_in(user, organisation_id) != Role.OWNER:
        raise PermissionDenied(OWNERS_ONLY)


# --- Endpoints ---------------------------------------------------------------------------------


def _save(endpoint: Endpoint) -> Endpoint:
    endpoint.full_clean(exclude=["organisation", "created_by"])
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_create(
    *,
    organisation: Organisation,
    created_by: User,
    url: str,
    events: Iterable[str],
    description: str = "",
    active: bool = True,
) -> Endpoint:
    require_owner(created_by, organisation.id)
    endpoint = Endpoint(
        organisation=organisation,
        created_by=created_by,
        url=url.strip(),
        events=list(events),
        description=description.strip(),
        active=active,
    )
    return _save(endpoint)


ENDPOINT_FIELDS = ("url", "events", "description", "active")


@transaction.atomic
def endpoint_update(*, endpoint: Endpoint, updated_by: User, **changes) -> Endpoint:
    require_owner(updated_by, endpoint.organisation_id)
    unknown = set(changes) - set(ENDPOINT_FIELDS)
    if unknown:
        raise TypeError(f"unknown endpoint fields: {sorted(unknown)}")
    for field, value in changes.items():
        if field in ("url", "description"):
            value = value.strip()
        elif field == "events":
            value = list(value)
        setattr(endpoint, field, value)
    return _save(endpoint)


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, deleted_by: User) -> None:
    """Remove the endpoint with its delivery log; undelivered events to it are dropped."""
    require_owner(deleted_by, endpoint.organisation_id)
    endpoint.delete()


# --- Events and deliveries ---------------------------------------------------------------------


def _enqueue(delivery_ids: Iterable[int]) -> None:
    from .tasks import deliver

    for delivery_id in delivery_ids:
        enqueue_on_commit(deliver, delivery_id)


def _write(items: list[tuple[int, str, dict, list[int]]]) -> list[Event]:
    """Store events with a pending delivery to each of their endpoints: two queries however
    many. `items` holds (organisation id, event type, payload, endpoint ids)."""
    items = [item for item in items if item[3]]
    if not items:
        return []
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(organisation_id=org_id, type=type_, payload=payload, created_at=now)
        for org_id, type_, payload, _ in items
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            endpoint_id=endpoint_id,
            event=event,
            next_attempt_at=now,
            give_up_at=now + RETRY_WINDOW,
        )
        for event, (_, _, _, endpoint_ids) in zip(events, items, strict=True)
        for endpoint_id in endpoint_ids
    )
    _enqueue(d.id for d in deliveries)
    return events


def subscribed_endpoint_ids(organisation_id: int, type: str) -> list[int]:
    return list(
        Endpoint.objects.filter(
            organisation_id=organisation_id, active=True, events__contains=[type]
        ).values_list("id", flat=True)
    )


def event_emit(*, organisation: Organisation | int, type: str, payload: dict) -> Event | None:
    """Record an event for the organisation's active endpoints subscribed to it (call inside
    the change's transaction). One query when nobody subscribes, and then nothing is stored;
    three otherwise."""
    if type not in EventType.values:
        raise ValueError(f"unknown webhook event: {type}")
    organisation_id = getattr(organisation, "id", organisation)
    endpoint_ids = subscribed_endpoint_ids(organisation_id, type)
    events = _write([(organisation_id, type, payload, endpoint_ids)])
    return events[0] if events else None


def events_emit(*, type: str, items: Iterable[tuple[int, dict, list[int]]]) -> list[Event]:
    """Many events of one type whose subscribed endpoints the caller already knows (see
    webhooks.emit.flags_raised): no query when none has an endpoint, two otherwise."""
    return _write([(org_id, type, payload, ids) for org_id, payload, ids in items])


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery, by: User) -> Delivery:
    """Send the delivery again now, whatever its status, with a fresh retry window."""
    delivery = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    require_owner(by, delivery.endpoint.organisation_id)
    if not delivery.endpoint.active:
        raise ValidationError({"endpoint": "The endpoint is paused; turn it on first."})
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.give_up_at = now + RETRY_WINDOW
    delivery.save(update_fields=["status", "next_attempt_at", "give_up_at"])
    _enqueue([delivery.id])
    return delivery
