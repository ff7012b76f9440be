"""The coach's dashboard at /dashboard/ (the active organisation), also the staff's home page.

Staff only: athletes get a 403 before anything is read. `?team=<id>` narrows it to one of the
teams the user sees; a team they do not see (another club's, or one a coach does not coach) is
a 404, a team that is not a number a 400 naming the field. With htmx, changing the team swaps
only the sections (`#dashboard-sections`). Flag cards (the newest few open flags, a lighter
version of the flag inbox's card, their text and links worked out here) post to the flag inbox's
own resolve and dismiss actions, which swap the card in place.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views.decorators.http import require_GET

from assessments.views import is_htmx
from assessments.views_flags import _decorate as decorate_flag
from athletes.context import staff_membership
from athletes.selectors import teams_visible_to

from .dashboard import dashboard_for

SECTIONS_TARGET = "dashboard-sections"


class TeamChoiceError(ValueError):
    pass


def _team(request, organisation):
    """The team of `?team=`, None for the whole club; 404 for a team the user does not see."""
    raw = request.GET.get("team", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise TeamChoiceError("Team: choose one of your teams.")
    team = teams_visible_to(request.user, organisation=organisation).filter(pk=int(raw)).first()
    if team is None:
        raise Http404("No such team.")
    return team


def dashboard_page(request, membership):
    """Render the dashboard for a staff membership (the staff's home page uses it too)."""
    organisation = membership.organisation
    error, team = "", None
    try:
        team = _team(request, organisation)
    except TeamChoiceError as problem:
        error = str(problem)
    board = dashboard_for(user=request.user, organisation=organisation, team=team)
    for flag in board.open_flags:
        decorate_flag(flag, board.today)
        flag.card = _card(flag)
    all_teams = team is None and not error
    context = {
        "board": board,
        "membership": membership,
        "organisation": organisation,
        "team_choices": teams_visible_to(request.user, organisation=organisation),
        "chosen_team": team,
        "team_error": error,
        "all_teams": all_teams,
        "team_count": len(board.teams) if all_teams else None,
        "next_url": request.get_full_path(),
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
    }
    partial = is_htmx(request) and request.htmx.target == SECTIONS_TARGET
    template = "insights/_dashboard_sections.html" if partial else "insights/dashboard.html"
    response = render(request, template, context, status=400 if error else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _card(flag) -> SimpleNamespace:
    """What a flag's card shows, worked out once rather than looked up in the template."""
    athlete = flag.athlete
    return SimpleNamespace(
        name=athlete.full_name,
        what=flag.test.name if flag.test else flag.get_kind_display(),
        status=flag.get_status_display(),
        reasons="; ".join(flag.reasons or []),
        teams=", ".join(team.name for team in athlete.teams.all()),
        detail_url=reverse("flag_detail", args=[flag.pk]),
        resolve_url=reverse("flag_resolve", args=[flag.pk]),
        dismiss_url=reverse("flag_dismiss", args=[flag.pk]),
        results_url=reverse("athlete_results", args=[flag.athlete_id]),
    )


@require_GET
@login_required
def dashboard(request):
    return dashboard_page(request, staff_membership(request))
