"""The athlete insight on a coach's athlete page: programs, a compact calendar, recent sessions,
each test's results over time against its baseline, and weekly pain, load and foot contacts.

`athlete_insight` reads through the selectors (scoped to the user and the athlete's club) in a
fixed number of queries however many tests, results, sessions or weeks there are; the rest are
pure functions that turn rows into Chart.js configs (plain JSON, drawn by static/js/charts.js)
and the table rows that carry the same numbers for screen readers.

Rules are never re-derived here: the rules that apply come from assessments.selectors.rules_for
and a result not yet checked by the worker is evaluated with assessments.evaluation.evaluate.
"""

from __future__ import annotations

import datetime
from itertools import groupby

from django.db.models import Count, Max, Prefetch, Q, Sum, prefetch_related_objects
from django.utils import timezone

from assessments.evaluation import Person, Rule, evaluate, norm_for
from assessments.models import RuleKind, Test
from assessments.selectors import baselines_visible_to, results_visible_to, rules_for
from assessments.services import spec_of
from assessments.sweep import PAIN_LIMIT
from assessments.views import number
from athletes.models import Athlete, Team
from programs.figures import Figures, rolling_average, week_start, weekly_figures
from programs.models import AssignmentStatus, SessionStatus
from programs.selectors import assignments_visible_to, sessions_visible_to
from programs.views_calendar import BADGES, _grid, _grid_bounds, recent_weeks

TREND_WEEKS = 12
ROLLING_WEEKS = 4
RECENT_SESSIONS = 8

LEFT, RIGHT, BOTH = "#1f6feb", "#b54708", "#1f6feb"
LIMIT, LSI_COLOUR, LOAD, PAIN, CONTACTS, AVERAGE = (
    "#b42318",
    "#6941c6",
    "#4e79a7",
    "#b42318",
    "#59a14f",
    "#1d2939",
)


def _float(value) -> float | None:
    return None if value is None else float(value)


def _date_label(day: datetime.date) -> str:
    return f"{day:%-d %b %Y}"


def _week_label(monday: datetime.date) -> str:
    return f"{monday:%-d %b}"


def _line(label: str, data: list, colour: str, **extra) -> dict:
    return {
        "label": label,
        "data": data,
        "borderColor": colour,
        "backgroundColor": colour,
        "tension": 0,
        "spanGaps": True,
        **extra,
    }


def _limit_line(label: str, data: list, colour: str = LIMIT) -> dict:
    """A baseline drawn as a dashed line; with a single point there is no line to draw, so
    the point is shown as a short horizontal dash instead."""
    return _line(
        label,
        data,
        colour,
        borderDash=[6, 4],
        borderWidth=2,
        pointStyle="line",
        pointRadius=0 if len(data) > 1 else 14,
        pointHoverRadius=0 if len(data) > 1 else 14,
        fill=False,
    )


def _options(y_title: str, *, y_min=None, y_max=None) -> dict:
    y: dict = {"title": {"display": True, "text": y_title}, "grace": "10%"}
    if y_min is not None:
        y["min"] = y_min
    if y_max is not None:
        y["max"] = y_max
    return {
        "interaction": {"mode": "index", "intersect": False},
        "plugins": {"legend": {"position": "bottom"}},
        "scales": {"y": y},
    }


# --- tests: results over time against the baseline ------------------------------------------------


def _symbol(comparator: str) -> str:
    return "≥" if comparator == "gte" else "≤"


def baseline_lines(
    test: Test, rules: list[Rule], dates: list[datetime.date], person_on
) -> tuple[list[dict], list[dict]]:
    """(lines for the value chart, lines for the LSI chart) from the rules that apply, each
    {"label", "values": [the limit on each date]}: a threshold is the same on every date, a
    norm follows the athlete's age on the date (`person_on(date)` gives the Person)."""
    value_lines, lsi_lines = [], []
    for rule in rules:
        if rule.kind == RuleKind.THRESHOLD:
            label = f"Baseline {_symbol(rule.comparator)} {number(rule.value)} {test.unit}"
            value_lines.append({"label": label, "values": [_float(rule.value)] * len(dates)})
        elif rule.kind == RuleKind.NORM:
            rows = [norm_for(rule, person_on(day)) for day in dates]
            value_lines.append(
                {
                    "label": f"Age and sex norm ({_symbol(rule.comparator)})",
                    "values": [None if row is None else _float(row.value) for row in rows],
                }
            )
        elif rule.kind == RuleKind.LSI:
            label = f"Baseline LSI ≥ {number(rule.value)} %"
            lsi_lines.append({"label": label, "values": [_float(rule.value)] * len(dates)})
    return value_lines, lsi_lines


