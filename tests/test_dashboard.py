"""The coach's dashboard (/dashboard/, and the staff's home page): open flags with one-click
actions, athletes on a protocol, retests due or overdue, this week's compliance per team, pain
and recent test days; scoped to what the staff member sees, in a fixed number of queries.

Data is made the way the product makes it: results are recorded and evaluated (which raises
flags and puts athletes on protocols), programs are assigned, sessions completed, sets logged.
"""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import Flag, FlagStatus, Test
from insights.dashboard import FLAG_CARDS, dashboard_for
from programs.figures import week_start
from programs.models import ScheduledSession
from programs.services import program_assign, session_complete, set_log
from tests.conftest import login
from tests.factories import AthleteFactory, library

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dashboard-sections"}


def html(response) -> str:
    return response.content.decode()


def section(page: str, name: str) -> str:
    """The HTML of one dashboard section."""
    match = re.search(rf'<section id="{name}".*?</section>', page, re.S)
    assert match, f"no section {name}"
    return match.group(0)


def card_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article class="flag-card[^"]*" id="flag-(\d+)"', page)]


@pytest.fixture
def knee_to_wall(db):
    return Test.objects.get(organisation=None, slug="knee-to-wall")


def flagged(athlete, test, trials, by, day=TODAY - datetime.timedelta(days=3)) -> Flag:
    result, _ = services.result_record(
        athlete=athlete, test=test, trials=trials, recorded_by=by, date=day
    )
    services.result_evaluate(result_id=result.id, today=day)
    return Flag.objects.get(athlete=athlete, test=test, status__in=FlagStatus.values[:3])


def dashboard(client, user, **query):
    return login(client, user).get(reverse("dashboard"), query)


# --- sections ------------------------------------------------------------------------------------


def test_open_flags_show_their_reasons_and_one_click_actions(
    client, head_coach, forward, back, ankling, knee_to_wall
):
    open_flag = flagged(back, knee_to_wall, {"left": [8], "right": [12]}, head_coach)
    on_protocol = flagged(forward, ankling, {"both": [240]}, head_coach)

    response = dashboard(client, head_coach)

    flags = section(html(response), "open-flags")
    assert response.status_code == 200
    assert card_ids(flags) == [open_flag.pk]  # the one on protocol is in its own section
    assert "left 8.0 cm &lt; 10.0" in flags
    assert f'hx-post="{reverse("flag_resolve", args=[open_flag.pk])}"' in flags
    assert f'hx-post="{reverse("flag_dismiss", args=[open_flag.pk])}"' in flags
    assert 'name="next" value="/dashboard/"' in flags
    assert 'id="open-flag-count">1<' in html(response)
    assert on_protocol.pk not in card_ids(flags)


def test_athletes_on_a_protocol_are_listed_with_their_retest_dates(
    client, head_coach, forward, ankling
):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)

    protocols = section(html(dashboard(client, head_coach)), "protocols")

    assert "Fin Forward" in protocols
    assert (
        f'Ankling strength protocol <span class="muted">from {flag.protocol.start_date:%-d %b}'
        in (protocols)
    )
    assert f"{flag.retest_due:%-d %b %Y}" in protocols
    assert "Failed Ankling" in protocols


def test_retests_due_soon_or_overdue_are_listed_with_how_late_they_are(
    client, head_coach, forward, back, club, forwards, ankling
):
    overdue = flagged(forward, ankling, {"both": [240]}, head_coach, TODAY - datetime.timedelta(50))
    soon = AthleteFactory(organisation=club, teams=[forwards], first_name="Sam", last_name="Soon")
    due_soon = flagged(soon, ankling, {"both": [250]}, head_coach, TODAY - datetime.timedelta(38))
    flagged(back, ankling, {"both": [260]}, head_coach)  # retest in 39 days: not yet

    board = dashboard_for(user=head_coach, organisation=club)
    page = section(html(dashboard(client, head_coach)), "retests")

    assert [(r.flag, r.days) for r in board.retests] == [(overdue, -8), (due_soon, 4)]
    assert board.retest_count == 2
    assert f"{overdue.retest_due:%-d %b} · overdue by 8 days" in page
    assert f"{due_soon.retest_due:%-d %b} · due in 4 days" in page
    assert "Bea Back" not in page


def _assign(template, athletes, monday, by):
    return program_assign(
        template=template,
        assigned_by=by,
        athletes=athletes,
        start_date=monday,
        sessions_per_week=2,
        weekdays=[0, 2],
    )


