"""Serializers for tests, baselines, test days, results and flags.

They check shape and scope (every id in a body must be one the requester may use, otherwise it
is an "Invalid pk" 400) and hand the write to assessments.services; a service ValidationError
becomes a 400 naming the field (for results: the side, "left", "right" or "both").
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from assessments.baselines import (
    RULES_DENIED,
    baseline_norms_set,
    baseline_set,
    may_set_rules,
    test_create,
    test_update,
)
from assessments.models import (
    Baseline,
    Flag,
    FlagEvent,
    Norm,
    Result,
    RuleKind,
    Test,
    TestDay,
)
from assessments.selectors import (
    baselines_visible_to,
    test_days_visible_to,
    tests_visible_to,
)
from athletes.api.serializers import (
    OrganisationChangeMixin,
    ScopedPrimaryKeyRelatedField,
    api_errors,
    request_user,
)
from athletes.selectors import (
    athletes_visible_to,
    organisations_staffed_by,
    organisations_visible_to,
    teams_visible_to,
)

MAX_BATCH_ROWS = 200


@extend_schema_field(OpenApiTypes.INT)
class ScopedIdField(ScopedPrimaryKeyRelatedField):
    """A scoped primary key in a serializer without a model (typed for the schema)."""


def _athletes_in_scope(user):
    return athletes_visible_to(user, include_archived=True)


# --- baselines ---------------------------------------------------------------------------------


class NormSerializer(serializers.ModelSerializer):
    """One row of a norm table: the expected value for a sex and an age band."""

    class Meta:
        model = Norm
        fields = ["sex", "age_min", "age_max", "value"]

    def validate(self, attrs: dict) -> dict:
        if attrs.get("age_max") is not None and attrs["age_max"] < attrs["age_min"]:
            raise serializers.ValidationError({"age_max": "Must not be below age_min."})
        return attrs


class BaselineSerializer(serializers.ModelSerializer):
    """A rule a result must meet: global (read-only), or an override of an organisation or one of
    its teams. Per kind, a team rule beats the organisation's, which beats the global one; an
    inactive override switches the kind off."""

    test = ScopedPrimaryKeyRelatedField(
        scope=tests_visible_to, help_text="A global test or one of the organisation's own."
    )
    organisation = ScopedPrimaryKeyRelatedField(
        scope=organisations_visible_to,
        allow_null=True,
        help_text="Null for a global rule (read-only). Required on create: an organisation "
        "where the requester is head coach or physio.",
    )
    team = ScopedPrimaryKeyRelatedField(
        scope=teams_visible_to,
        required=False,
        allow_null=True,
        help_text="Optional: the override applies to this team of the organisation only.",
    )
    scope = serializers.ChoiceField(
        choices=["global", "organisation", "team"], read_only=True, help_text="Where it applies."
    )
    norms = NormSerializer(
        many=True,
        required=False,
        help_text="Rows of a norm table (kind norm). Sent on a change, they replace all rows.",
    )

    class Meta:
        model = Baseline
        fields = [
            "id",
            "test",
            "organisation",
            "team",
            "scope",
            "kind",
            "comparator",
            "value",
            "active",
            "note",
            "norms",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = ["updated_at", "updated_by"]
        validators = []  # one rule per kind and scope: checked in validate() to name `kind`

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in ("test", "organisation"):
                fields[name].required = False
        return fields

    def validate_organisation(self, organisation):
        if organisation is None:
            raise serializers.ValidationError(
                "Choose your organisation: the global rules are read-only."
            )
        if not may_set_rules(request_user(self), organisation.id):
            raise PermissionDenied(RULES_DENIED)
        return organisation

    def validate(self, attrs: dict) -> dict:
        """Immutable scope, one rule per kind and scope; the rest is checked by baseline_set."""
        instance = self.instance
        if instance is not None:
            for name in ("test", "organisation", "team", "kind"):
                if name in attrs and attrs[name] != getattr(instance, name):
                    raise serializers.ValidationError(
                        {name: "Cannot change; delete this override and add another instead."}
                    )
        active = attrs.get("active", instance.active if instance else True)
        kind = attrs.get("kind", instance.kind if instance else None)
        if kind == RuleKind.NORM and active and attrs.get("norms") == []:
            raise serializers.ValidationError({"norms": "A norm rule needs its norm rows."})
        if instance is not None:
            return attrs
        test, team = attrs["test"], attrs.get("team")
        same_scope = Baseline.objects.filter(
            test=test, kind=kind, organisation=attrs["organisation"], team=team
        )
        if same_scope.exists():
            where = f"team {team.name}" if team else "this organisation"
            raise serializers.ValidationError(
                {"kind": f"{test.name} already has a {kind} rule for {where}; change that one."}
            )
        return attrs

    def create(self, validated_data: dict) -> Baseline:
        norms = validated_data.pop("norms", None)
        user = request_user(self)
        with api_errors():
            baseline = baseline_set(set_by=user, **validated_data)
            if norms is not None:
                baseline_norms_set(baseline=baseline, norms=norms, set_by=user)
        return baseline

    def update(self, instance: Baseline, validated_data: dict) -> Baseline:
        """baseline_set on the override's own scope and kind. Norms not sent are kept (it would
        otherwise copy the broader rule's table over them)."""
        user = request_user(self)
        norms = validated_data.get("norms")
        if norms is None and instance.kind == RuleKind.NORM:
            norms = list(instance.norms.values("sex", "age_min", "age_max", "value")) or None
        fields = {
            name: validated_data.get(name, getattr(instance, name))
            for name in ("comparator", "value", "active", "note")
        }
        with api_errors():
            baseline = baseline_set(
                test=instance.test,
                organisation=instance.organisation,
                team=instance.team,
                kind=instance.kind,
                set_by=user,
                **fields,
            )
            if norms is not None:
                baseline_norms_set(baseline=baseline, norms=norms, set_by=user)
        return baseline