def test_panel(
    test: Test, results: list, rules: list[Rule], athlete: Athlete, *, chart_id: str
) -> dict:
    """One test's chart configs and table rows. `results` oldest first, all of this test."""
    spec = spec_of(test)

    def person_on(day):
        return Person(sex=athlete.sex, age=athlete.age_on(day))

    dates = [r.date for r in results]
    labels = [_date_label(day) for day in dates]
    value_lines, lsi_lines = baseline_lines(test, rules, dates, person_on)
    if test.per_side:
        datasets = [
            _line("Left", [_float(r.left) for r in results], LEFT),
            _line("Right", [_float(r.right) for r in results], RIGHT, borderDash=[2, 2]),
        ]
    else:
        datasets = [_line(test.name, [_float(r.both) for r in results], BOTH)]
    datasets += [_limit_line(line["label"], line["values"]) for line in value_lines]
    config = {
        "type": "line",
        "data": {"labels": labels, "datasets": datasets},
        "options": _options(test.unit),
    }
    lsi_config = None
    if test.per_side:
        lsi_datasets = [_line("LSI", [_float(r.lsi) for r in results], LSI_COLOUR)]
        lsi_datasets += [_limit_line(line["label"], line["values"]) for line in lsi_lines]
        lsi_config = {
            "type": "line",
            "data": {"labels": labels, "datasets": lsi_datasets},
            "options": _options("LSI (%)", y_max=100),
        }
    rows = []
    for index, result in enumerate(results):
        if result.evaluated_at is not None:
            passed, reasons = result.passed, list(result.reasons)
        else:  # not checked by the worker yet: the same evaluation, for the screen
            evaluation = evaluate(
                test=spec,
                rules=rules,
                values={"left": result.left, "right": result.right, "both": result.both},
                person=person_on(result.date),
            )
            passed, reasons = evaluation.passed, evaluation.reasons
        rows.append(
            {
                "date": result.date,
                "label": labels[index],
                "left": number(result.left, test.decimals),
                "right": number(result.right, test.decimals),
                "both": number(result.both, test.decimals),
                "lsi": number(result.lsi) if result.lsi is not None else "–",
                "limits": [
                    number(line["values"][index], test.decimals)
                    if line["values"][index] is not None
                    else "–"
                    for line in value_lines
                ],
                "lsi_limits": [
                    number(line["values"][index]) if line["values"][index] is not None else "–"
                    for line in lsi_lines
                ],
                "passed": passed,
                "reasons": reasons,
            }
        )
    return {
        "test": test,
        "slug": test.slug,
        "chart_id": chart_id,
        "config": config,
        "lsi_chart_id": f"{chart_id}-lsi" if lsi_config else None,
        "lsi_config": lsi_config,
        "limit_labels": [line["label"] for line in value_lines],
        "lsi_limit_labels": [line["label"] for line in lsi_lines],
        "rules": [_rule_text(rule, test) for rule in rules],
        "rows": rows[::-1],  # newest first in the table
        "latest": rows[-1] if rows else None,
    }


def _rule_text(rule: Rule, test: Test) -> str:
    if rule.kind == RuleKind.THRESHOLD:
        return f"{_symbol(rule.comparator)} {number(rule.value)} {test.unit}"
    if rule.kind == RuleKind.NORM:
        return "the age and sex norm"
    if rule.kind == RuleKind.LSI:
        return f"LSI ≥ {number(rule.value)} %"
    return f"side difference ≤ {number(rule.value)} {test.unit}"


# --- weekly trends --------------------------------------------------------------------------------


def weekly_trends(
    weeks: list[datetime.date], figures: dict[datetime.date, Figures], *, window: int
) -> dict:
    """Pain and session load per week, foot contacts per week with their rolling average.

    `weeks` are the Mondays shown, oldest first, preceded by `window - 1` earlier weeks that only
    feed the average; `figures` is {Monday: Figures} of the athlete."""
    empty = Figures()
    contacts_all = [figures.get(week, empty).contacts for week in weeks]
    averages = rolling_average(contacts_all, window)[window - 1 :]
    shown = weeks[window - 1 :]
    labels = [_week_label(week) for week in shown]
    load = [figures.get(week, empty).session_load for week in shown]
    pain = [figures.get(week, empty).pain for week in shown]
    contacts = contacts_all[window - 1 :]
    rounded = [None if value is None else round(value, 1) for value in averages]
    pain_load = {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "type": "bar",
                    "label": "Session load (sRPE × min)",
                    "data": load,
                    "backgroundColor": LOAD,
                    "yAxisID": "y",
                    "order": 2,
                },
                _line("Highest pain (0–10)", pain, PAIN, type="line", yAxisID="pain", order=1),
                _limit_line(f"Acceptable pain ≤ {PAIN_LIMIT}", [PAIN_LIMIT] * len(shown))
                | {"type": "line", "yAxisID": "pain", "order": 0},
            ],
        },
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {
                "y": {
                    "beginAtZero": True,
                    "title": {"display": True, "text": "Session load (sRPE × min)"},
                },
                "pain": {
                    "position": "right",
                    "min": 0,
                    "max": 10,
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": "Pain (0–10)"},
                },
            },
        },
    }
    contacts_chart = {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "type": "bar",
                    "label": "Foot contacts",
                    "data": contacts,
                    "backgroundColor": CONTACTS,
                    "order": 2,
                },
                _line(f"{window}-week average", rounded, AVERAGE, type="line", order=1),
            ],
        },
        "options": _options("Foot contacts", y_min=0),
    }
    rows = [
        {
            "label": labels[i],
            "week": shown[i],
            "load": f"{load[i]:g}",
            "pain": "–" if pain[i] is None else pain[i],
            "contacts": contacts[i],
            "average": "–" if rounded[i] is None else f"{rounded[i]:g}",
        }
        for i in range(len(shown))
    ]
    return {"pain_load": pain_load, "contacts": contacts_chart, "rows": rows, "window": window}


