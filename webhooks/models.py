"""Webhooks: an organisation's endpoints, the events its changes emit (the outbox), and one
delivery per endpoint and event with its attempts."""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from athletes.models import Organisation, User

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class EventType(models.TextChoices):
    ATHLETE_CREATED = "athlete.created", "An athlete was added"
    RESULT_RECORDED = "result.recorded", "A test result was recorded"
    FLAG_RAISED = "flag.raised", "A flag was raised"
    FLAG_RESOLVED = "flag.resolved", "A flag was resolved"
    SESSION_COMPLETED = "session.completed", "A training session was completed"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def validate_endpoint_url(url: str) -> None:
    """HTTPS to a public host; plain HTTP to this machine only where development allows it."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValidationError("Enter a valid URL.", code="invalid") from None
    allow_local = getattr(settings, "WEBHOOKS_ALLOW_LOCALHOST", False)
    if not host:
        raise ValidationError("Enter a valid URL.", code="invalid")
    if _is_local(host):
        if not (allow_local and host in LOCAL_HOSTS):
            raise ValidationError(
                "The URL must reach a public host, not this machine or a private network.",
                code="local",
            )
        if parts.scheme not in ("http", "https"):
            raise ValidationError("Use an https:// URL.", code="scheme")
    elif parts.scheme != "https":
        raise ValidationError(
            "Use an https:// URL: deliveries are signed, not hidden.", code="scheme"
        )


class Endpoint(models.Model):
    """A URL of an organisation's that receives the events it subscribes to."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField("URL", max_length=500, validators=[validate_endpoint_url])
    description = models.CharField(max_length=120, blank=True)
    events = ArrayField(models.CharField(max_length=30, choices=EventType.choices))
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organisation", "active"])]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        super().clean()
        events = list(dict.fromkeys(self.events or []))
        if not events:
            raise ValidationError({"events": "Choose at least one event."})
        unknown = [e for e in events if e not in EventType.values]
        if unknown:
            raise ValidationError({"events": f"Unknown event: {unknown[0]}."})
        self.events = events


class Event(models.Model):
    """The outbox: one row per event, written in the transaction of the change that caused it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_events"
    )
    type = models.CharField(max_length=30, choices=EventType.choices)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"
    GAVE_UP = "gave_up", "Gave up"


class Delivery(models.Model):
    """One event sent to one endpoint, retried with backoff until it succeeds or the retry
    window closes."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField(help_text="No retry is scheduled after this.")
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_event"),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="delivery_status_known",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
