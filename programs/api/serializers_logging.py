"""Serializers for scheduled sessions and logged sets: what athletes did.

Input serializers check shape, ranges and scope (a session, athlete or exercise the requester
cannot use is "Invalid pk"); programs.services decides the rest. A replayed client UUID is
answered with the stored original; the same UUID with other values is a 422.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from operator import attrgetter

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from athletes.models import Athlete
from athletes.selectors import athletes_visible_to, sees_athlete
from programs.api.serializers_programs import CheckedIdField
from programs.models import Exercise, LoadType, LoggedSet, ScheduledSession
from programs.selectors import (
    exercises_visible_to,
    sees_exercise,
    sees_session,
    session_prescriptions,
    sessions_visible_to,
)

CONFLICT = "This client_uuid was already used with different values; nothing was changed."


# --- scheduled sessions --------------------------------------------------------------------------


class ScheduledSessionSerializer(serializers.ModelSerializer):
    """A dated session of an athlete's assignment. `session_load` = session RPE × minutes."""

    template = serializers.IntegerField(source="assignment.template_id", read_only=True)
    template_name = serializers.CharField(source="assignment.template.name", read_only=True)
    session_load = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Session RPE × minutes (arbitrary units)."
    )

    class Meta:
        model = ScheduledSession
        fields = [
            "id",
            "assignment",
            "athlete",
            "template",
            "template_name",
            "sequence",
            "week",
            "date",
            "name",
            "status",
            "completed_at",
            "session_rpe",
            "duration_minutes",
            "pain",
            "notes",
            "session_load",
        ]
        read_only_fields = fields


class ProgressionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    every_weeks = serializers.IntegerField()
    load_step = serializers.CharField(allow_null=True)
    max_sets = serializers.IntegerField(allow_null=True)
    steps = serializers.ListField(child=serializers.DictField())


class SessionPrescriptionSerializer(serializers.Serializer):
    """An exercise of the session as the athlete does it this week: the assigned copy with
    progression (and pain gating) applied."""

    prescription_id = serializers.IntegerField()
    exercise_id = serializers.IntegerField()
    exercise_name = serializers.CharField()
    exercise_slug = serializers.CharField()
    measurement = serializers.CharField()
    cues = serializers.ListField(child=serializers.CharField())
    sets = serializers.IntegerField()
    target_min = serializers.IntegerField()
    target_max = serializers.IntegerField(allow_null=True)
    load_type = serializers.CharField()
    load_value = serializers.CharField(allow_null=True)
    tempo = serializers.CharField(allow_blank=True)
    rest_seconds = serializers.IntegerField(allow_null=True)
    per_side = serializers.BooleanField()
    notes = serializers.CharField(allow_blank=True)
    progression = ProgressionSerializer()
    level = serializers.IntegerField(help_text="Progression level this week, from 0.")
    progression_change = serializers.ChoiceField(
        choices=["start", "progress", "hold", "step_back", ""],
        help_text="What happened to the level this week.",
    )
    progression_note = serializers.CharField(
        allow_blank=True, help_text="Why it progressed, held or stepped back."
    )


class ScheduledSessionDetailSerializer(ScheduledSessionSerializer):
    """One session with its exercises as prescribed for its week."""

    prescriptions = serializers.SerializerMethodField()

    class Meta(ScheduledSessionSerializer.Meta):
        fields = [*ScheduledSessionSerializer.Meta.fields, "prescriptions"]
        read_only_fields = fields

    @extend_schema_field(SessionPrescriptionSerializer(many=True))
    def get_prescriptions(self, session: ScheduledSession) -> list[dict]:
        return session_prescriptions(session)


class SessionRescheduleSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The new date; later sessions move to keep the gap.")

    def validate(self, attrs: dict) -> dict:
        other = sorted(set(self.initial_data) - {"date"})
        if other:
            raise serializers.ValidationError(
                dict.fromkeys(other, "Only the date of a session can change.")
            )
        return attrs


class SessionRescheduledSerializer(ScheduledSessionDetailSerializer):
    moved = ScheduledSessionSerializer(
        many=True, read_only=True, help_text="Every session whose date changed, this one included."
    )

    class Meta(ScheduledSessionDetailSerializer.Meta):
        fields = [*ScheduledSessionDetailSerializer.Meta.fields, "moved"]
        read_only_fields = fields


class SessionCompleteSerializer(serializers.Serializer):
    session_rpe = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=0,
        max_value=10,
        required=False,
        allow_null=True,
        help_text="How hard the whole session was, 0–10 (CR-10).",
    )
    duration_minutes = serializers.IntegerField(
        min_value=0, max_value=600, required=False, allow_null=True
    )
    pain = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    client_uuid = serializers.UUIDField(
        required=False, allow_null=True, help_text="Made on the device; a replay is a 200."
    )


class SessionConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    original = ScheduledSessionSerializer(help_text="The session as it was completed.")


# --- logged sets ---------------------------------------------------------------------------------


