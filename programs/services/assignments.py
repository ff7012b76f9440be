"""Assigning programs to athletes and teams, and keeping their calendars.

Athletes who join a team after a team assignment: while the team assignment is active, a
joiner gets the program too, from week 1, starting the day after they join (on the team's
preferred weekdays and gap). Athletes who leave the team keep what they logged; their sessions
still to come from that team assignment are cancelled.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from athletes.models import Athlete, Team, User
from athletes.selectors import athletes_writable_by, is_staff_in

from ..models import (
    Assignment,
    AssignmentStatus,
    ProgramTemplate,
    ScheduledSession,
    SessionStatus,
    TeamAssignment,
)
from ..scheduling import Schedule, cascade, gap_days, schedule_dates, sessions_for_week


def plan_of(session) -> list[dict]:
    """A template session's prescriptions as plain data, as the athlete will be given them."""
    plan = []
    for p in session.prescriptions.all():
        exercise = p.exercise
        plan.append(
            {
                "prescription_id": p.id,
                "exercise_id": exercise.id,
                "exercise_name": exercise.name,
                "exercise_slug": exercise.slug,
                "measurement": exercise.measurement,
                "cues": list(exercise.cues),
                "sets": p.sets,
                "target_min": p.target_min,
                "target_max": p.target_max,
                "load_type": p.load_type,
                "load_value": None if p.load_value is None else str(p.load_value),
                "tempo": p.tempo,
                "rest_seconds": p.rest_seconds,
                "per_side": p.per_side,
                "notes": p.notes,
                "progression": {
                    "kind": p.progression,
                    "every_weeks": p.progression_every_weeks,
                    "load_step": None
                    if p.progression_load_step is None
                    else str(p.progression_load_step),
                    "max_sets": p.progression_max_sets,
                    "steps": p.progression_steps,
                },
            }
        )
    return plan


@dataclass(frozen=True)
class PlannedSession:
    sequence: int
    week: int
    date: datetime.date
    name: str
    template_session: object


@dataclass
class Preview:
    sessions: list[PlannedSession]
    warnings: list[str]


def _template_sessions(template: ProgramTemplate) -> list:
    return list(
        template.sessions.prefetch_related("prescriptions__exercise").order_by("order", "id")
    )


def _validate_options(
    template: ProgramTemplate,
    *,
    start_date: datetime.date,
    sessions_per_week: int,
    weekdays: list[int],
    min_gap_hours: int,
) -> None:
    errors = {}
    if not 1 <= sessions_per_week <= 7:
        errors["sessions_per_week"] = "Choose 1 to 7 sessions a week."
    if any(day not in range(7) for day in weekdays) or len(set(weekdays)) != len(weekdays):
        errors["weekdays"] = "Weekdays are 0 (Monday) to 6 (Sunday), each once."
    elif weekdays and len(weekdays) < sessions_per_week:
        errors["weekdays"] = (
            f"{sessions_per_week} sessions a week need at least {sessions_per_week} weekdays."
        )
    if not 0 <= min_gap_hours <= 168:
        errors["min_gap_hours"] = "The gap is 0 to 168 hours."
    if start_date < timezone.localdate() - datetime.timedelta(days=365):
        errors["start_date"] = "The start date is more than a year ago."
    if not template.sessions.exists():
        errors["template"] = "The program has no sessions yet."
    if errors:
        raise ValidationError(errors)


def _plan(
    template: ProgramTemplate,
    sessions: list,
    schedule: Schedule,
    first_sequence: int = 1,
) -> list[PlannedSession]:
    planned, counts = [], {}
    for slot in schedule.slots:
        week_sessions = sessions_for_week(sessions, slot.week, template.rotation_weeks)
        if not week_sessions:
            continue
        index = counts.get(slot.week, 0)
        counts[slot.week] = index + 1
        chosen = week_sessions[index % len(week_sessions)]
        sequence = first_sequence + len(planned)
        planned.append(PlannedSession(sequence, slot.week, slot.date, chosen.name, chosen))
    return planned


