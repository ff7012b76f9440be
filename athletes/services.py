"""Writes for organisations, teams, memberships and athletes. Views, the API, the CSV import and
tasks all come here; nothing else creates or changes these rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from config.celery import enqueue_on_commit
from webhooks import emit as webhooks

from .models import Athlete, Membership, Organisation, Role, Team, User, normalize_email
from .selectors import forget_memberships, sees_medical_notes, teams_assignable_by

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "date_of_birth",
    "sex",
    "sport",
    "position",
    "dominant_side",
    "body_mass_kg",
    "notes",
    "medical_notes",
)


@transaction.atomic
def organisation_create(*, name: str, owner: User) -> Organisation:
    base = slugify(name)[:50] or "club"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    organisation = Organisation.objects.create(name=name, slug=slug)
    Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
    forget_memberships(owner)
    return organisation


def team_create(*, organisation: Organisation, name: str, sport: str = "") -> Team:
    team = Team(organisation=organisation, name=name.strip(), sport=sport)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def membership_set(
    *, organisation: Organisation, user: User, role: str, teams: Iterable[Team] = ()
) -> Membership:
    """Give the user a role in the organisation (and, for coaches, the teams they coach)."""
    teams = list(teams)
    if any(team.organisation_id != organisation.id for team in teams):
        raise ValidationError({"teams": "Every team must belong to the organisation."})
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    membership.teams.set(teams if role == Role.COACH else [])
    forget_memberships(user)
    return membership


def _check_teams(*, user: User, organisation: Organisation, teams: Iterable[Team]) -> list[Team]:
    teams = list(teams)
    allowed = set(teams_assignable_by(user, organisation=organisation).values_list("id", flat=True))
    unknown = [team for team in teams if team.id not in allowed]
    if unknown:
        raise ValidationError({"teams": f"Unknown team: {unknown[0].name}."})
    return teams


def _validate_profile(athlete: Athlete) -> None:
    """Field checks and the one constraint that needs the database (email per club). The
    database enforces every constraint again on save; checking each here would cost a query."""
    athlete.full_clean(exclude=["user", "organisation"], validate_constraints=False)
    email = normalize_email(athlete.email)
    if email and (
        Athlete.objects.filter(organisation_id=athlete.organisation_id, email__iexact=email)
        .exclude(pk=athlete.pk)
        .exists()
    ):
        constraint = next(
            c for c in Athlete._meta.constraints if c.name == "athlete_email_unique_in_organisation"
        )
        raise ValidationError({"email": constraint.violation_error_message})


@transaction.atomic
def athlete_create(
    *, organisation: Organisation, created_by: User, teams: Iterable[Team] = (), **profile
) -> Athlete:
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown athlete fields: {sorted(unknown)}")
    if profile.get("medical_notes") and not sees_medical_notes(created_by, organisation.id):
        raise PermissionDenied("Only physios and the head coach write medical notes.")
    teams = _check_teams(user=created_by, organisation=organisation, teams=teams)
    athlete = Athlete(organisation=organisation, **profile)
    _validate_profile(athlete)
    athlete.save()
    athlete.teams.set(teams)
    _team_programs_sync(athlete)
    webhooks.athlete_created(athlete)
    return athlete


def _team_programs_sync(athlete: Athlete) -> None:
    """Programs given to a team follow its members (programs.services.assignments says how)."""
    from programs.services import team_assignments_sync

    team_assignments_sync(athlete=athlete)


@transaction.atomic
def athlete_update(
    *, athlete: Athlete, updated_by: User, teams: Iterable[Team] | None = None, **changes
) -> Athlete:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown athlete fields: {sorted(unknown)}")
    if "medical_notes" in changes and not sees_medical_notes(updated_by, athlete.organisation_id):
        raise PermissionDenied("Only physios and the head coach write medical notes.")
    athlete = Athlete.objects.select_for_update().get(pk=athlete.pk)
    judged_by = _rules_inputs(athlete)
    for field, value in changes.items():
        setattr(athlete, field, value)
    _validate_profile(athlete)
    athlete.save()
    if teams is not None:
        teams = _check_teams(user=updated_by, organisation=athlete.organisation, teams=teams)
        # A coach may only move athletes between their own teams; other teams stay as they were.
        assignable = set(
            teams_assignable_by(updated_by, organisation=athlete.organisation).values_list(
                "id", flat=True
            )
        )
        kept = [t for t in athlete.teams.all() if t.id not in assignable]
        athlete.teams.set([*kept, *teams])
        _team_programs_sync(athlete)
    if _rules_inputs(athlete) != judged_by:
        athlete.rules_changed_at = timezone.now()
        athlete.save(update_fields=["rules_changed_at"])
        _results_reevaluate(athlete)
    return athlete


def _rules_inputs(athlete: Athlete) -> tuple:
    """What chooses and judges the athlete's baselines: their teams (team overrides), date of
    birth and sex (age and sex norms)."""
    teams = frozenset(athlete.teams.values_list("id", flat=True))
    return teams, athlete.date_of_birth, athlete.sex


def _results_reevaluate(athlete: Athlete) -> None:
    """Results follow the rules that now apply (assessments.services says how)."""
    from assessments.services import athlete_results_reevaluate

    athlete_results_reevaluate(athlete=athlete)


def athlete_archive(*, athlete: Athlete, archived_by: User) -> Athlete:
    """Hide the athlete from active lists; their history stays."""
    if athlete.archived_at is None:
        athlete.archived_at = timezone.now()
        athlete.save(update_fields=["archived_at", "updated_at"])
    return athlete


def athlete_restore(*, athlete: Athlete, restored_by: User) -> Athlete:
    if athlete.archived_at is not None:
        athlete.archived_at = None
        athlete.save(update_fields=["archived_at", "updated_at"])
    return athlete


@transaction.atomic
def athlete_invite(*, athlete: Athlete, invited_by: User, email: str = "") -> User:
    """Give the athlete a login (no password yet) and email them a link to set one."""
    email = normalize_email(email or athlete.email)
    if not email:
        raise ValidationError({"email": "An email address is needed to invite the athlete."})
    if athlete.user_id and athlete.user.has_usable_password():
        raise ValidationError({"email": "This athlete already has a login."})
    if email != athlete.email:
        athlete = athlete_update(athlete=athlete, updated_by=invited_by, email=email)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, None, first_name=athlete.first_name, last_name=athlete.last_name
        )
    if (
        Athlete.objects.filter(organisation=athlete.organisation, user=user)
        .exclude(pk=athlete.pk)
        .exists()
    ):
        raise ValidationError({"email": "Another athlete of the club already uses this login."})
    if not Membership.objects.filter(user=user, organisation=athlete.organisation).exists():
        Membership.objects.create(user=user, organisation=athlete.organisation, role=Role.ATHLETE)
    athlete.user = user
    athlete.save(update_fields=["user", "updated_at"])
    from .tasks import athlete_send_invite

    enqueue_on_commit(athlete_send_invite, athlete.id, invited_by.id)
    return user


def _require_owner(user: User, organisation_id: int) -> None:
    from .selectors import role_in

    if role_in(user, organisation_id) != Role.OWNER:
        raise PermissionDenied("Only the head coach changes the club and its teams.")


def organisation_update(*, organisation: Organisation, updated_by: User, name: str) -> Organisation:
    _require_owner(updated_by, organisation.id)
    organisation.name = name.strip()
    organisation.full_clean()
    organisation.save(update_fields=["name"])
    return organisation


@transaction.atomic
def team_update(
    *,
    team: Team,
    updated_by: User,
    name: str | None = None,
    sport: str | None = None,
    coaches: Iterable[Membership] | None = None,
) -> Team:
    """Rename the team and, when `coaches` is given, set exactly who coaches it."""
    _require_owner(updated_by, team.organisation_id)
    team = Team.objects.select_for_update().get(pk=team.pk)
    if name is not None:
        team.name = name.strip()
    if sport is not None:
        team.sport = sport.strip()
    team.full_clean()
    team.save()
    if coaches is not None:
        chosen = {m.pk for m in coaches}
        candidates = Membership.objects.filter(organisation_id=team.organisation_id)
        if (
            candidates.filter(pk__in=chosen).exclude(role=Role.COACH).exists()
            or len(chosen) != candidates.filter(pk__in=chosen).count()
        ):
            raise ValidationError({"coaches": "Choose coaches of the club."})
        for membership in candidates.filter(role=Role.COACH).prefetch_related("teams"):
            coaches_it = any(t.pk == team.pk for t in membership.teams.all())
            if membership.pk in chosen and not coaches_it:
                membership.teams.add(team)
            elif membership.pk not in chosen and coaches_it:
                membership.teams.remove(team)
    return team


@transaction.atomic
def team_delete(*, team: Team, deleted_by: User) -> None:
    """Delete a team; its athletes stay in the club. A team that still has programs or baselines
    of its own is kept, so nothing given to it disappears by accident."""
    _require_owner(deleted_by, team.organisation_id)
    if team.program_assignments.exclude(status="ended").exists():
        raise ValidationError({"team": "End the team's programs before deleting it."})
    if team.baselines.exists():
        raise ValidationError({"team": "Remove the team's own baselines before deleting it."})
    team.delete()
