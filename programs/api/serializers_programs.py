"""Serializers for program templates (with their sessions and prescriptions) and assignments.

They check shape and scope (every id in a body must be one the requester may use: anything
else is "Invalid pk") and hand every write to programs.services. Errors in a nested create are
keyed by their path, e.g. `sessions[0].prescriptions[1].target_min`, and nothing is created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnDict

from athletes.api.serializers import (
    OrganisationChangeMixin,
    ScopedPrimaryKeyRelatedField,
    api_errors,
    drf_error_detail,
    request_user,
)
from athletes.selectors import athletes_writable_by, organisations_staffed_by, teams_assignable_by
from programs.models import Assignment, Prescription, ProgramTemplate, TemplateSession
from programs.progression import STEP_FIELDS
from programs.selectors import exercises_visible_to, templates_visible_to
from programs.services import (
    PRESETS,
    prescription_add,
    prescription_update,
    template_create,
    template_session_add,
    template_update,
)
from programs.services.templates import PRESCRIPTION_FIELDS

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
PRESCRIPTION_WRITE_FIELDS = PRESCRIPTION_FIELDS  # what the service accepts


@extend_schema_field(OpenApiTypes.INT)
class ScopedIdField(ScopedPrimaryKeyRelatedField):
    """A scoped primary key in a plain (non-model) serializer, documented as an integer."""


class CheckedIdField(ScopedIdField):
    """A ScopedIdField for hot paths: the row is read by its primary key alone (from `lookup`,
    which may select related rows) and kept only if `visible(user, row)`, a predicate that
    answers as `scope(user)` would. No scoped queryset is built for one id; anything out of scope
    is "Invalid pk", as before."""

    def __init__(self, *, lookup: Callable, visible: Callable, **kwargs):
        self.lookup = lookup
        self.visible = visible
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            if isinstance(data, bool):
                raise TypeError
            row = self.lookup().get(pk=data)
        except ObjectDoesNotExist:
            self.fail("does_not_exist", pk_value=data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not self.visible(request_user(self), row):
            self.fail("does_not_exist", pk_value=data)
        return row


# --- error paths ---------------------------------------------------------------------------------


def flat_errors(detail, path: str = "") -> dict:
    """Nested DRF error detail as {"sessions[0].prescriptions[1].target_min": [messages]}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            if isinstance(key, int) or str(key).isdigit():
                flat.update(flat_errors(value, f"{path}[{key}]"))
            else:
                flat.update(flat_errors(value, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(flat_errors(item, f"{path}[{index}]"))
        return flat
    return {path or NON_FIELD: detail if isinstance(detail, list) else [detail]}


@contextmanager
def nested_errors(path: str) -> Iterator[None]:
    """A service's ValidationError for the object at `path`, its fields prefixed with it."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = drf_error_detail(exc)
        raise serializers.ValidationError(
            {f"{path}.{field}": messages for field, messages in detail.items()}
        ) from exc


class FlatErrorsMixin:
    @property
    def errors(self):
        return ReturnDict(flat_errors(dict(super().errors)), serializer=self)


def add_prescriptions(session: TemplateSession, items: list[dict], user, path: str) -> None:
    for index, item in enumerate(items):
        with nested_errors(f"{path}[{index}]"):
            prescription_add(session=session, added_by=user, **item)


def add_sessions(template: ProgramTemplate, items: list[dict], user, path: str) -> None:
    for index, item in enumerate(items):
        prescriptions = item.pop("prescriptions", [])
        with nested_errors(f"{path}[{index}]"):
            session = template_session_add(template=template, added_by=user, **item)
        add_prescriptions(session, prescriptions, user, f"{path}[{index}].prescriptions")


# --- prescriptions -------------------------------------------------------------------------------


STEP_RANGES = {
    "sets": (1, 20),
    "target_min": (0, 10000),
    "target_max": (0, 10000),
    "rest_seconds": (0, 3600),
}


def _check_step(number: int, step) -> None:
    if not isinstance(step, dict) or not step:
        raise serializers.ValidationError(f"Step {number} is not an object of changes.")
    unknown = set(step) - set(STEP_FIELDS)
    if unknown:
        raise serializers.ValidationError(
            f"Step {number}: {', '.join(sorted(unknown))} cannot change; use "
            f"{', '.join(STEP_FIELDS)}."
        )
    for field, (low, high) in STEP_RANGES.items():
        value = step.get(field)
        if field in step and (type(value) is not int or not low <= value <= high):
            raise serializers.ValidationError(
                f"Step {number}: {field} is a whole number from {low} to {high}."
            )
    if "tempo" in step and not (isinstance(step["tempo"], str) and len(step["tempo"]) <= 20):
        raise serializers.ValidationError(f"Step {number}: tempo is text such as 3-0-3.")
    if "load_value" in step and not _is_load(step["load_value"]):
        raise serializers.ValidationError(f"Step {number}: load_value is a number from 0 to 500.")


def _is_load(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        load = Decimal(str(value))
    except InvalidOperation:
        return False
    return load.is_finite() and 0 <= load <= 500


class PrescriptionNestedSerializer(serializers.ModelSerializer):
    """An exercise of a program session: sets × a target in the exercise's unit, load, tempo,
    rest and progression. `target_min` and `per_side` default from the exercise."""

    exercise = ScopedPrimaryKeyRelatedField(
        scope=exercises_visible_to,
        help_text="An exercise of the global library or of the program's organisation.",
    )
    exercise_name = serializers.CharField(source="exercise.name", read_only=True)
    measurement = serializers.CharField(
        source="exercise.measurement",
        read_only=True,
        help_text="What target_min/target_max count: reps, seconds, contacts or metres.",
    )

    class Meta:
        model = Prescription
        fields = [
            "id",
            "order",
            "exercise",
            "exercise_name",
            "measurement",
            *PRESCRIPTION_WRITE_FIELDS,
        ]
        read_only_fields = ["order"]
        extra_kwargs = {
            "target_min": {"required": False},
            "target_max": {"max_value": 10000},
            "rest_seconds": {"max_value": 3600},
            "progression_every_weeks": {"min_value": 1, "max_value": 52},
            "progression_max_sets": {"min_value": 1, "max_value": 20},
        }

    def validate_progression_steps(self, steps):
        if not isinstance(steps, list):
            raise serializers.ValidationError('Give a list of steps, e.g. [{"target_min": 12}].')
        for number, step in enumerate(steps, start=1):
            _check_step(number, step)
        return steps

    def _value(self, attrs: dict, field: str):
        if field in attrs:
            return attrs[field]
        return getattr(self.instance, field, None) if self.instance is not None else None

    def validate(self, attrs: dict) -> dict:
        low, high = self._value(attrs, "target_min"), self._value(attrs, "target_max")
        if low is not None and high is not None and high < low:
            raise serializers.ValidationError(
                {"target_max": "The top of the range must be at least target_min."}
            )
        kind = self._value(attrs, "progression")
        if kind == "add_load" and self._value(attrs, "progression_load_step") is None:
            raise serializers.ValidationError(
                {"progression_load_step": "Give the load added at each step."}
            )
        if kind == "steps" and not self._value(attrs, "progression_steps"):
            raise serializers.ValidationError({"progression_steps": "Give at least one step."})
        return attrs


class PrescriptionSerializer(PrescriptionNestedSerializer):
    """A prescription on its own. `session` and `exercise` are fixed once it exists."""

    session = ScopedPrimaryKeyRelatedField(
        scope=lambda user: TemplateSession.objects.filter(template__in=templates_visible_to(user)),
        help_text="The program session it belongs to.",
    )

    class Meta(PrescriptionNestedSerializer.Meta):
        fields = ["id", "session", *PrescriptionNestedSerializer.Meta.fields[1:]]

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            for field in ("session", "exercise"):
                if field in attrs and attrs.pop(field) != getattr(self.instance, field):
                    message = f"The {field} cannot change; remove the prescription, add another."
                    raise serializers.ValidationError({field: message})
        return super().validate(attrs)

    def create(self, validated_data: dict) -> Prescription:
        with api_errors():
            return prescription_add(added_by=request_user(self), **validated_data)

    def update(self, instance: Prescription, validated_data: dict) -> Prescription:
        with api_errors():
            return prescription_update(
                prescription=instance, updated_by=request_user(self), **validated_data
            )


class PresetSerializer(serializers.Serializer):
    preset = serializers.ChoiceField(
        choices=[(key, scheme["label"]) for key, scheme in PRESETS.items()],
        help_text="A published scheme; it must suit the exercise's measurement.",
    )


class MoveSerializer(serializers.Serializer):
    position = serializers.IntegerField(
        min_value=0, help_text="The new place in the session, from 0 (first)."
    )


# --- program sessions and programs ---------------------------------------------------------------


class TemplateSessionNestedSerializer(serializers.ModelSerializer):
    """A workout of a program with its prescriptions, in order."""

    prescriptions = PrescriptionNestedSerializer(
        many=True, required=False, help_text="Only on create; change them at /prescriptions/."
    )

    class Meta:
        model = TemplateSession
        fields = ["id", "name", "order", "rotation_week", "notes", "prescriptions"]
        read_only_fields = ["order"]
        extra_kwargs = {"rotation_week": {"min_value": 1, "max_value": 8}}


class ProgramSessionSerializer(FlatErrorsMixin, TemplateSessionNestedSerializer):
    """A program session on its own; its prescriptions may be given when it is added."""

    template = ScopedPrimaryKeyRelatedField(scope=templates_visible_to, help_text="Program id.")

    class Meta(TemplateSessionNestedSerializer.Meta):
        fields = ["id", "template", *TemplateSessionNestedSerializer.Meta.fields[1:]]

    def create(self, validated_data: dict) -> TemplateSession:
        user = request_user(self)
        prescriptions = validated_data.pop("prescriptions", [])
        with api_errors():
            session = template_session_add(added_by=user, **validated_data)
            add_prescriptions(session, prescriptions, user, "prescriptions")
        return session


class ProgramSerializer(FlatErrorsMixin, OrganisationChangeMixin, serializers.ModelSerializer):
    """A program template with its sessions and their prescriptions. Every change bumps
    `version`; athletes already assigned keep the copy they were given."""

    organisation = ScopedPrimaryKeyRelatedField(
        scope=organisations_staffed_by,
        help_text="Required on create: an organisation the requester is staff of.",
    )
    sessions = TemplateSessionNestedSerializer(
        many=True,
        required=False,
        help_text="May be given on create (with prescriptions); afterwards change them at "
        "/program-sessions/ and /prescriptions/.",
    )

    class Meta:
        model = ProgramTemplate
        fields = [
            "id",
            "organisation",
            "name",
            "goal",
            "description",
            "weeks",
            "rotation_weeks",
            "version",
            "copied_from",
            "created_at",
            "updated_at",
            "archived_at",
            "sessions",
        ]
        read_only_fields = ["version", "copied_from", "created_at", "updated_at", "archived_at"]
        extra_kwargs = {"rotation_weeks": {"min_value": 1, "max_value": 8}}

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            self.check_organisation_unchanged(attrs, "program")
            if "sessions" in attrs:
                raise serializers.ValidationError(
                    {"sessions": "Change sessions at /program-sessions/ and /prescriptions/."}
                )
        return attrs

    def create(self, validated_data: dict) -> ProgramTemplate:
        user = request_user(self)
        sessions = validated_data.pop("sessions", [])
        with api_errors():
            template = template_create(created_by=user, **validated_data)
            add_sessions(template, sessions, user, "sessions")
        return template

    def update(self, instance: ProgramTemplate, validated_data: dict) -> ProgramTemplate:
        with api_errors():
            return template_update(
                template=instance, updated_by=request_user(self), **validated_data
            )


class DuplicateSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text='Default: "<name> (copy)".'
    )


# --- assignments ---------------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    """A program given to one athlete from a start date (its sessions are at /sessions/)."""

    template_name = serializers.CharField(source="template.name", read_only=True)
    team = serializers.IntegerField(
        source="team_assignment.team_id",
        read_only=True,
        allow_null=True,
        help_text="The team it was given to, if given to a team.",
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "athlete",
            "template",
            "template_name",
            "template_version",
            "team_assignment",
            "team",
            "start_date",
            "sessions_per_week",
            "weekdays",
            "min_gap_hours",
            "status",
            "reason",
            "created_at",
            "ended_at",
        ]
        read_only_fields = fields


class ScheduleOptionsSerializer(serializers.Serializer):
    """A program and how to lay it out on the calendar."""

    template = ScopedIdField(scope=templates_visible_to, help_text="Program id.")
    start_date = serializers.DateField()
    sessions_per_week = serializers.IntegerField(min_value=1, max_value=7, default=2)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        default=list,
        help_text="Preferred weekdays, 0 = Monday … 6 = Sunday; empty: any day.",
    )
    min_gap_hours = serializers.IntegerField(min_value=0, max_value=168, default=48)


class AssignSerializer(ScheduleOptionsSerializer):
    """Give a program to athletes and/or a whole team (whose later joiners get it too)."""

    athletes = ScopedIdField(
        scope=lambda user: athletes_writable_by(user).active(),
        many=True,
        required=False,
        help_text="Athlete ids the requester may change.",
    )
    team = ScopedIdField(
        scope=teams_assignable_by,
        required=False,
        allow_null=True,
        help_text="A team id: every active athlete on it, and later joiners.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ResumeSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="Resume from this day (default today).")


class PlannedSessionSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    week = serializers.IntegerField()
    date = serializers.DateField()
    name = serializers.CharField()


class PreviewSerializer(serializers.Serializer):
    sessions = PlannedSessionSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
