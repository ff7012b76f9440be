"""Serializers for the exercise library. Writes go through programs.services."""

from __future__ import annotations

from rest_framework import serializers

from athletes.api.serializers import (
    OrganisationChangeMixin,
    ScopedPrimaryKeyRelatedField,
    api_errors,
    request_user,
)
from athletes.selectors import organisations_staffed_by
from programs.models import Exercise
from programs.services import exercise_create, exercise_update


class ExerciseSerializer(OrganisationChangeMixin, serializers.ModelSerializer):
    """An exercise: global (`organisation` null, read-only) or an organisation's own."""

    organisation = ScopedPrimaryKeyRelatedField(
        scope=organisations_staffed_by,
        allow_null=True,
        help_text="Null for the global library. Required on create: an organisation the "
        "requester is staff of (the global library is read-only).",
    )
    is_global = serializers.BooleanField(read_only=True)

    class Meta:
        model = Exercise
        fields = [
            "id",
            "organisation",
            "slug",
            "name",
            "description",
            "cues",
            "category",
            "muscles",
            "equipment",
            "measurement",
            "per_side",
            "source",
            "is_global",
        ]
        read_only_fields = ["slug"]

    def validate_organisation(self, organisation):
        if organisation is None:
            raise serializers.ValidationError(
                "Choose your organisation: the global library is read-only."
            )
        return organisation

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            self.check_organisation_unchanged(attrs, "exercise")
            organisation_id = self.instance.organisation_id
        else:
            organisation_id = attrs["organisation"].id
        name = attrs.get("name", "").strip()
        if name:
            clash = Exercise.objects.filter(organisation_id=organisation_id, name__iexact=name)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"name": f"Your library already has an exercise called {name}."}
                )
        return attrs

    def create(self, validated_data: dict) -> Exercise:
        with api_errors():
            return exercise_create(created_by=request_user(self), **validated_data)

    def update(self, instance: Exercise, validated_data: dict) -> Exercise:
        with api_errors():
            return exercise_update(
                exercise=instance, updated_by=request_user(self), **validated_data
            )