def test_compliance_this_week_per_team(
    client, head_coach, club, forwards, backs, forward, back, calf
):
    monday = week_start(TODAY) - datetime.timedelta(days=7)  # a past week, to control "today"
    thursday = monday + datetime.timedelta(days=3)
    second_forward = AthleteFactory(organisation=club, teams=[forwards])
    _assign(calf, [forward, second_forward, back], monday, head_coach)
    done = [
        ScheduledSession.objects.get(athlete=forward, date=monday),
        ScheduledSession.objects.get(athlete=back, date=monday),
        ScheduledSession.objects.get(athlete=back, date=monday + datetime.timedelta(days=2)),
    ]
    for session in done:
        session_complete(
            session=session, completed_by=head_coach, session_rpe=5, duration_minutes=40
        )

    board = dashboard_for(user=head_coach, organisation=club, today=thursday)

    rows = {row.team.name: row for row in board.compliance}
    assert (rows["Forwards"].figures.completed, rows["Forwards"].figures.scheduled) == (1, 4)
    assert rows["Forwards"].percent == 25
    assert rows["Forwards"].athletes == 2
    assert (rows["Backs"].figures.completed, rows["Backs"].figures.scheduled) == (2, 2)
    assert rows["Backs"].percent == 100
    assert rows["Backs"].figures.session_load == 400.0


def test_compliance_section_renders_each_team(client, head_coach, forwards, backs, forward):
    page = section(html(dashboard(client, head_coach)), "compliance")

    assert "Forwards" in page and "Backs" in page
    assert "no sessions due" in page


def test_pain_above_five_and_rising_pain_are_reported(
    client, head_coach, club, forwards, forward, back, calf
):
    monday = week_start(TODAY) - datetime.timedelta(days=7)
    thursday = monday + datetime.timedelta(days=3)
    calm = AthleteFactory(organisation=club, teams=[forwards], first_name="Cal", last_name="Calm")
    _assign(calf, [forward, back, calm], monday, head_coach)

    def complete(athlete, day, pain):
        session = ScheduledSession.objects.get(athlete=athlete, date=day)
        session_complete(session=session, completed_by=head_coach, pain=pain)

    complete(forward, monday, 7)  # above 5/10
    complete(back, monday + datetime.timedelta(days=2), 4)  # rising: 2 last week → 4
    complete(calm, monday, 2)  # steady and low
    jump_rope = library("jump-rope")
    for athlete, pain in ((back, 2), (calm, 2)):
        set_log(
            athlete=athlete,
            logged_by=head_coach,
            client_uuid=uuid.uuid4(),
            exercise=jump_rope,
            contacts=100,
            pain=pain,
            performed_at=timezone.make_aware(
                datetime.datetime.combine(monday - datetime.timedelta(days=5), datetime.time(18))
            ),
        )

    board = dashboard_for(user=head_coach, organisation=club, today=thursday)

    reports = {r.name: r for r in board.pain}
    assert set(reports) == {"Fin Forward", "Bea Back"}
    assert (reports["Fin Forward"].highest, reports["Fin Forward"].highest_in) == (7, monday)
    assert reports["Fin Forward"].rising_to is None
    assert (reports["Bea Back"].rising_from, reports["Bea Back"].rising_to) == (2, 4)
    assert reports["Bea Back"].highest is None
    assert [r.name for r in board.pain] == ["Fin Forward", "Bea Back"]


def test_pain_section_shows_the_athletes(client, head_coach, forward, calf):
    _assign(calf, [forward], week_start(TODAY), head_coach)
    session = ScheduledSession.objects.filter(athlete=forward).order_by("date").first()
    session.date = TODAY
    session.save(update_fields=["date"])
    session_complete(session=session, completed_by=head_coach, pain=8)

    page = section(html(dashboard(client, head_coach)), "pain")

    assert "Fin Forward" in page
    assert (
        f'<span class="fail">8/10</span> <span class="muted">week of {week_start(TODAY):%-d %b}'
        in page
    )