def schedule_preview(
    *,
    template: ProgramTemplate,
    start_date: datetime.date,
    sessions_per_week: int = 2,
    weekdays: Iterable[int] = (),
    min_gap_hours: int = 48,
) -> Preview:
    """The calendar an assignment would produce, for the coach to check before confirming."""
    weekdays = sorted(weekdays)
    _validate_options(
        template,
        start_date=start_date,
        sessions_per_week=sessions_per_week,
        weekdays=weekdays,
        min_gap_hours=min_gap_hours,
    )
    schedule = schedule_dates(
        start=start_date,
        weeks=template.weeks,
        sessions_per_week=sessions_per_week,
        weekdays=weekdays,
        min_gap_hours=min_gap_hours,
    )
    return Preview(_plan(template, _template_sessions(template), schedule), schedule.warnings)


def _create_assignment(
    *, athlete: Athlete, template: ProgramTemplate, preview: Preview, options: dict, **extra
) -> Assignment:
    assignment = Assignment.objects.create(
        athlete=athlete, template=template, template_version=template.version, **options, **extra
    )
    plans = {}
    ScheduledSession.objects.bulk_create(
        ScheduledSession(
            assignment=assignment,
            athlete=athlete,
            sequence=p.sequence,
            week=p.week,
            date=p.date,
            name=p.name,
            plan=plans.setdefault(p.template_session.id, plan_of(p.template_session)),
        )
        for p in preview.sessions
    )
    return assignment


@transaction.atomic
def program_assign(
    *,
    template: ProgramTemplate,
    assigned_by: User | None,
    start_date: datetime.date,
    athletes: Iterable[Athlete] = (),
    team: Team | None = None,
    sessions_per_week: int = 2,
    weekdays: Iterable[int] = (),
    min_gap_hours: int = 48,
    reason: str = "",
    check_access: bool = True,
) -> list[Assignment]:
    """Give the program to each athlete (and to a whole team, joiners included) as dated
    sessions. `assigned_by` None is the system (a flag's protocol), with `check_access` off."""
    athletes = list(athletes)
    if team is not None:
        if team.organisation_id != template.organisation_id:
            raise ValidationError({"team": "The team belongs to another organisation."})
        athletes += [a for a in team.athletes.active() if a not in athletes]
    if not athletes:
        raise ValidationError({"athletes": "Choose at least one athlete or a team."})
    if check_access:
        if not is_staff_in(assigned_by, template.organisation_id):
            raise PermissionDenied("Only the club's staff assign programs.")
        allowed = set(
            athletes_writable_by(assigned_by, organisation=template.organisation_id).values_list(
                "id", flat=True
            )
        )
        if any(a.id not in allowed for a in athletes):
            raise ValidationError({"athletes": "One of the athletes is not one of yours."})
    if any(a.organisation_id != template.organisation_id for a in athletes):
        raise ValidationError({"athletes": "Every athlete must belong to the program's club."})
    weekdays = sorted(weekdays)
    options = {
        "start_date": start_date,
        "sessions_per_week": sessions_per_week,
        "weekdays": weekdays,
        "min_gap_hours": min_gap_hours,
    }
    preview = schedule_preview(template=template, **options)
    team_assignment = None
    if team is not None:
        team_assignment = TeamAssignment.objects.create(
            template=template, team=team, created_by=assigned_by, **options
        )
    return [
        _create_assignment(
            athlete=athlete,
            template=template,
            preview=preview,
            options=options,
            team_assignment=team_assignment,
            reason=reason,
            created_by=assigned_by,
        )
        for athlete in athletes
    ]


@transaction.atomic
def team_assignments_sync(*, athlete: Athlete, today: datetime.date | None = None) -> None:
    """Bring the athlete's programs in line with their teams (see the module docstring)."""
    today = today or timezone.localdate()
    team_ids = set(athlete.teams.values_list("id", flat=True))
    active = TeamAssignment.objects.filter(
        team__organisation_id=athlete.organisation_id, status=AssignmentStatus.ACTIVE
    ).select_related("template")
    have = {
        a.team_assignment_id: a
        for a in athlete.assignments.filter(team_assignment__isnull=False).exclude(
            status=AssignmentStatus.ENDED
        )
    }
    for team_assignment in active:
        if team_assignment.team_id in team_ids and team_assignment.id not in have:
            start = max(team_assignment.start_date, today + datetime.timedelta(days=1))
            options = {
                "start_date": start,
                "sessions_per_week": team_assignment.sessions_per_week,
                "weekdays": team_assignment.weekdays,
                "min_gap_hours": team_assignment.min_gap_hours,
            }
            preview = schedule_preview(template=team_assignment.template, **options)
            _create_assignment(
                athlete=athlete,
                template=team_assignment.template,
                preview=preview,
                options=options,
                team_assignment=team_assignment,
                reason=f"Joined {team_assignment.team.name}",
            )
    for assignment in have.values():
        if assignment.team_assignment.team_id not in team_ids:
            assignment_end(assignment=assignment, ended_by=None, today=today)


