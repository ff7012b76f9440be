"""Reads for the programs app, scoped through the athletes app's selectors."""

from __future__ import annotations

import datetime

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from athletes.models import STAFF_ROLES, User
from athletes.selectors import athletes_visible_to, memberships_of, sees_athlete

from .models import (
    Assignment,
    Exercise,
    LoggedSet,
    ProgramTemplate,
    ScheduledSession,
    SessionStatus,
)
from .progression import apply_level, levels_by_week, max_level


def exercises_visible_to(user: User, *, organisation=None) -> QuerySet[Exercise]:
    """The global library plus the own exercises of the user's organisations."""
    memberships = memberships_of(user)
    if organisation is not None:
        organisation_id = getattr(organisation, "id", organisation)
        memberships = [m for m in memberships if m.organisation_id == organisation_id]
    ids = [m.organisation_id for m in memberships]
    return Exercise.objects.filter(Q(organisation__isnull=True) | Q(organisation_id__in=ids))


def sees_exercise(user: User, exercise: Exercise) -> bool:
    """Whether `exercise` is in exercises_visible_to(user), for one exercise already loaded."""
    if exercise.organisation_id is None:
        return True
    return any(m.organisation_id == exercise.organisation_id for m in memberships_of(user))


def sees_session(user: User, session: ScheduledSession) -> bool:
    """Whether `session` is in sessions_visible_to(user), for one session already loaded (its
    athlete too, best with select_related)."""
    return sees_athlete(user, session.athlete, include_archived=True)


def exercises_writable_by(user: User, *, organisation=None) -> QuerySet[Exercise]:
    """Exercises the user may edit: their organisations' own (staff only); never the global ones."""
    memberships = [m for m in memberships_of(user) if m.role in STAFF_ROLES]
    if organisation is not None:
        organisation_id = getattr(organisation, "id", organisation)
        memberships = [m for m in memberships if m.organisation_id == organisation_id]
    return Exercise.objects.filter(organisation_id__in=[m.organisation_id for m in memberships])


# --- Programs, assignments, sessions and sets ----------------------------------------------------


def templates_visible_to(user: User, *, organisation=None) -> QuerySet:
    """Program templates of the organisations where the user is staff."""
    memberships = [m for m in memberships_of(user) if m.role in STAFF_ROLES]
    if organisation is not None:
        organisation_id = getattr(organisation, "id", organisation)
        memberships = [m for m in memberships if m.organisation_id == organisation_id]
    return ProgramTemplate.objects.filter(
        organisation_id__in=[m.organisation_id for m in memberships]
    )


def assignments_visible_to(user: User, *, organisation=None) -> QuerySet:
    athletes = athletes_visible_to(user, organisation=organisation, include_archived=True)
    return Assignment.objects.filter(athlete__in=athletes.values("id"))


def sessions_visible_to(user: User, *, organisation=None) -> QuerySet:
    athletes = athletes_visible_to(user, organisation=organisation, include_archived=True)
    return ScheduledSession.objects.filter(athlete__in=athletes.values("id"))


def sets_visible_to(user: User, *, organisation=None) -> QuerySet:
    athletes = athletes_visible_to(user, organisation=organisation, include_archived=True)
    return LoggedSet.objects.filter(athlete__in=athletes.values("id"))


def weekly_pain(assignment) -> dict[int, int]:
    """The most pain the athlete logged in each week of the assignment (sets and sessions)."""
    pain: dict[int, int] = {}
    for week, value in assignment.sessions.filter(pain__isnull=False).values_list("week", "pain"):
        pain[week] = max(pain.get(week, 0), value)
    rows = (
        LoggedSet.objects.filter(session__assignment=assignment, pain__isnull=False)
        .values("session__week")
        .annotate(most=Max("pain"))
    )
    for row in rows:
        week = row["session__week"]
        pain[week] = max(pain.get(week, 0), row["most"])
    return pain


def session_prescriptions(session, *, pain_by_week: dict[int, int] | None = None) -> list[dict]:
    """The session's exercises with progression and pain gating applied. Each item has
    `level` and `progression_note` saying why it progressed, held or stepped back."""
    assignment = session.assignment
    pain = weekly_pain(assignment) if pain_by_week is None else pain_by_week
    result = []
    for item in session.plan:
        progression = item.get("progression") or {}
        top = max_level(progression, item["sets"], assignment.template.weeks)
        levels = levels_by_week(
            weeks=max(session.week, 1),
            every_weeks=progression.get("every_weeks") or 1,
            top=top,
            weekly_pain=pain,
        )
        level = levels[session.week] if progression.get("kind", "none") != "none" else None
        effective = apply_level(item, level.level if level else 0)
        effective["level"] = level.level if level else 0
        effective["progression_change"] = level.change if level else ""
        effective["progression_note"] = level.reason if level else ""
        result.append(effective)
    return result


def today_for(athlete, *, day=None):
    """The athlete's session on `day` (today), to do or done; None on a rest day."""
    day = day or timezone.localdate()
    sessions = ScheduledSession.objects.filter(
        athlete=athlete,
        date=day,
        status__in=[SessionStatus.SCHEDULED, SessionStatus.COMPLETED],
    ).select_related("assignment__template")
    # A session still to do comes before one already done.
    return sessions.order_by("-status", "sequence").first()


def sessions_between(athlete, *, start, end):
    """The athlete's sessions from `start` to `end` (both included), to do or done, in order."""
    return (
        ScheduledSession.objects.filter(
            athlete=athlete,
            date__gte=start,
            date__lte=end,
            status__in=[SessionStatus.SCHEDULED, SessionStatus.COMPLETED],
        )
        .select_related("assignment__template")
        .order_by("date", "sequence")
    )


def next_session_for(athlete, *, after=None):
    """The athlete's next session to do after `after` (today), within two weeks."""
    day = after or timezone.localdate()
    return (
        ScheduledSession.objects.filter(
            athlete=athlete,
            status=SessionStatus.SCHEDULED,
            date__gt=day,
            date__lte=day + datetime.timedelta(days=14),
        )
        .select_related("assignment__template")
        .order_by("date", "sequence")
        .first()
    )