def test_recent_test_days_count_the_tested_and_the_failed(
    client, head_coach, forwards, forward, club, ankling
):
    other = AthleteFactory(organisation=club, teams=[forwards], first_name="Ola")
    day = services.test_day_create(
        test=ankling, created_by=head_coach, date=TODAY - datetime.timedelta(days=2), team=forwards
    )
    for athlete, reps in ((forward, 240), (other, 320)):
        result, _ = services.result_record(
            athlete=athlete,
            test=ankling,
            trials={"both": [reps]},
            recorded_by=head_coach,
            test_day=day,
        )
        services.result_evaluate(result_id=result.id, today=day.date)

    page = section(html(dashboard(client, head_coach)), "test-days")

    assert f'href="{reverse("test_day_detail", args=[day.pk])}"' in page
    assert re.search(
        r"<td>Forwards</td>\s*<td>2</td>\s*<td><span class=\"fail\">1</span></td>", page
    )


def test_an_empty_club_shows_an_empty_state_in_every_section(client, head_coach):
    page = html(dashboard(client, head_coach))

    assert "No open flags." in section(page, "open-flags")
    assert "Nobody is on a protocol." in section(page, "protocols")
    assert "No retests due in the next 7 days." in section(page, "retests")
    assert "No teams yet." in section(page, "compliance")
    assert "Nobody reported pain above 5/10 or rising pain." in section(page, "pain")
    assert "No test days yet." in section(page, "test-days")


# --- the staff's home, the team filter, htmx ------------------------------------------------------


def test_staff_home_is_the_dashboard_and_athletes_keep_their_home(
    client, head_coach, athlete_user, forward, knee_to_wall
):
    flag = flagged(forward, knee_to_wall, {"left": [8], "right": [12]}, head_coach)

    home = html(login(client, head_coach).get("/"))
    athlete_home = html(login(client, athlete_user).get("/"))

    assert card_ids(section(home, "open-flags")) == [flag.pk]
    nav = re.search(r'<nav aria-label="Main">.*?</nav>', home, re.S).group(0)
    assert re.findall(r'<li><a href="([^"]+)"', nav)[:2] == ["/", "/dashboard/"]  # brand, then
    assert 'aria-current="page">Dashboard<' in nav
    assert "Open today's session" in athlete_home
    assert 'id="open-flags"' not in athlete_home


def test_team_filter_narrows_every_section(
    client, head_coach, forwards, backs, forward, back, ankling
):
    mine = flagged(forward, ankling, {"both": [240]}, head_coach)
    flagged(back, ankling, {"both": [250]}, head_coach)

    page = html(dashboard(client, head_coach, team=forwards.pk))

    assert f'<option value="{forwards.pk}" selected>Forwards</option>' in page
    assert "Fin Forward" in section(page, "protocols")
    assert "Bea Back" not in page
    assert 'id="athlete-count">1<' in page
    assert [
        row.team
        for row in dashboard_for(
            user=head_coach, organisation=forwards.organisation, team=forwards
        ).compliance
    ] == [forwards]
    assert mine.pk


def test_htmx_team_change_swaps_only_the_sections(
    client, head_coach, forwards, backs, back, forward
):
    response = login(client, head_coach).get(reverse("dashboard"), {"team": backs.pk}, **HTMX)

    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="open-flags"' in page
    assert 'id="athlete-count">1<' in page
    assert "HX-Request" in response["Vary"]


def test_team_that_is_not_a_number_is_a_400_naming_the_field(client, head_coach):
    response = dashboard(client, head_coach, team="forwards")

    assert response.status_code == 400
    assert "Team: choose one of your teams." in html(response)


# --- scoping --------------------------------------------------------------------------------------


def test_assistant_coach_sees_only_the_forwards(
    client, head_coach, assistant_coach, forwards, backs, forward, back, ankling, knee_to_wall
):
    flagged(forward, knee_to_wall, {"left": [8], "right": [12]}, head_coach)
    flagged(back, knee_to_wall, {"left": [7], "right": [12]}, head_coach)
    flagged(back, ankling, {"both": [250]}, head_coach)

    response = dashboard(client, assistant_coach)

    page = html(response)
    assert response.status_code == 200
    assert "Fin Forward" in page
    assert "Bea Back" not in page
    assert f'<option value="{backs.pk}"' not in page
    assert 'id="athlete-count">1<' in page
    assert [
        row.team
        for row in dashboard_for(
            user=assistant_coach, organisation=forwards.organisation
        ).compliance
    ] == [forwards]
    assert dashboard(client, assistant_coach, team=backs.pk).status_code == 404


def test_athlete_gets_a_403(client, athlete_user):
    assert dashboard(client, athlete_user).status_code == 403


