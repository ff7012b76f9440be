"""Assigning a program (with a calendar preview), an athlete's calendar, a team's training figures.

Staff only; athletes, assignments, sessions and teams are read through the selectors with the
active organisation, so anything else is a 404 (an athlete sees only themself, so another
athlete's calendar is a 404 for them and their own a 403). Each page runs a fixed number of
queries however many athletes, sessions or weeks it shows.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from athletes.context import active_membership, staff_membership
from athletes.selectors import athletes_visible_to, athletes_writable_by, teams_visible_to

from . import services
from .figures import Figures, totals_by_athlete, totals_by_week, week_start, weekly_figures
from .forms_builder import WEEKDAYS, AssignForm, MonthForm, RescheduleForm, add_service_errors
from .models import AssignmentStatus, SessionStatus
from .selectors import assignments_visible_to, sessions_visible_to
from .views_builder import is_htmx, visible_template

CALENDAR_WEEKS = 8
TEAM_WEEKS = 4
BADGES = {
    SessionStatus.SCHEDULED: "badge",
    SessionStatus.COMPLETED: "badge badge-pass",
    SessionStatus.SKIPPED: "badge badge-fail",
    SessionStatus.ON_HOLD: "badge badge-warn",
    SessionStatus.CANCELLED: "badge muted",
}
ACTIONS = {"pause": "paused", "resume": "resumed", "end": "ended"}


# --- figures --------------------------------------------------------------------------------------


def recent_weeks(count: int, today: datetime.date) -> list[datetime.date]:
    """The Mondays of the last `count` weeks, this one last."""
    this_week = week_start(today)
    return [this_week - datetime.timedelta(weeks=i) for i in range(count - 1, -1, -1)]


def figure_row(label: str, figures: Figures) -> dict:
    compliance = figures.compliance
    return {
        "label": label,
        "compliance": "—" if compliance is None else f"{round(compliance * 100)} %",
        "sessions": f"{figures.completed}/{figures.scheduled}",
        "reps": figures.reps,
        "tut": f"{figures.time_under_tension / 60:.1f}",
        "contacts": figures.contacts,
        "load": f"{figures.session_load:g}",
    }


def _week_label(monday: datetime.date) -> str:
    return f"{monday:%d %b}"


def _figures_between(athlete_ids, weeks, today):
    end = weeks[-1] + datetime.timedelta(days=6)
    return weekly_figures(athlete_ids=athlete_ids, start=weeks[0], end=end, today=today)


# --- assign ---------------------------------------------------------------------------------------


def _next_monday(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7 or 7)


@login_required
@require_http_methods(["GET", "POST"])
def program_assign(request, pk: int):
    """GET the form; POST action=preview shows the calendar, action=confirm assigns."""
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    organisation_id = membership.organisation_id
    initial = {"start_date": _next_monday(timezone.localdate())}
    data = request.POST if request.method == "POST" else None
    form = AssignForm(data, user=request.user, organisation=organisation_id, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data
        options = {
            "start_date": chosen["start_date"],
            "sessions_per_week": chosen["sessions_per_week"],
            "weekdays": chosen["weekdays"],
            "min_gap_hours": chosen["min_gap_hours"],
        }
        try:
            if request.POST.get("action") == "confirm":
                assignments = services.program_assign(
                    template=template,
                    assigned_by=request.user,
                    athletes=chosen["athletes"],
                    team=chosen["team"],
                    reason=chosen["reason"],
                    **options,
                )
                response = _assigned(request, template, assignments, chosen)
                if is_htmx(request):  # leave the page: htmx would swap it into the panel
                    return HttpResponseClientRedirect(response.url)
                return response
            preview = services.schedule_preview(template=template, **options)
        except ValidationError as error:
            add_service_errors(form, error)
    status = 200
    if form.errors:
        status = 422 if is_htmx(request) else 400
    context = {
        "template": template,
        "form": form,
        "preview": preview,
        "preview_weeks": _by_week(preview.sessions) if preview else [],
        "partial": is_htmx(request),
    }
    page = "_assign_panel.html" if is_htmx(request) else "assign.html"
    return render(request, f"programs/calendar/{page}", context, status=status)


def _by_week(planned) -> list[tuple[int, list]]:
    weeks = defaultdict(list)
    for item in planned:
        weeks[item.week].append(item)
    return sorted(weeks.items())


def _assigned(request, template, assignments, chosen):
    count = len(assignments)
    messages.success(
        request,
        f"{template.name} was assigned to {count} athlete{'s' if count != 1 else ''}.",
    )
    if chosen["athletes"]:  # the chosen athletes come first, in roster order
        url = reverse("athlete_calendar", args=[assignments[0].athlete_id])
        return redirect(f"{url}?month={chosen['start_date']:%Y-%m}")
    return redirect("team_training", team_id=chosen["team"].pk)


# --- the athlete calendar -------------------------------------------------------------------------


def _staff_athlete(request, athlete_id: int, *, write: bool = False):
    """The athlete (404 outside the user's scope) and the user's membership (403 for athletes)."""
    membership = active_membership(request)
    if membership is None:
        raise Http404("No athlete matches the given query.")
    athletes = athletes_visible_to(
        request.user, organisation=membership.organisation_id, include_archived=True
    )
    athlete = get_object_or_404(athletes, pk=athlete_id)
    if not membership.is_staff_role:
        raise PermissionDenied("Coach pages are for the club's staff.")
    if write:
        writable = athletes_writable_by(request.user, organisation=membership.organisation_id)
        if not writable.filter(pk=athlete.pk).exists():
            raise Http404("No athlete matches the given query.")
    return athlete, membership


def _month(value: str, today: datetime.date) -> datetime.date:
    if not value:
        return today.replace(day=1)
    year, month = value.split("-")
    return datetime.date(int(year), int(month), 1)


def _grid_bounds(first: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday before the 1st to the Sunday after the month's last day."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return week_start(first), week_start(last) + datetime.timedelta(days=6)


def _grid(first: datetime.date, sessions, today: datetime.date) -> list[list[dict]]:
    day, end = _grid_bounds(first)
    by_day = defaultdict(list)
    for session in sessions:
        by_day[session.date].append(session)
    weeks = []
    while day <= end:
        week = []
        for _ in range(7):
            week.append(
                {
                    "date": day,
                    "in_month": day.month == first.month,
                    "today": day == today,
                    "sessions": by_day.get(day, []),
                }
            )
            day += datetime.timedelta(days=1)
        weeks.append(week)
    return weeks


def _calendar_page(request, athlete, membership, *, status=200, month_form=None, **extra):
    today = timezone.localdate()
    user, organisation_id = request.user, membership.organisation_id
    month_form = month_form or MonthForm(request.GET)
    valid = month_form.is_valid()
    first = _month(month_form.cleaned_data.get("month", "") if valid else "", today)
    if not valid:
        status = 400
    grid_start, grid_end = _grid_bounds(first)
    sessions = list(
        sessions_visible_to(user, organisation=organisation_id)
        .filter(athlete=athlete, date__gte=grid_start, date__lte=grid_end)
        .select_related("assignment__template")
        .order_by("date", "sequence")
    )
    errors = extra.get("session_errors", {})
    for session in sessions:
        session.badge = BADGES.get(session.status, "badge")
        session.errors = errors.get(session.pk, [])
    assignments = (
        assignments_visible_to(user, organisation=organisation_id)
        .filter(athlete=athlete)
        .exclude(status=AssignmentStatus.ENDED)
        .select_related("template")
        .annotate(
            session_count=Count("sessions"),
            done_count=Count("sessions", filter=Q(sessions__status=SessionStatus.COMPLETED)),
        )
        .order_by("-start_date", "-id")
    )
    weeks = recent_weeks(CALENDAR_WEEKS, today)
    figures = _figures_between([athlete.pk], weeks, today)
    previous_month = (first - datetime.timedelta(days=1)).replace(day=1)
    next_month = (first + datetime.timedelta(days=32)).replace(day=1)
    month_key = (first.year, first.month)
    context = {
        "athlete": athlete,
        "month": first,
        "month_form": month_form,
        "previous_month": previous_month,
        "next_month": next_month,
        "grid": _grid(first, sessions, today),
        "month_sessions": [s for s in sessions if (s.date.year, s.date.month) == month_key],
        "assignments": assignments,
        "figure_rows": [
            figure_row(_week_label(week), figures.get((athlete.pk, week), Figures()))
            for week in weeks
        ],
        "can_write": athletes_writable_by(user, organisation=organisation_id)
        .filter(pk=athlete.pk)
        .exists(),
        "errors": extra.get("errors", []),
        "today": today,
        "weekday_names": [label for _, label in WEEKDAYS],
    }
    return render(request, "programs/calendar/athlete_calendar.html", context, status=status)


@login_required
@require_GET
def athlete_calendar(request, athlete_id: int):
    athlete, membership = _staff_athlete(request, athlete_id)
    return _calendar_page(request, athlete, membership)


def _calendar_url(athlete, day: datetime.date) -> str:
    return f"{reverse('athlete_calendar', args=[athlete.pk])}?month={day:%Y-%m}"


@login_required
@require_POST
def assignment_change(request, athlete_id: int, assignment_id: int, action: str):
    """Pause, resume (from today) or end one of the athlete's assignments."""
    athlete, membership = _staff_athlete(request, athlete_id, write=True)
    if action not in ACTIONS:
        raise Http404("No such action.")
    assignment = get_object_or_404(
        assignments_visible_to(request.user, organisation=membership.organisation_id)
        .filter(athlete=athlete)
        .select_related("template"),
        pk=assignment_id,
    )
    today = timezone.localdate()
    try:
        if action == "pause":
            services.assignment_pause(assignment=assignment, paused_by=request.user, today=today)
        elif action == "resume":
            services.assignment_resume(assignment=assignment, resumed_by=request.user, on=today)
        else:
            services.assignment_end(assignment=assignment, ended_by=request.user, today=today)
    except ValidationError as error:
        errors = [f"{assignment.template.name}: {m}" for m in error.messages]
        return _calendar_page(request, athlete, membership, status=400, errors=errors)
    messages.success(request, f"{assignment.template.name} was {ACTIONS[action]}.")
    return redirect(_calendar_url(athlete, today))


@login_required
@require_POST
def session_reschedule(request, athlete_id: int, session_id: int):
    """Move one session; later sessions move too where the gap requires, and the page says so."""
    athlete, membership = _staff_athlete(request, athlete_id, write=True)
    session = get_object_or_404(
        sessions_visible_to(request.user, organisation=membership.organisation_id)
        .filter(athlete=athlete)
        .select_related("assignment"),
        pk=session_id,
    )
    form = RescheduleForm(request.POST)
    before = dict(
        session.assignment.sessions.filter(sequence__gte=session.sequence).values_list("id", "date")
    )
    try:
        if not form.is_valid():
            raise ValidationError({"date": form.errors.get("date", ["Give a date."])})
        moved = services.session_reschedule(
            session=session, moved_by=request.user, date=form.cleaned_data["date"]
        )
    except ValidationError as error:
        errors = {session.pk: [f"New date: {m}" for m in error.messages]}
        month_form = MonthForm({"month": f"{session.date:%Y-%m}"})
        return _calendar_page(
            request, athlete, membership, status=400, month_form=month_form, session_errors=errors
        )
    new_date = form.cleaned_data["date"]
    later = [s for s in moved if s.pk != session.pk]
    text = f"{session.name} (session {session.sequence}) is now on {new_date:%a %d %b}."
    if later:
        moves = "; ".join(
            f"{s.name} (session {s.sequence}) {before[s.pk]:%a %d %b} → {s.date:%a %d %b}"
            for s in sorted(later, key=lambda s: s.sequence)
        )
        text += f" Later sessions moved to keep the gap: {moves}."
    messages.success(request, text)
    return redirect(_calendar_url(athlete, new_date))


# --- a team's training ----------------------------------------------------------------------------


@login_required
@require_GET
def team_training(request, team_id: int):
    """Weekly figures per athlete of the team and the team's totals, for the last 4 weeks."""
    membership = active_membership(request)
    if membership is None:
        raise Http404("No team matches the given query.")
    organisation_id = membership.organisation_id
    team = get_object_or_404(
        teams_visible_to(request.user, organisation=organisation_id), pk=team_id
    )
    if not membership.is_staff_role:
        raise PermissionDenied("Coach pages are for the club's staff.")
    today = timezone.localdate()
    athletes = list(
        athletes_visible_to(request.user, organisation=organisation_id)
        .filter(teams=team)
        .order_by("last_name", "first_name", "id")
    )
    weeks = recent_weeks(TEAM_WEEKS, today)
    figures = _figures_between([a.pk for a in athletes], weeks, today)
    by_week, by_athlete = totals_by_week(figures), totals_by_athlete(figures)
    team_rows = []
    for week in weeks:
        row = figure_row(_week_label(week), by_week.get(week, Figures()))
        row["athletes"] = len(by_week[week].athletes) if week in by_week else 0
        team_rows.append(row)
    for athlete in athletes:
        athlete.rows = [
            figure_row(_week_label(week), figures.get((athlete.pk, week), Figures()))
            for week in weeks
        ]
        athlete.total = figure_row("4 weeks", by_athlete.get(athlete.pk, Figures()))
    total = Figures()
    for item in by_week.values():
        total.add(item)
    context = {
        "team": team,
        "athletes": athletes,
        "team_rows": team_rows,
        "team_total": figure_row("4 weeks", total),
        "weeks": weeks,
    }
    return render(request, "programs/calendar/team_training.html", context)
