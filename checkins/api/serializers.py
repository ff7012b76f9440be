"""Serializers of check-ins: the stored check-in, and one to record."""

from __future__ import annotations

from rest_framework import serializers

from athletes.selectors import athletes_visible_to
from programs.api.serializers_programs import ScopedIdField

from ..models import AREA_FIELDS, CheckIn

CONFLICT = "This client_uuid was already used with different values; nothing was changed."


class CheckInSerializer(serializers.ModelSerializer):
    """An athlete's morning check-in (one per day; a later one the same day edits it)."""

    worst_pain = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The highest pain or stiffness of any area, 0–10; null when none rated.",
    )

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "athlete",
            "date",
            "client_uuid",
            *AREA_FIELDS,
            "soreness",
            "sleep_hours",
            "sleep_quality",
            "readiness",
            "note",
            "worst_pain",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _scale(low: int = 0, high: int = 10, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=low, max_value=high, required=False, allow_null=True, **kwargs
    )


class CheckInRecordSerializer(serializers.Serializer):
    """A check-in to store. The same client_uuid again stores nothing new; a new one for a day
    that has a check-in edits it."""

    athlete = ScopedIdField(
        scope=athletes_visible_to,
        required=False,
        help_text="Default: the requester's own athlete profile.",
    )
    client_uuid = serializers.UUIDField(
        help_text="Made on the device (e.g. crypto.randomUUID()): sending it again stores "
        "nothing new."
    )
    date = serializers.DateField(
        required=False, allow_null=True, help_text="The morning it is about. Default: today."
    )
    calf_pain = _scale()
    achilles_pain = _scale()
    shin_pain = _scale()
    ankle_pain = _scale()
    calf_stiffness = _scale()
    achilles_stiffness = _scale()
    shin_stiffness = _scale()
    ankle_stiffness = _scale()
    soreness = _scale()
    sleep_hours = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=0, max_value=24, required=False, allow_null=True
    )
    sleep_quality = _scale(1, 5)
    readiness = serializers.IntegerField(min_value=1, max_value=5, help_text="1–5.")
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CheckInConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    original = CheckInSerializer(help_text="The check-in that client_uuid was sent for.")