def test_dashboard_requires_login(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_outsider_cannot_see_our_team(client, outsider, head_coach, forwards, forward, ankling):
    flagged(forward, ankling, {"both": [240]}, head_coach)

    response = dashboard(client, outsider, team=forwards.pk)
    own = html(dashboard(client, outsider))

    assert response.status_code == 404
    assert "Harbour" not in html(response)
    assert "Fin Forward" not in own and "Harbour" not in own


# --- one-click actions ---------------------------------------------------------------------------


def test_resolving_a_flag_from_the_dashboard_swaps_its_card_and_clears_it(
    client, head_coach, back, knee_to_wall
):
    flag = flagged(back, knee_to_wall, {"left": [8], "right": [12]}, head_coach)
    login(client, head_coach)

    response = client.post(
        reverse("flag_resolve", args=[flag.pk]),
        {"next": "/dashboard/"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"flag-{flag.pk}",
    )

    flag.refresh_from_db()
    assert response.status_code == 200
    assert flag.status == FlagStatus.RESOLVED
    assert "Bea Back&#x27;s flag resolved." in html(response)
    assert card_ids(section(html(client.get(reverse("dashboard"))), "open-flags")) == []


def test_dismissing_without_javascript_returns_to_the_dashboard(
    client, head_coach, back, knee_to_wall
):
    flag = flagged(back, knee_to_wall, {"left": [8], "right": [12]}, head_coach)

    response = login(client, head_coach).post(
        reverse("flag_dismiss", args=[flag.pk]),
        {"next": "/dashboard/", f"dismiss-{flag.pk}-reason": "Measured on a sore day"},
    )

    flag.refresh_from_db()
    assert response.status_code == 302
    assert response.url == "/dashboard/"
    assert flag.status == FlagStatus.DISMISSED


# --- queries ------------------------------------------------------------------------------------


def _club_of(size, *, club, forwards, backs, head_coach, ankling, knee_to_wall, calf):
    """`size` athletes per team with every kind of row the dashboard reads."""
    monday = week_start(TODAY)
    jump_rope = library("jump-rope")
    day = services.test_day_create(
        test=ankling, created_by=head_coach, date=TODAY - datetime.timedelta(days=1), team=forwards
    )
    athletes = []
    for team in (forwards, backs):
        for _ in range(size):
            athletes.append(AthleteFactory(organisation=club, teams=[team]))
    for n, athlete in enumerate(athletes):
        result, _ = services.result_record(
            athlete=athlete,
            test=ankling,
            trials={"both": [200 + n]},
            recorded_by=head_coach,
            test_day=day if athlete.teams.filter(pk=forwards.pk).exists() else None,
            date=TODAY - datetime.timedelta(days=45 if n % 2 else 1),
        )
        services.result_evaluate(result_id=result.id, today=result.date)
        flagged(athlete, knee_to_wall, {"left": [8], "right": [12]}, head_coach)
        set_log(
            athlete=athlete,
            logged_by=head_coach,
            client_uuid=uuid.uuid4(),
            exercise=jump_rope,
            contacts=80,
            pain=7,
            performed_at=timezone.make_aware(datetime.datetime.combine(monday, datetime.time(7))),
        )
    _assign(calf, athletes, monday, head_coach)


@pytest.mark.parametrize("team", [False, True])
def test_dashboard_runs_the_same_queries_for_a_club_three_times_larger(
    client, head_coach, club, forwards, backs, ankling, knee_to_wall, calf, team
):
    world = {
        "club": club,
        "forwards": forwards,
        "backs": backs,
        "head_coach": head_coach,
        "ankling": ankling,
        "knee_to_wall": knee_to_wall,
        "calf": calf,
    }
    query = {"team": forwards.pk} if team else {}
    login(client, head_coach)
    _club_of(2, **world)
    client.get(reverse("dashboard"), query)  # warm the session
    with CaptureQueriesContext(connection) as small:
        page = html(client.get(reverse("dashboard"), query))
    assert len(card_ids(section(page, "open-flags"))) == (2 if team else 4)

    _club_of(4, **world)  # 6 athletes per team: three times as many
    with CaptureQueriesContext(connection) as large:
        page = html(client.get(reverse("dashboard"), query))

    flags = section(page, "open-flags")
    assert len(card_ids(flags)) == (6 if team else FLAG_CARDS)  # the newest; the inbox has all
    if not team:
        assert f"Showing {FLAG_CARDS} of 12." in flags
    assert "rising" in section(page, "pain") or "7/10" in section(page, "pain")
    assert len(large.captured_queries) == len(small.captured_queries)