# --- sessions, programs, calendar -----------------------------------------------------------------


def _session_rows(sessions) -> list[dict]:
    rows = []
    for session in sessions:
        pains = [p for p in (session.pain, session.set_pain) if p is not None]
        load = session.session_load
        rows.append(
            {
                "date": session.date,
                "name": session.name,
                "program": session.assignment.template.name,
                "status": session.get_status_display(),
                "badge": BADGES.get(session.status, "badge"),
                "rpe": number(session.session_rpe),
                "minutes": session.duration_minutes if session.duration_minutes else "–",
                "load": "–" if load is None else f"{load:g}",
                "pain": max(pains) if pains else "–",
                "sets": session.set_count,
                "reps": session.total_reps or 0,
                "contacts": session.total_contacts or 0,
            }
        )
    return rows


def athlete_insight(*, user, athlete: Athlete, today: datetime.date | None = None) -> dict:
    """Everything the athlete page shows beyond the profile; a fixed number of queries."""
    today = today or timezone.localdate()
    organisation = athlete.organisation_id
    # The rules that apply depend on every team the athlete is on (not only those the user sees).
    prefetch_related_objects([athlete], Prefetch("teams", queryset=Team.objects.order_by("id")))

    assignments = list(
        assignments_visible_to(user, organisation=organisation)
        .filter(athlete=athlete)
        .exclude(status=AssignmentStatus.ENDED)
        .select_related("template")
        .annotate(
            session_count=Count("sessions"),
            done_count=Count("sessions", filter=Q(sessions__status=SessionStatus.COMPLETED)),
        )
        .order_by("-start_date", "-id")
    )

    first = today.replace(day=1)
    grid_start, grid_end = _grid_bounds(first)
    sessions = sessions_visible_to(user, organisation=organisation).filter(athlete=athlete)
    month = list(
        sessions.filter(date__gte=grid_start, date__lte=grid_end).order_by("date", "sequence")
    )
    for session in month:
        session.badge = BADGES.get(session.status, "badge")
    recent = list(
        sessions.filter(date__lte=today)
        .exclude(status__in=[SessionStatus.ON_HOLD, SessionStatus.CANCELLED])
        .select_related("assignment__template")
        .annotate(
            set_count=Count("logged_sets"),
            total_reps=Sum("logged_sets__reps"),
            total_contacts=Sum("logged_sets__contacts"),
            set_pain=Max("logged_sets__pain"),
        )
        .order_by("-date", "-sequence")[:RECENT_SESSIONS]
    )

    results = list(
        results_visible_to(user, organisation=organisation)
        .filter(athlete=athlete)
        .select_related("test")
        .order_by("test__name", "test_id", "date", "id")
    )
    test_ids = {r.test_id for r in results}
    baselines = (
        list(
            baselines_visible_to(user, organisation=organisation)
            .filter(test_id__in=test_ids)
            .prefetch_related("norms")
            .order_by("id")
        )
        if test_ids
        else []
    )
    tests = []
    for _, group in groupby(results, key=lambda r: r.test_id):
        of_test = list(group)
        test = of_test[0].test
        rules = rules_for(test, athlete, baselines=baselines)
        tests.append(test_panel(test, of_test, rules, athlete, chart_id=f"chart-test-{test.pk}"))

    weeks = recent_weeks(TREND_WEEKS + ROLLING_WEEKS - 1, today)
    figures = weekly_figures(
        athlete_ids=[athlete.pk],
        start=weeks[0],
        end=week_start(today) + datetime.timedelta(days=6),
        today=today,
    )
    by_week = {week: item for (_, week), item in figures.items()}

    return {
        "assignments": assignments,
        "calendar": {"month": first, "grid": _grid(first, month, today)},
        "sessions": _session_rows(recent),
        "tests": tests,
        "trends": weekly_trends(weeks, by_week, window=ROLLING_WEEKS),
    }
