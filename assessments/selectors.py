"""Reads for assessments, scoped through the athletes app's selectors."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from athletes.models import STAFF_ROLES, Athlete, User
from athletes.selectors import athletes_visible_to, memberships_of

from .evaluation import NormRow, Rule
from .models import Baseline, Flag, Result, Test, TestDay


def _organisation_ids(user: User, organisation=None, *, staff_only=False) -> list[int]:
    memberships = memberships_of(user)
    if staff_only:
        memberships = [m for m in memberships if m.role in STAFF_ROLES]
    if organisation is not None:
        organisation_id = getattr(organisation, "id", organisation)
        memberships = [m for m in memberships if m.organisation_id == organisation_id]
    return [m.organisation_id for m in memberships]


def tests_visible_to(user: User, *, organisation=None) -> QuerySet[Test]:
    ids = _organisation_ids(user, organisation)
    return Test.objects.filter(Q(organisation__isnull=True) | Q(organisation_id__in=ids))


def tests_writable_by(user: User, *, organisation=None) -> QuerySet[Test]:
    return Test.objects.filter(
        organisation_id__in=_organisation_ids(user, organisation, staff_only=True)
    )


def baselines_visible_to(user: User, *, organisation=None) -> QuerySet[Baseline]:
    """Global rules and the rules of the user's organisations (and their teams)."""
    ids = _organisation_ids(user, organisation)
    return Baseline.objects.filter(Q(organisation__isnull=True) | Q(organisation_id__in=ids))


def baselines_writable_by(user: User, *, organisation=None) -> QuerySet[Baseline]:
    ids = _organisation_ids(user, organisation, staff_only=True)
    return Baseline.objects.filter(organisation_id__in=ids)


def results_visible_to(user: User, *, organisation=None) -> QuerySet[Result]:
    athletes = athletes_visible_to(user, organisation=organisation, include_archived=True)
    return Result.objects.filter(athlete__in=athletes.values("id"))


def flags_visible_to(user: User, *, organisation=None) -> QuerySet[Flag]:
    athletes = athletes_visible_to(user, organisation=organisation, include_archived=True)
    return Flag.objects.filter(athlete__in=athletes.values("id"))


def test_days_visible_to(user: User, *, organisation=None) -> QuerySet[TestDay]:
    return TestDay.objects.filter(
        organisation_id__in=_organisation_ids(user, organisation, staff_only=True)
    )


RULE_ORDER = ["threshold", "norm", "lsi", "side_difference"]


def rules_for(test: Test, athlete: Athlete, *, baselines=None) -> list[Rule]:
    """The rules that apply to the athlete: per kind, a team rule (the athlete's teams) beats
    the organisation's, which beats the global one. An inactive override switches the kind off.
    Where two of the athlete's teams set the same kind, the stricter-looking first one (lowest
    id) applies. Pass `baselines` (with norms prefetched) to avoid queries in loops."""
    if baselines is None:
        baselines = list(
            Baseline.objects.filter(test=test)
            .filter(Q(organisation__isnull=True) | Q(organisation_id=athlete.organisation_id))
            .prefetch_related("norms")
            .order_by("id")
        )
    team_ids = {t.id for t in athlete.teams.all()}
    chosen: dict[str, tuple[int, Baseline]] = {}
    for baseline in baselines:
        if baseline.test_id != test.id:
            continue
        if baseline.team_id is not None:
            rank = 2 if baseline.team_id in team_ids else -1
        elif baseline.organisation_id is not None:
            rank = 1 if baseline.organisation_id == athlete.organisation_id else -1
        else:
            rank = 0
        if rank < 0:
            continue
        current = chosen.get(baseline.kind)
        if current is None or rank > current[0]:
            chosen[baseline.kind] = (rank, baseline)
    return [
        Rule(
            kind=b.kind,
            comparator=b.comparator,
            value=b.value,
            norms=tuple(NormRow(n.sex, n.age_min, n.age_max, n.value) for n in b.norms.all()),
            scope=b.scope,
        )
        for _, b in sorted(chosen.values(), key=lambda pair: RULE_ORDER.index(pair[1].kind))
        if b.active
    ]
