"""Query-string filters for tests, baselines, test days, results and flags. They narrow a queryset
that is already scoped to the requester; they never widen it."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from assessments.models import (
    CLOSED,
    Baseline,
    Flag,
    FlagKind,
    FlagStatus,
    Result,
    RuleKind,
    Test,
    TestDay,
)
from athletes.api.filters import IdFilter


class TestFilter(filters.FilterSet):
    __test__ = False  # not a pytest test class

    organisation = IdFilter(field_name="organisation_id", help_text="Organisation id.")
    per_side = filters.BooleanFilter(help_text="true: tested per leg; false: both feet at once.")
    unit = filters.CharFilter(lookup_expr="iexact", help_text="Unit (any case), e.g. reps, cm.")
    scope = filters.ChoiceFilter(
        choices=[("global", "The catalogue"), ("own", "The organisations' own")],
        method="filter_scope",
        help_text="global: the catalogue shipped with Baseline; own: your organisations' tests.",
    )

    class Meta:
        model = Test
        fields = ["organisation", "per_side", "unit", "scope"]

    def filter_scope(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(organisation__isnull=value == "global")


class BaselineFilter(filters.FilterSet):
    test = IdFilter(field_name="test_id", help_text="Test id.")
    organisation = IdFilter(field_name="organisation_id", help_text="Organisation id.")
    team = IdFilter(field_name="team_id", help_text="Team id.")
    kind = filters.ChoiceFilter(choices=RuleKind.choices)
    scope = filters.ChoiceFilter(
        choices=[
            ("global", "Global"),
            ("organisation", "Organisation-wide override"),
            ("team", "Team override"),
        ],
        method="filter_scope",
        help_text="global: shipped rules; organisation: an organisation's overrides; "
        "team: a team's overrides.",
    )

    class Meta:
        model = Baseline
        fields = ["test", "organisation", "team", "kind", "scope"]

    def filter_scope(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "global":
            return queryset.filter(organisation__isnull=True)
        if value == "organisation":
            return queryset.filter(organisation__isnull=False, team__isnull=True)
        return queryset.filter(team__isnull=False)


class TestDayFilter(filters.FilterSet):
    __test__ = False

    test = IdFilter(field_name="test_id", help_text="Test id.")
    team = IdFilter(field_name="team_id", help_text="Team id.")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after.")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="On or before.")

    class Meta:
        model = TestDay
        fields = ["test", "team", "date_from", "date_to"]


class ResultFilter(filters.FilterSet):
    athlete = IdFilter(field_name="athlete_id", help_text="Athlete id.")
    test = IdFilter(field_name="test_id", help_text="Test id.")
    test_day = IdFilter(field_name="test_day_id", help_text="Test day id.")
    team = IdFilter(field_name="athlete__teams", help_text="Team id: results of its athletes.")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after.")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="On or before.")
    passed = filters.BooleanFilter(
        help_text="true: passed; false: failed. Results not evaluated yet match neither."
    )

    class Meta:
        model = Result
        fields = ["athlete", "test", "test_day", "team", "date_from", "date_to", "passed"]


class FlagFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=FlagStatus.choices, help_text="Repeat to match any: ?status=open&status=retest_due"
    )
    kind = filters.ChoiceFilter(choices=FlagKind.choices)
    test = IdFilter(field_name="test_id", help_text="Test id.")
    team = IdFilter(field_name="athlete__teams", help_text="Team id: flags of its athletes.")
    athlete = IdFilter(field_name="athlete_id", help_text="Athlete id.")
    open = filters.BooleanFilter(
        method="filter_open",
        help_text="true: flags still needing attention (not resolved or dismissed); "
        "false: closed flags.",
    )
    retest_due_before = filters.DateFilter(
        field_name="retest_due", lookup_expr="lte", help_text="Retest due on or before this date."
    )

    class Meta:
        model = Flag
        fields = ["status", "kind", "test", "team", "athlete", "open", "retest_due_before"]

    def filter_open(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        closed = Q(status__in=CLOSED)
        return queryset.exclude(closed) if value else queryset.filter(closed)