# --- tests -------------------------------------------------------------------------------------


class TestSerializer(OrganisationChangeMixin, serializers.ModelSerializer):
    """A test of the catalogue (global, read-only) or an organisation's own, with the rules that
    apply to it: the global ones and the requester's organisations' overrides."""

    __test__ = False  # not a pytest test class

    organisation = ScopedPrimaryKeyRelatedField(
        scope=organisations_staffed_by,
        allow_null=True,
        help_text="Null for the shipped catalogue. Required on create: an organisation the "
        "requester is staff of (the catalogue is read-only).",
    )
    is_global = serializers.SerializerMethodField(help_text="Shipped with Baseline (read-only).")
    sides = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text='The keys of a result\'s trials: ["left", "right"] or ["both"].',
    )
    baselines = serializers.SerializerMethodField(
        help_text="The global rules and the requester's organisations' overrides for this test."
    )

    class Meta:
        model = Test
        fields = [
            "id",
            "organisation",
            "slug",
            "name",
            "protocol",
            "unit",
            "per_side",
            "sides",
            "trials",
            "combine",
            "higher_is_better",
            "plausible_min",
            "plausible_max",
            "decimals",
            "measurement_error",
            "citation",
            "is_global",
            "baselines",
        ]
        read_only_fields = ["slug"]
        validators = []  # test_create makes the slug unique
        extra_kwargs = {
            "decimals": {"max_value": 2},
            "measurement_error": {"min_value": Decimal(0)},
        }

    def get_is_global(self, test: Test) -> bool:
        return test.organisation_id is None

    @extend_schema_field(BaselineSerializer(many=True))
    def get_baselines(self, test: Test) -> list[dict]:
        baselines = getattr(test, "visible_baselines", None)
        if baselines is None:
            baselines = (
                baselines_visible_to(request_user(self)).filter(test=test).prefetch_related("norms")
            )
        return BaselineSerializer(baselines, many=True, context=self.context).data

    def validate_organisation(self, organisation):
        if organisation is None:
            raise serializers.ValidationError(
                "Choose your organisation: the catalogue is read-only."
            )
        return organisation

    def validate(self, attrs: dict) -> dict:
        instance = self.instance
        if instance is not None:
            self.check_organisation_unchanged(attrs, "test")
            organisation_id = instance.organisation_id
        else:
            organisation_id = attrs["organisation"].id
        low = attrs.get("plausible_min", getattr(instance, "plausible_min", Decimal(0)))
        high = attrs.get("plausible_max", getattr(instance, "plausible_max", None))
        if high is not None and low is not None and high <= low:
            raise serializers.ValidationError(
                {"plausible_max": f"Must be greater than plausible_min ({low.normalize():f})."}
            )
        if (
            instance is not None
            and "per_side" in attrs
            and attrs["per_side"] != instance.per_side
            and instance.results.exists()
        ):
            raise serializers.ValidationError(
                {"per_side": "Results are recorded for this test; add a new test instead."}
            )
        name = attrs.get("name", "").strip()
        if name:
            clash = Test.objects.filter(organisation_id=organisation_id, name__iexact=name)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"name": f"Your organisation already has a test called {name}."}
                )
        return attrs

    def create(self, validated_data: dict) -> Test:
        with api_errors():
            return test_create(created_by=request_user(self), **validated_data)

    def update(self, instance: Test, validated_data: dict) -> Test:
        with api_errors():
            return test_update(test=instance, updated_by=request_user(self), **validated_data)


