"""The athlete's week on the phone: this week's sessions, and any day's session page.

- `/today/week/`: this week's sessions (Monday to Sunday), each a link to its day;
- `/today/<yyyy-mm-dd>/`: that day's session, the same page as `/today/` (rest day otherwise).

The service worker keeps these pages on the phone when today's page loads (static/js/offline.js
reads the links marked `data-offline-page`), so the week's exercises and cues open offline.
Pages are built by the today view's functions; only the logged-in athlete's own sessions show.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from athletes.context import active_membership

from .selectors import next_session_for, sessions_between, today_for
from .views_today import _own_logging, _own_profile, _render_session


def week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def _athlete_or_page(request):
    """(athlete, None), or (None, the page to answer instead: staff home, no profile)."""
    membership = active_membership(request)
    if membership is not None and membership.is_staff_role:
        return None, redirect("home")
    athlete = _own_profile(request, membership)
    if athlete is None:
        page = render(request, "programs/today/no_profile.html", {"membership": membership})
        return None, page
    return athlete, None


@login_required
@require_GET
def today_week(request):
    athlete, page = _athlete_or_page(request)
    if page is not None:
        return page
    today = timezone.localdate()
    start, end = week_of(today)
    sessions = list(sessions_between(athlete, start=start, end=end))
    context = {"athlete": athlete, "sessions": sessions, "today": today, "start": start, "end": end}
    return render(request, "programs/today/week.html", context)


@login_required
@require_GET
def today_day(request, day: str):
    try:
        date = datetime.date.fromisoformat(day)
    except ValueError as error:
        raise Http404("No such day.") from error
    athlete, page = _athlete_or_page(request)
    if page is not None:
        return page
    session = today_for(athlete, day=date)
    if session is None:
        context = {"athlete": athlete, "next_session": next_session_for(athlete, after=date)}
        return render(request, "programs/today/rest_day.html", context)
    return _render_session(request, _own_logging(request, session, athlete))
