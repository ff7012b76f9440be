"""Query-string filters for the team and athlete lists. They narrow a queryset that is already
scoped to the requester; they never widen it."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from athletes.models import Athlete, Sex, Side, Team


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """An integer id (a decimal like 1.5 is a 400, not silently truncated)."""

    field_class = forms.IntegerField


class TeamFilter(filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id", help_text="Organisation id.")

    class Meta:
        model = Team
        fields = ["organisation"]


class AthleteFilter(filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id", help_text="Organisation id.")
    team = IdFilter(field_name="teams", help_text="Team id: athletes on that team.")
    sex = filters.ChoiceFilter(choices=Sex.choices)
    position = filters.CharFilter(lookup_expr="iexact", help_text="Position (any case).")
    dominant_side = filters.ChoiceFilter(choices=Side.choices)
    archived = filters.BooleanFilter(
        method="filter_archived",
        help_text="true: only archived athletes; false: only active ones. "
        "Giving it implies include_archived.",
    )

    class Meta:
        model = Athlete
        fields = ["organisation", "team", "sex", "position", "dominant_side", "archived"]

    def filter_archived(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(archived_at__isnull=not value)