# --- test days and results ---------------------------------------------------------------------


class TestDaySerializer(serializers.ModelSerializer):
    """A team tested together on one day. Created by the club's staff."""

    __test__ = False

    test = ScopedPrimaryKeyRelatedField(scope=tests_visible_to, help_text="Test id.")
    team = ScopedPrimaryKeyRelatedField(
        scope=teams_visible_to, help_text="The team being tested (one the requester sees)."
    )
    result_count = serializers.SerializerMethodField(help_text="Results recorded on the day.")

    class Meta:
        model = TestDay
        fields = [
            "id",
            "organisation",
            "team",
            "test",
            "date",
            "notes",
            "result_count",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["organisation", "created_by", "created_at"]

    def get_result_count(self, test_day: TestDay) -> int:
        count = getattr(test_day, "result_count", None)
        return test_day.results.count() if count is None else count

    def create(self, validated_data: dict) -> TestDay:
        from assessments.services import test_day_create

        with api_errors():
            return test_day_create(created_by=request_user(self), **validated_data)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "number"}},
        "example": {"left": [22, 24], "right": [28]},
    }
)
class TrialsField(serializers.JSONField):
    """The trials per side: {"left": [..], "right": [..]} or {"both": [..]}; checked by the
    service against the test (sides, number of trials, plausible range)."""


class ResultSerializer(serializers.ModelSerializer):
    """One athlete's result on a test. `passed` and `reasons` stay null/empty until a worker has
    evaluated the result against its baselines (usually within seconds)."""

    athlete = ScopedPrimaryKeyRelatedField(scope=_athletes_in_scope, help_text="Athlete id.")
    test = ScopedPrimaryKeyRelatedField(scope=tests_visible_to, help_text="Test id.")
    trials = TrialsField(help_text='{"left": [22, 24], "right": [28]} or {"both": [310]}.')
    date = serializers.DateField(required=False, help_text="Defaults to today.")
    client_uuid = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Made on the device; sending the same result again returns the original.",
    )

    class Meta:
        model = Result
        fields = [
            "id",
            "athlete",
            "test",
            "test_day",
            "date",
            "trials",
            "left",
            "right",
            "both",
            "lsi",
            "passed",
            "reasons",
            "evaluated_at",
            "recorded_by",
            "recorded_at",
            "notes",
            "client_uuid",
        ]
        read_only_fields = [
            "test_day",
            "left",
            "right",
            "both",
            "lsi",
            "passed",
            "reasons",
            "evaluated_at",
            "recorded_by",
            "recorded_at",
        ]
        validators = []  # a reused client_uuid is a replay or a conflict: result_record decides

    def create(self, validated_data: dict) -> Result:
        """Stores through services.result_record; `self.created` is False for a replay."""
        from assessments.services import result_record

        with api_errors():
            result, self.created = result_record(recorded_by=request_user(self), **validated_data)
        return result


class ResultRowSerializer(serializers.Serializer):
    """One row of a test day's grid."""

    athlete = ScopedIdField(scope=_athletes_in_scope, help_text="Athlete id.")
    trials = TrialsField(help_text='{"left": [22], "right": [25]} or {"both": [310]}.')
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    client_uuid = serializers.UUIDField(required=False, allow_null=True, default=None)


