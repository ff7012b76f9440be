"""Serializers for organisations, teams and athletes.

They validate shape and scope (every primary key in a body must be one the requester may use)
and hand the write to athletes.services; a model or service ValidationError becomes a 400 that
names the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from athletes.models import Athlete, Organisation, Role, Team
from athletes.selectors import (
    organisations_staffed_by,
    organisations_visible_to,
    role_in,
    sees_medical_notes,
    teams_assignable_by,
)
from athletes.services import (
    athlete_create,
    athlete_update,
    organisation_update,
    team_create,
    team_update,
)

MEDICAL_NOTES_DENIED = "Only physios and the head coach may write medical notes."


# --- shared helpers (the programs API uses them too) -------------------------------------------


def drf_error_detail(exc: DjangoValidationError) -> dict | list:
    """A Django ValidationError as DRF error detail: {field: [messages]}, `__all__` renamed."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}


@contextmanager
def api_errors(*, atomic: bool = True) -> Iterator[None]:
    """Run a write atomically; its ValidationError (or a lost unique race) becomes a 400 and
    nothing of it is kept. `atomic=False` for a service that is atomic on its own (one insert):
    it then needs no savepoint inside this transaction."""
    try:
        with transaction.atomic() if atomic else nullcontext():
            yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(drf_error_detail(exc)) from exc
    except IntegrityError as exc:
        raise serializers.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: ["This conflicts with an existing record."]}
        ) from exc


def request_user(serializer: serializers.Field):
    request = serializer.context.get("request")
    return request.user if request is not None else AnonymousUser()


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key from `scope(user)`; any other id (foreign or missing) is "Invalid pk"."""

    def __init__(self, *, scope: Callable, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(request_user(self))


class OrganisationChangeMixin:
    """On update the organisation may be left out; it can never change."""

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and "organisation" in fields:
            fields["organisation"].required = False
        return fields

    def check_organisation_unchanged(self, attrs: dict, noun: str) -> None:
        organisation = attrs.pop("organisation", None)
        if organisation is not None and organisation.id != self.instance.organisation_id:
            raise serializers.ValidationError(
                {"organisation": f"A {noun} cannot move to another organisation."}
            )


# --- organisations -----------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    """An organisation (club) with the requester's role in it. Only the name can change."""

    role = serializers.SerializerMethodField(help_text="The requester's role in the organisation.")

    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "role"]
        read_only_fields = ["slug"]

    @extend_schema_field(serializers.ChoiceField(choices=Role.choices))
    def get_role(self, organisation: Organisation) -> str | None:
        return role_in(request_user(self), organisation.id)

    def update(self, instance: Organisation, validated_data: dict) -> Organisation:
        with api_errors():
            return organisation_update(
                organisation=instance,
                updated_by=request_user(self),
                name=validated_data.get("name", instance.name),
            )


# --- teams -------------------------------------------------------------------------------------


class TeamSerializer(OrganisationChangeMixin, serializers.ModelSerializer):
    """A team of an organisation, with its number of active athletes and its coaches."""

    organisation = ScopedPrimaryKeyRelatedField(
        scope=organisations_visible_to,
        help_text="Required on create: an organisation the requester is head coach of.",
    )
    athlete_count = serializers.SerializerMethodField(help_text="Active athletes on the team.")
    coaches = serializers.SerializerMethodField(help_text="User ids of the team's coaches.")

    class Meta:
        model = Team
        fields = ["id", "organisation", "name", "sport", "athlete_count", "coaches"]

    def get_athlete_count(self, team: Team) -> int:
        count = getattr(team, "athlete_count", None)
        return team.athletes.active().count() if count is None else count

    def get_coaches(self, team: Team) -> list[int]:
        return [membership.user_id for membership in team.coach_memberships.all()]

    def validate_organisation(self, organisation: Organisation) -> Organisation:
        if role_in(request_user(self), organisation.id) != Role.OWNER:
            raise serializers.ValidationError("Only the head coach of the organisation adds teams.")
        return organisation

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            self.check_organisation_unchanged(attrs, "team")
            organisation_id = self.instance.organisation_id
        else:
            organisation_id = attrs["organisation"].id
        name = attrs.get("name", "").strip()
        if name:
            clash = Team.objects.filter(organisation_id=organisation_id, name__iexact=name)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"name": f"The organisation already has a team called {name}."}
                )
        return attrs

    def create(self, validated_data: dict) -> Team:
        with api_errors():
            return team_create(**validated_data)

    def update(self, instance: Team, validated_data: dict) -> Team:
        with api_errors():
            return team_update(
                team=instance,
                updated_by=request_user(self),
                name=validated_data.get("name"),
                sport=validated_data.get("sport"),
            )


# --- athletes ----------------------------------------------------------------------------------


class AthleteSerializer(OrganisationChangeMixin, serializers.ModelSerializer):
    """An athlete's profile. `medical_notes` is present only for physios and the head coach."""

    organisation = ScopedPrimaryKeyRelatedField(
        scope=organisations_staffed_by,
        help_text="Required on create: an organisation the requester is staff of.",
    )
    teams = ScopedPrimaryKeyRelatedField(
        scope=teams_assignable_by,
        many=True,
        required=False,
        help_text="Team ids; only teams the requester may put athletes on.",
    )
    age = serializers.SerializerMethodField(help_text="Age in whole years today.")
    has_login = serializers.SerializerMethodField(help_text="The athlete has a user account.")
    medical_notes = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Present only for physios and the head coach; only they may write it.",
    )

    class Meta:
        model = Athlete
        fields = [
            "id",
            "organisation",
            "first_name",
            "last_name",
            "email",
            "date_of_birth",
            "age",
            "sex",
            "sport",
            "position",
            "dominant_side",
            "body_mass_kg",
            "notes",
            "medical_notes",
            "teams",
            "has_login",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["archived_at", "created_at", "updated_at"]

    def get_age(self, athlete: Athlete) -> int | None:
        return athlete.age_on(timezone.localdate())

    def get_has_login(self, athlete: Athlete) -> bool:
        return athlete.user_id is not None

    def to_representation(self, athlete: Athlete) -> dict:
        data = super().to_representation(athlete)
        if not sees_medical_notes(request_user(self), athlete.organisation_id):
            data.pop("medical_notes", None)
        return data

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None:
            self.check_organisation_unchanged(attrs, "athlete")
            organisation_id = self.instance.organisation_id
        else:
            organisation_id = attrs["organisation"].id
        if "medical_notes" in attrs and not sees_medical_notes(request_user(self), organisation_id):
            raise serializers.ValidationError({"medical_notes": MEDICAL_NOTES_DENIED})
        if any(team.organisation_id != organisation_id for team in attrs.get("teams", [])):
            raise serializers.ValidationError(
                {"teams": "Every team must belong to the athlete's organisation."}
            )
        email = attrs.get("email", "").strip()
        if email:
            clash = Athlete.objects.filter(organisation_id=organisation_id, email__iexact=email)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"email": "Another athlete of the organisation uses this email address."}
                )
        return attrs

    def create(self, validated_data: dict) -> Athlete:
        with api_errors():
            return athlete_create(created_by=request_user(self), **validated_data)

    def update(self, instance: Athlete, validated_data: dict) -> Athlete:
        with api_errors():
            return athlete_update(athlete=instance, updated_by=request_user(self), **validated_data)


class AthleteInviteSerializer(serializers.Serializer):
    """The address an invite goes (or went) to."""

    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text="Where to send the invite; defaults to the athlete's email address.",
    )