def _future(assignment: Assignment, today: datetime.date, statuses):
    return assignment.sessions.filter(date__gte=today, status__in=statuses)


@transaction.atomic
def assignment_pause(
    *, assignment: Assignment, paused_by: User | None, today: datetime.date | None = None
) -> Assignment:
    """Hold the sessions still to come; everything logged stays."""
    today = today or timezone.localdate()
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status != AssignmentStatus.ACTIVE:
        raise ValidationError({"status": f"The assignment is {assignment.status}."})
    _future(assignment, today, [SessionStatus.SCHEDULED]).update(status=SessionStatus.ON_HOLD)
    assignment.status = AssignmentStatus.PAUSED
    assignment.save(update_fields=["status"])
    return assignment


@transaction.atomic
def assignment_resume(
    *, assignment: Assignment, resumed_by: User | None, on: datetime.date | None = None
) -> Assignment:
    """Put the held sessions back on the calendar from `on`, in order, keeping the gap."""
    on = on or timezone.localdate()
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status != AssignmentStatus.PAUSED:
        raise ValidationError({"status": "Only a paused assignment can be resumed."})
    held = list(assignment.sessions.filter(status=SessionStatus.ON_HOLD).order_by("sequence"))
    last_done = assignment.sessions.exclude(status=SessionStatus.ON_HOLD).order_by("-date").first()
    previous = last_done.date if last_done else None
    if held:
        days = schedule_dates(
            start=on,
            weeks=len(held),
            sessions_per_week=assignment.sessions_per_week,
            weekdays=assignment.weekdays,
            min_gap_hours=assignment.min_gap_hours,
            previous=previous,
        ).slots
        for session, slot in zip(held, days, strict=False):
            session.date = slot.date
            session.status = SessionStatus.SCHEDULED
        ScheduledSession.objects.bulk_update(held, ["date", "status"])
    assignment.status = AssignmentStatus.ACTIVE
    assignment.save(update_fields=["status"])
    return assignment


@transaction.atomic
def assignment_end(
    *, assignment: Assignment, ended_by: User | None, today: datetime.date | None = None
) -> Assignment:
    """Stop the program: sessions still to come are cancelled; completed ones are kept."""
    today = today or timezone.localdate()
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status == AssignmentStatus.ENDED:
        return assignment
    assignment.sessions.filter(
        status__in=[SessionStatus.SCHEDULED, SessionStatus.ON_HOLD], date__gte=today
    ).update(status=SessionStatus.CANCELLED)
    assignment.status = AssignmentStatus.ENDED
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["status", "ended_at"])
    return assignment


@transaction.atomic
def session_reschedule(
    *, session: ScheduledSession, moved_by: User | None, date: datetime.date
) -> list[ScheduledSession]:
    """Move one session; later ones move too where the minimum gap requires it.
    Returns the sessions whose date changed."""
    session = ScheduledSession.objects.select_for_update().get(pk=session.pk)
    if session.status != SessionStatus.SCHEDULED:
        raise ValidationError({"date": "Only a session still to do can be moved."})
    assignment = session.assignment
    earlier = (
        assignment.sessions.filter(sequence__lt=session.sequence)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("-sequence")
        .first()
    )
    gap = gap_days(assignment.min_gap_hours)
    if earlier and (date - earlier.date).days < gap:
        raise ValidationError(
            {
                "date": f"It must be at least {assignment.min_gap_hours} h after the session "
                f"before, on {earlier.date:%a %d %b}."
            }
        )
    later = list(
        assignment.sessions.select_for_update()
        .filter(sequence__gt=session.sequence, status=SessionStatus.SCHEDULED)
        .order_by("sequence")
    )
    new_dates = cascade(
        [s.date for s in later],
        moved_to=date,
        min_gap_hours=assignment.min_gap_hours,
        weekdays=assignment.weekdays,
    )
    moved = [] if session.date == date else [session]
    session.date = date
    for item, new_date in zip(later, new_dates, strict=True):
        if item.date != new_date:
            item.date = new_date
            moved.append(item)
    ScheduledSession.objects.bulk_update(moved, ["date"])
    return moved