@extend_schema_field(ResultRowSerializer(many=True))
class RowsField(serializers.ListField):
    """The grid's rows; each is checked by ResultRowSerializer (errors keyed by row index)."""


class ResultBatchSerializer(serializers.Serializer):
    """A test day's results: name an existing test day, or give test, team and date to start
    one. All rows are stored or none."""

    test_day = ScopedIdField(
        scope=test_days_visible_to, required=False, help_text="An existing test day."
    )
    test = ScopedIdField(
        scope=tests_visible_to, required=False, help_text="With team and date: a new test day."
    )
    team = ScopedIdField(scope=teams_visible_to, required=False, help_text="The team being tested.")
    date = serializers.DateField(required=False, help_text="The day of the new test day.")
    notes = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="For a new day."
    )
    rows = RowsField(
        child=serializers.DictField(),
        allow_empty=False,
        max_length=MAX_BATCH_ROWS,
        help_text=f"At most {MAX_BATCH_ROWS} rows. Errors are keyed by row index: "
        '{"rows": {"3": {"left": ["…"]}}}.',
    )

    def validate_rows(self, rows: list[dict]) -> list[dict]:
        clean, errors, seen = [], {}, {}
        for index, raw in enumerate(rows):
            row = ResultRowSerializer(data=raw, context=self.context)
            if not row.is_valid():
                errors[str(index)] = row.errors
                continue
            athlete = row.validated_data["athlete"]
            if athlete.id in seen:
                errors[str(index)] = {
                    "athlete": [f"This athlete already has row {seen[athlete.id]}."]
                }
                continue
            seen[athlete.id] = index
            clean.append(row.validated_data)
        if errors:
            raise serializers.ValidationError(errors)
        return clean

    def validate(self, attrs: dict) -> dict:
        new_day = [name for name in ("test", "team", "date") if name in attrs]
        if "test_day" in attrs:
            if new_day:
                raise serializers.ValidationError(
                    {new_day[0]: "Send either test_day or test, team and date, not both."}
                )
            return attrs
        if not new_day:
            raise serializers.ValidationError(
                {"test_day": "Send test_day, or test, team and date to start a test day."}
            )
        missing = [name for name in ("test", "team", "date") if name not in attrs]
        if missing:
            raise serializers.ValidationError(dict.fromkeys(missing, "Needed to start a test day."))
        return attrs


class ResultBatchResponseSerializer(serializers.Serializer):
    test_day = TestDaySerializer()
    results = ResultSerializer(many=True)


# --- flags -------------------------------------------------------------------------------------


class FlagEventSerializer(serializers.ModelSerializer):
    """A change of a flag; `by` is null when the system made it."""

    class Meta:
        model = FlagEvent
        fields = ["from_status", "to_status", "by", "at", "note"]


class FlagProtocolSerializer(serializers.Serializer):
    """The program the athlete was put on."""

    id = serializers.IntegerField()
    template_name = serializers.CharField(source="template.name")
    start_date = serializers.DateField()
    status = serializers.CharField()


class FlagSerializer(serializers.ModelSerializer):
    """An athlete who needs attention, followed from open through the protocol and the retest to
    resolved (or dismissed with a reason). Read-only: change it with the dismiss and resolve
    actions."""

    protocol = FlagProtocolSerializer(read_only=True, allow_null=True)
    events = FlagEventSerializer(many=True, read_only=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "athlete",
            "kind",
            "test",
            "result",
            "status",
            "reasons",
            "protocol",
            "retest_due",
            "resolved_by",
            "resolution",
            "created_at",
            "updated_at",
            "events",
        ]
        read_only_fields = fields


class FlagDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        help_text="Why the flag is closed without a passing retest (kept on the flag).",
        error_messages={
            "required": "Say why the flag is dismissed.",
            "blank": "Say why the flag is dismissed.",
        },
    )


class FlagResolveSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Optional."
    )


class FlagConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ResultConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    original = serializers.IntegerField(help_text="The id of the result stored first.")
    row = serializers.CharField(required=False, help_text="Batch only: the row index.")
