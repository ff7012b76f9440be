"""Query-string filters for check-ins; they narrow a queryset already scoped to the requester."""

from __future__ import annotations

from django_filters import rest_framework as filters

from athletes.api.filters import IdFilter

from ..models import CheckIn


class CheckInFilter(filters.FilterSet):
    athlete = IdFilter(field_name="athlete_id", help_text="Athlete id.")
    date_from = filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text="Check-ins on or after this date."
    )
    date_to = filters.DateFilter(
        field_name="date", lookup_expr="lte", help_text="Check-ins on or before this date."
    )

    class Meta:
        model = CheckIn
        fields = ["athlete", "date_from", "date_to"]