class FieldsOnceMixin:
    """A ModelSerializer works its fields out from the model for every instance. They never
    change, so work them out once per class and hand each instance a copy."""

    def get_fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_fields_once")
        if fields is None:
            fields = super().get_fields()
            cls._fields_once = fields
        return copy.deepcopy(fields)


def readers(serializer: serializers.Serializer) -> list[tuple[str, Callable, Callable]]:
    """(name, read, show) for each field `serializer` shows, as its to_representation reads and
    converts them: a field with a plain attribute path is read with an attrgetter, a related
    field showing an id from the instance's own column (DRF's pk-only reading), any other field
    by its own get_attribute. For a serializer shown many times a second (a logged set), where
    DRF's general reading cost more than the conversions."""
    plan = []
    for field in serializer._readable_fields:
        path = field.source_attrs
        if type(field) is serializers.PrimaryKeyRelatedField and len(path) == 1:
            column = serializer.Meta.model._meta.get_field(path[0]).attname
            plan.append((field.field_name, attrgetter(column), _itself))
        elif field.source != "*" and not isinstance(field, serializers.SerializerMethodField):
            plan.append((field.field_name, attrgetter(".".join(path)), field.to_representation))
        else:
            plan.append((field.field_name, field.get_attribute, field.to_representation))
    return plan


def _itself(value):
    return value


class LoggedSetSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """One set an athlete did. Sets are not changed after logging; staff (and the athlete)
    may delete one."""

    exercise_name = serializers.CharField(source="exercise.name", read_only=True)
    side = serializers.ChoiceField(
        choices=[("left", "Left"), ("right", "Right"), ("both", "Both")],
        allow_blank=True,
        read_only=True,
        help_text="Empty when the set was not per side.",
    )

    class Meta:
        model = LoggedSet
        fields = [
            "id",
            "client_uuid",
            "athlete",
            "session",
            "exercise",
            "exercise_name",
            "set_number",
            "side",
            "reps",
            "seconds",
            "contacts",
            "metres",
            "load_type",
            "load_value",
            "rpe",
            "pain",
            "notes",
            "rep_seconds",
            "performed_at",
            "logged_by",
            "created_at",
        ]
        read_only_fields = fields

    @classmethod
    def represent(cls, logged: LoggedSet) -> dict:
        """What `cls(logged).data` gives, read the way `readers` works out once per class."""
        plan = cls.__dict__.get("_readers")
        if plan is None:
            plan = cls._readers = readers(cls())
        shown = {}
        for name, read, show in plan:
            value = read(logged)
            shown[name] = None if value is None else show(value)
        return shown


class LoggedSetResultSerializer(LoggedSetSerializer):
    created = serializers.SerializerMethodField(help_text="False: a replay of a stored set.")

    class Meta(LoggedSetSerializer.Meta):
        fields = [*LoggedSetSerializer.Meta.fields, "created"]
        read_only_fields = fields

    def get_created(self, logged: LoggedSet) -> bool:
        return bool(getattr(logged, "was_created", False))


class SetLogSerializer(serializers.Serializer):
    """One set to store. Give at least one of reps, seconds, contacts or metres."""

    athlete = CheckedIdField(
        scope=athletes_visible_to,
        lookup=lambda: Athlete.objects.all(),
        visible=sees_athlete,
        required=False,
        help_text="Default: the requester's own athlete profile.",
    )
    client_uuid = serializers.UUIDField(
        help_text="Made on the device (e.g. crypto.randomUUID()): sending it again stores "
        "nothing new."
    )
    session = CheckedIdField(
        scope=sessions_visible_to,
        lookup=lambda: ScheduledSession.objects.select_related("athlete"),
        visible=sees_session,
        required=False,
        allow_null=True,
        help_text="The athlete's scheduled session; empty for an ad hoc set.",
    )
    exercise = CheckedIdField(
        scope=exercises_visible_to, lookup=lambda: Exercise.objects.all(), visible=sees_exercise
    )
    set_number = serializers.IntegerField(min_value=1, max_value=100, default=1)
    side = serializers.ChoiceField(
        choices=[("left", "Left"), ("right", "Right"), ("both", "Both")],
        allow_blank=True,
        default="",
    )
    reps = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    seconds = serializers.IntegerField(min_value=0, max_value=7200, required=False, allow_null=True)
    contacts = serializers.IntegerField(
        min_value=0, max_value=2000, required=False, allow_null=True
    )
    metres = serializers.IntegerField(min_value=0, max_value=10000, required=False, allow_null=True)
    load_type = serializers.ChoiceField(choices=LoadType.choices, default=LoadType.NONE)
    load_value = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="kg, or % of body mass for percent_bm; empty for none and bodyweight.",
    )
    rpe = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=0,
        max_value=10,
        required=False,
        allow_null=True,
        help_text="0–10 (CR-10).",
    )
    pain = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    performed_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default: when the server receives it."
    )


class SetConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    original = LoggedSetSerializer(help_text="The set stored under this client_uuid.")
