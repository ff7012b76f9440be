"""Query-string filters for programs, assignments, scheduled sessions and logged sets. They
narrow a queryset that is already scoped to the requester; they never widen it."""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework.filters import OrderingFilter

from athletes.api.filters import IdFilter
from programs.models import (
    Assignment,
    AssignmentStatus,
    LoggedSet,
    Prescription,
    ProgramTemplate,
    ScheduledSession,
    SessionStatus,
    TemplateSession,
)


class ProgramFilter(filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id", help_text="Organisation id.")

    class Meta:
        model = ProgramTemplate
        fields = ["organisation"]


class ProgramSessionFilter(filters.FilterSet):
    template = IdFilter(field_name="template_id", help_text="Program id.")

    class Meta:
        model = TemplateSession
        fields = ["template"]


class PrescriptionFilter(filters.FilterSet):
    session = IdFilter(field_name="session_id", help_text="Program session id.")
    template = IdFilter(field_name="session__template_id", help_text="Program id.")

    class Meta:
        model = Prescription
        fields = ["session", "template"]


class AssignmentFilter(filters.FilterSet):
    athlete = IdFilter(field_name="athlete_id", help_text="Athlete id.")
    template = IdFilter(field_name="template_id", help_text="Program id.")
    status = filters.ChoiceFilter(choices=AssignmentStatus.choices)
    team_assignment = IdFilter(
        field_name="team_assignment_id", help_text="Team assignment id: one team's copies."
    )

    class Meta:
        model = Assignment
        fields = ["athlete", "template", "status", "team_assignment"]


class ScheduledSessionFilter(filters.FilterSet):
    athlete = IdFilter(field_name="athlete_id", help_text="Athlete id.")
    assignment = IdFilter(field_name="assignment_id", help_text="Assignment id.")
    status = filters.ChoiceFilter(choices=SessionStatus.choices)
    date_from = filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text="Sessions on or after this date."
    )
    date_to = filters.DateFilter(
        field_name="date", lookup_expr="lte", help_text="Sessions on or before this date."
    )

    class Meta:
        model = ScheduledSession
        fields = ["athlete", "assignment", "status", "date_from", "date_to"]


class LoggedSetFilter(filters.FilterSet):
    athlete = IdFilter(field_name="athlete_id", help_text="Athlete id.")
    session = IdFilter(field_name="session_id", help_text="Scheduled session id.")
    exercise = IdFilter(field_name="exercise_id", help_text="Exercise id.")
    performed_after = filters.IsoDateTimeFilter(
        field_name="performed_at",
        lookup_expr="gte",
        help_text="Sets performed at or after this moment (ISO 8601).",
    )
    performed_before = filters.IsoDateTimeFilter(
        field_name="performed_at",
        lookup_expr="lt",
        help_text="Sets performed before this moment (ISO 8601).",
    )

    class Meta:
        model = LoggedSet
        fields = ["athlete", "session", "exercise", "performed_after", "performed_before"]


class TiebreakOrderingFilter(OrderingFilter):
    """Ordering that always ends with the id, so a cursor over equal times stays stable."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering
