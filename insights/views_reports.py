"""Team reports in the browser: the index, a test's report (and leaderboard), the training
report, each as a page and as a CSV file with the same filters.

Staff only: athletes get a 403 before any lookup. Tests and teams are read through the
selectors with the active organisation, so anything else (another club's team) is a 404; a
malformed parameter is a 400 naming it.
"""

from __future__ import annotations

import datetime
import functools

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from assessments.selectors import tests_visible_to
from athletes.context import staff_membership
from athletes.exports_common import ExportFilters, csv_response, export_filename
from athletes.models import Role
from athletes.selectors import athletes_visible_to, teams_visible_to

from . import reports


class ParamError(Exception):
    def __init__(self, param: str, message: str):
        self.param, self.message = param, message
        super().__init__(f"{param}: {message}")


def report_view(view):
    """Staff's GET view whose malformed parameter (a ParamError) is a 400 naming it."""

    @functools.wraps(view)
    def answered(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ParamError as error:
            return HttpResponseBadRequest(
                f"{error.param}: {error.message}", content_type="text/plain; charset=utf-8"
            )

    return login_required(require_GET(answered))


def _scope(request):
    """The active organisation of a staff member, their teams and the chosen one (or None)."""
    membership = staff_membership(request)
    organisation = membership.organisation
    teams = teams_visible_to(request.user, organisation=organisation).order_by("name", "id")
    team = None
    if raw := request.GET.get("team", "").strip():
        if not raw.isdigit():
            raise ParamError("team", f"Not a team id: {raw}.")
        team = teams.filter(pk=int(raw)).first()
        if team is None:
            raise Http404("No such team.")
    return membership, organisation, teams, team


def _everyone_label(membership) -> str:
    return "Whole club" if membership.role in (Role.OWNER, Role.PHYSIO) else "All my teams"


def _filename(organisation, what: str, team) -> str:
    return export_filename(organisation, what, ExportFilters(team=team))


# --- the index -----------------------------------------------------------------------------------


@report_view
def report_index(request):
    membership, organisation, teams, _ = _scope(request)
    visible = athletes_visible_to(request.user, organisation=organisation).values("id")
    tests = (
        tests_visible_to(request.user, organisation=organisation)
        .annotate(results_count=Count("results", filter=Q(results__athlete__in=visible)))
        .order_by("-results_count", "name", "id")
    )
    context = {
        "organisation": organisation,
        "teams": list(teams),
        "tests": list(tests),
        "everyone": _everyone_label(membership),
    }
    return render(request, "insights/report_index.html", context)


# --- a test's report ------------------------------------------------------------------------------


def _test_report(request, test_id: int):
    membership, organisation, teams, team = _scope(request)
    test = get_object_or_404(tests_visible_to(request.user, organisation=organisation), pk=test_id)
    leaderboard = request.GET.get("view", "").strip()
    if leaderboard not in ("", "table", "leaderboard"):
        raise ParamError("view", f"Unknown view: {leaderboard} (table or leaderboard).")
    leaderboard = leaderboard == "leaderboard"
    if leaderboard and not test.higher_is_better:
        raise ParamError("view", "A leaderboard is for tests where more is better.")
    report = reports.test_report(request.user, organisation=organisation, test=test, team=team)
    return membership, organisation, teams, report, leaderboard


@report_view
def report_test(request, test_id: int):
    membership, organisation, teams, report, leaderboard = _test_report(request, test_id)
    context = {
        "organisation": organisation,
        "teams": teams,
        "team": report.team,
        "test": report.test,
        "report": report,
        "leaderboard": leaderboard,
        "everyone": _everyone_label(membership),
        "chart": reports.distribution_chart(report),
        "counts": {
            outcome.replace(" ", "_"): report.count(outcome)
            for outcome in ("pass", "fail", "no rule", "awaiting evaluation", "not tested")
        },
    }
    return render(request, "insights/report_test.html", context)


@report_view
def report_test_csv(request, test_id: int):
    _, organisation, _, report, leaderboard = _test_report(request, test_id)
    what = f"{report.test.slug}-{'leaderboard' if leaderboard else 'report'}"
    lines = reports.test_report_lines(report, leaderboard=leaderboard)
    return csv_response(lines, filename=_filename(organisation, what, report.team))


# --- the training report --------------------------------------------------------------------------


def _training_report(request):
    membership, organisation, teams, team = _scope(request)
    raw = request.GET.get("weeks", "").strip() or str(reports.DEFAULT_WEEKS)
    if not raw.isdigit() or not 1 <= int(raw) <= reports.MAX_WEEKS:
        raise ParamError("weeks", f"Give a number of weeks from 1 to {reports.MAX_WEEKS}.")
    today = timezone.localdate()
    end = today
    if raw_end := request.GET.get("end", "").strip():
        try:
            end = datetime.date.fromisoformat(raw_end)
        except ValueError:
            raise ParamError("end", f"Not a date: {raw_end} (use YYYY-MM-DD).") from None
    report = reports.training_report(
        request.user, organisation=organisation, team=team, end=end, weeks=int(raw), today=today
    )
    return membership, organisation, teams, report


@report_view
def report_training(request):
    membership, organisation, teams, report = _training_report(request)
    context = {
        "organisation": organisation,
        "teams": teams,
        "team": report.team,
        "report": report,
        "weeks": len(report.weeks),
        "end": report.last_day,
        "everyone": _everyone_label(membership),
        "chart": reports.training_chart(report),
    }
    return render(request, "insights/report_training.html", context)


@report_view
def report_training_csv(request):
    _, organisation, _, report = _training_report(request)
    what = f"training-{report.first_day}_{report.last_day}"
    lines = reports.training_report_lines(report)
    return csv_response(lines, filename=_filename(organisation, what, report.team))
