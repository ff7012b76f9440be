"""Reads, scoped to what a user may see. Every view, endpoint, export and task reads through here.

- owners (head coaches) see their whole organisation;
- coaches see the athletes of the teams they coach;
- physios see every athlete of their organisation; they and owners alone see medical notes;
- athletes see only themselves.
Anything else does not exist for the user: callers turn a miss into a 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import (
    MEDICAL_ROLES,
    STAFF_ROLES,
    Athlete,
    Membership,
    Organisation,
    Role,
    Team,
    User,
)

_CACHE = "_baseline_memberships"


def memberships_of(user: User) -> list[Membership]:
    """The user's memberships with the ids of the teams they coach; cached on the user."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user)
            .select_related("organisation")
            .prefetch_related("teams")
        )
        for membership in cached:
            membership.team_ids = [team.id for team in membership.teams.all()]
        setattr(user, _CACHE, cached)
    return cached


def forget_memberships(user: User) -> None:
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def membership_in(user: User, organisation_id: int | None) -> Membership | None:
    for membership in memberships_of(user):
        if membership.organisation_id == organisation_id:
            return membership
    return None


def role_in(user: User, organisation_id: int | None) -> str | None:
    membership = membership_in(user, organisation_id)
    return membership.role if membership else None


def is_staff_in(user: User, organisation_id: int | None) -> bool:
    return role_in(user, organisation_id) in STAFF_ROLES


def sees_medical_notes(user: User, organisation_id: int | None) -> bool:
    return role_in(user, organisation_id) in MEDICAL_ROLES


def _restrict(memberships, organisation) -> list[Membership]:
    if organisation is None:
        return memberships
    organisation_id = getattr(organisation, "id", organisation)
    return [m for m in memberships if m.organisation_id == organisation_id]


def _coached_athletes(team_ids: list[int]) -> QuerySet:
    return Athlete.teams.through.objects.filter(team_id__in=team_ids).values("athlete_id")


def _athlete_scope(user: User, memberships: list[Membership], *, writable: bool) -> Q:
    scope = Q(pk__in=[])
    for m in memberships:
        if m.role in (Role.OWNER, Role.PHYSIO):
            scope |= Q(organisation_id=m.organisation_id)
        elif m.role == Role.COACH:
            scope |= Q(organisation_id=m.organisation_id, pk__in=_coached_athletes(m.team_ids))
        elif m.role == Role.ATHLETE and not writable:
            scope |= Q(organisation_id=m.organisation_id, user_id=user.id)
    return scope


def athletes_visible_to(
    user: User, *, organisation=None, include_archived: bool = False
) -> QuerySet[Athlete]:
    memberships = _restrict(memberships_of(user), organisation)
    athletes = Athlete.objects.filter(_athlete_scope(user, memberships, writable=False))
    return athletes if include_archived else athletes.active()


def role_in_organisation(user: User, organisation_id: int | None) -> str | None:
    """The user's role in one organisation: from the cached memberships when they are loaded,
    else one single-row query (no organisations, no teams)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, _CACHE, None) is not None:
        return role_in(user, organisation_id)
    roles = Membership.objects.filter(user_id=user.id, organisation_id=organisation_id)
    return roles.order_by().values_list("role", flat=True).first()  # one per organisation


def sees_athlete(user: User, athlete: Athlete, *, include_archived: bool = False) -> bool:
    """Whether `athlete` is in athletes_visible_to(user), for one athlete already loaded: the
    same rule as `_athlete_scope`, decided from the user's role in the athlete's organisation
    (the athlete themself, owners, physios) and by one more query for a coach."""
    if athlete.archived_at is not None and not include_archived:
        return False
    role = role_in_organisation(user, athlete.organisation_id)
    if role in (Role.OWNER, Role.PHYSIO):
        return True
    if role == Role.ATHLETE:
        return athlete.user_id is not None and athlete.user_id == user.id
    if role != Role.COACH:
        return False
    return (
        athletes_visible_to(user, organisation=athlete.organisation_id, include_archived=True)
        .filter(pk=athlete.pk)
        .exists()
    )


def athletes_writable_by(user: User, *, organisation=None) -> QuerySet[Athlete]:
    """Athletes whose profile, program and results the user may change (staff only)."""
    memberships = _restrict(memberships_of(user), organisation)
    return Athlete.objects.filter(_athlete_scope(user, memberships, writable=True))


def organisations_visible_to(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(id__in=[m.organisation_id for m in memberships_of(user)])


def organisations_staffed_by(user: User) -> QuerySet[Organisation]:
    ids = [m.organisation_id for m in memberships_of(user) if m.role in STAFF_ROLES]
    return Organisation.objects.filter(id__in=ids)


def teams_visible_to(user: User, *, organisation=None) -> QuerySet[Team]:
    """Owners and physios see every team of their organisation, coaches the teams they coach,
    athletes the teams they are on."""
    scope = Q(pk__in=[])
    for m in _restrict(memberships_of(user), organisation):
        if m.role in (Role.OWNER, Role.PHYSIO):
            scope |= Q(organisation_id=m.organisation_id)
        elif m.role == Role.COACH:
            scope |= Q(organisation_id=m.organisation_id, pk__in=m.team_ids)
        else:
            scope |= Q(
                organisation_id=m.organisation_id,
                pk__in=Athlete.teams.through.objects.filter(athlete__user_id=user.id).values(
                    "team_id"
                ),
            )
    return Team.objects.filter(scope)


def teams_writable_by(user: User, *, organisation=None) -> QuerySet[Team]:
    """Teams whose name and coaches the user may change: owners only."""
    ids = [m.organisation_id for m in _restrict(memberships_of(user), organisation)]
    owned = [m.organisation_id for m in memberships_of(user) if m.role == Role.OWNER]
    return Team.objects.filter(organisation_id__in=set(ids) & set(owned))


def teams_assignable_by(user: User, *, organisation=None) -> QuerySet[Team]:
    """Teams the user may put athletes on: every team for owners and physios, coaches their own."""
    staff = [m for m in _restrict(memberships_of(user), organisation) if m.role in STAFF_ROLES]
    scope = Q(pk__in=[])
    for m in staff:
        if m.role == Role.COACH:
            scope |= Q(organisation_id=m.organisation_id, pk__in=m.team_ids)
        else:
            scope |= Q(organisation_id=m.organisation_id)
    return Team.objects.filter(scope)


def athlete_profile_of(user: User, *, organisation=None) -> Athlete | None:
    """The user's own athlete record (in the given organisation, or their first)."""
    profiles = Athlete.objects.active().filter(user_id=user.id)
    if organisation is not None:
        profiles = profiles.filter(organisation_id=getattr(organisation, "id", organisation))
    return profiles.order_by("id").first()
