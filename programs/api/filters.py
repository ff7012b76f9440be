"""Query-string filters for the exercise library. They narrow a queryset that is already scoped
to the requester; they never widen it."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from athletes.api.filters import IdFilter
from programs.models import Category, Equipment, Exercise, Measurement, Muscle


class ExerciseFilter(filters.FilterSet):
    category = filters.ChoiceFilter(choices=Category.choices)
    muscle = filters.ChoiceFilter(
        choices=Muscle.choices, method="filter_muscle", help_text="Exercises that work it."
    )
    equipment = filters.ChoiceFilter(
        choices=Equipment.choices, method="filter_equipment", help_text="Exercises that use it."
    )
    measurement = filters.ChoiceFilter(choices=Measurement.choices)
    per_side = filters.BooleanFilter()
    organisation = IdFilter(field_name="organisation_id", help_text="Organisation id.")
    scope = filters.ChoiceFilter(
        choices=[("global", "Global library"), ("own", "The organisations' own")],
        method="filter_scope",
        help_text="global: the library shipped with Baseline; own: your organisations' own.",
    )

    class Meta:
        model = Exercise
        fields = ["category", "muscle", "equipment", "measurement", "per_side", "organisation"]

    def filter_muscle(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(muscle=value)

    def filter_equipment(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(equipment=value)

    def filter_scope(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(organisation__isnull=value == "global")
