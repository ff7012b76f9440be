"""The program coach pages: assigning with a preview, access, the athlete calendar and a
team's training figures.

Personas come from conftest: the head coach runs the club, the assistant coach has Forwards
only, the athlete (Fin Forward) sees only themself and the outsider coaches another club.
"""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programs import services
from programs.figures import week_start
from programs.models import (
    Assignment,
    AssignmentStatus,
    Prescription,
    ProgramTemplate,
    ScheduledSession,
    SessionStatus,
    TemplateSession,
)
from tests.conftest import login
from tests.factories import AthleteFactory, library, program
from tests.program_pages import (
    HTMX,
    NEXT_MONDAY,
    TODAY,
    D,
    assign_data,
    assigned,
    edit_data,
    html,
    row_of,
    session_of,
    table_row,
    text,
    url,
)

pytestmark = pytest.mark.django_db

# --- assigning


def test_preview_shows_the_dates_without_assigning(client, head_coach, calf, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(athletes=[forward.pk])
    )

    page = html(response)
    assert response.status_code == 200
    dates = re.findall(r'<time datetime="([\d-]+)">', page)
    assert dates == [
        (NEXT_MONDAY + D(days=days)).isoformat() for days in (0, 3, 7, 10, 14, 17, 21, 24)
    ]
    assert "Preview: 8 sessions" in page
    assert not Assignment.objects.exists()


def test_htmx_preview_returns_only_the_panel(client, head_coach, calf, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(athletes=[forward.pk]), **HTMX
    )

    assert html(response).lstrip().startswith('<div id="assign-panel">')
    assert len(re.findall(r"<time datetime=", html(response))) == 8


def test_preview_shows_the_schedule_warnings(client, head_coach, calf, forward):
    data = assign_data(athletes=[forward.pk], weekdays=["0", "6"])

    page = html(login(client, head_coach).post(url("program_assign", calf.pk), data))

    assert "Week 2 fits 1 of 2 sessions with these weekdays and a 48 h gap." in page


def test_confirm_assigns_and_opens_the_athletes_calendar(client, head_coach, calf, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(athletes=[forward.pk], action="confirm")
    )

    [assignment] = Assignment.objects.all()
    assert response.status_code == 302
    assert response["Location"] == (
        url("athlete_calendar", forward.pk) + f"?month={NEXT_MONDAY:%Y-%m}"
    )
    assert (assignment.athlete, assignment.weekdays, assignment.sessions.count()) == (
        forward,
        [0, 3],
        8,
    )


def test_confirm_for_a_team_opens_the_team_page(client, head_coach, calf, forwards, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(team=forwards.pk, action="confirm")
    )

    assert response["Location"] == url("team_training", forwards.pk)
    assert Assignment.objects.get().athlete == forward


def test_service_errors_show_on_the_named_field(client, head_coach, calf, forward):
    data = assign_data(athletes=[forward.pk], sessions_per_week=3, action="confirm")

    response = login(client, head_coach).post(url("program_assign", calf.pk), data)

    assert response.status_code == 400
    assert re.search(
        r'id="id_weekdays_error"><li>3 sessions a week need at least 3 weekdays.', html(response)
    )
    assert not Assignment.objects.exists()


def test_choosing_nobody_is_refused(client, head_coach, calf):
    response = login(client, head_coach).post(url("program_assign", calf.pk), assign_data())

    assert response.status_code == 400
    assert "Choose at least one athlete or a team." in html(response)


@pytest.mark.parametrize("field", ["athletes", "team"])
def test_assistant_coach_cannot_assign_to_the_backs(client, assistant_coach, calf, back, field):
    chosen = {"athletes": [back.pk]} if field == "athletes" else {"team": back.teams.get().pk}

    response = login(client, assistant_coach).post(
        url("program_assign", calf.pk), assign_data(action="confirm", **chosen)
    )

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html(response)
    assert not Assignment.objects.exists()


# --- access


@pytest.fixture
def our_urls(club, head_coach, calf, forward, forwards):
    assignment = assigned(calf, forward, head_coach)
    scheduled = assignment.sessions.get(sequence=1)
    session = session_of(calf)
    raise_ = row_of(calf, "bent-knee-heel-raise")
    gets = [
        url("program_builder", calf.pk),
        url("program_assign", calf.pk),
        url("session_block", calf.pk, session.pk),
        url("session_exercise_search", calf.pk, session.pk) + "?q=heel",
        url("prescription_edit", calf.pk, raise_.pk),
        url("athlete_calendar", forward.pk),
        url("team_training", forwards.pk),
    ]
    posts = [
        (url("program_builder", calf.pk), {"program-name": "X", "program-weeks": 2}),
        (url("program_duplicate", calf.pk), {}),
        (url("program_assign", calf.pk), assign_data(athletes=[forward.pk], action="confirm")),
        (url("session_add", calf.pk), {"session-name": "Extra"}),
        (url("session_remove", calf.pk, session.pk), {}),
        (url("prescription_add", calf.pk, session.pk), {"exercise": library("toe-raise").pk}),
        (url("prescription_edit", calf.pk, raise_.pk), edit_data(raise_, sets=9)),
        (url("prescription_preset", calf.pk, raise_.pk), {"preset": "heavy"}),
        (url("prescription_move", calf.pk, raise_.pk), {"direction": "down"}),
        (url("prescription_remove", calf.pk, raise_.pk), {}),
        (url("assignment_change", forward.pk, assignment.pk, "pause"), {}),
        (url("assignment_change", forward.pk, assignment.pk, "end"), {}),
        (url("session_reschedule", forward.pk, scheduled.pk), {"date": TODAY.isoformat()}),
    ]
    return gets, posts


def snapshot():
    return (
        list(ProgramTemplate.objects.values_list("id", "name", "version")),
        list(TemplateSession.objects.values_list("id", "name")),
        list(Prescription.objects.values_list("id", "order", "sets", "target_min")),
        list(Assignment.objects.values_list("id", "status")),
        list(ScheduledSession.objects.values_list("id", "date", "status")),
    )


def test_outsider_gets_404_everywhere_and_changes_nothing(client, outsider, our_urls):
    gets, posts = our_urls
    before = snapshot()
    login(client, outsider)

    for address in gets:
        assert client.get(address).status_code == 404, address
        assert client.get(address, **HTMX).status_code == 404, address
    for address, data in posts:
        assert client.post(address, data).status_code == 404, address
        assert client.post(address, data, **HTMX).status_code == 404, address

    assert snapshot() == before
    assert "Calf strength" not in html(client.get(url("program_list")))


def test_athlete_gets_403_on_coach_pages_and_404_on_others_calendars(
    client, athlete_user, calf, back, backs
):
    login(client, athlete_user)

    for address in (
        url("program_list"),
        url("program_create"),
        url("program_builder", calf.pk),
        url("program_assign", calf.pk),
    ):
        assert client.get(address).status_code == 403, address
    assert client.post(url("program_duplicate", calf.pk)).status_code == 403
    assert client.get(url("athlete_calendar", back.pk)).status_code == 404
    assert client.get(url("team_training", backs.pk)).status_code == 404
    assert (
        client.get(url("athlete_calendar", athlete_user.athlete_profiles.get().pk)).status_code
        == 403
    )
    assert ProgramTemplate.objects.count() == 1


def test_assistant_coach_cannot_open_a_backs_calendar(client, assistant_coach, back, backs):
    login(client, assistant_coach)

    assert client.get(url("athlete_calendar", back.pk)).status_code == 404
    assert client.get(url("team_training", backs.pk)).status_code == 404


# --- the athlete calendar


def test_calendar_shows_the_month_with_status_badges(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    first = assignment.sessions.get(sequence=1)
    services.session_complete(session=first, completed_by=head_coach, session_rpe=6)
    month = f"{NEXT_MONDAY:%Y-%m}"

    page = html(
        login(client, head_coach).get(url("athlete_calendar", forward.pk), {"month": month})
    )

    cell = page.split(f'<time datetime="{first.date:%Y-%m-%d}">')[1].split("</td>")[0]
    assert text(cell) == f"{first.date.day} Calf A Completed"
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert "0 of 8 sessions done" not in page and "1 of 8 sessions done" in page


def test_a_bad_month_is_a_400_naming_the_field(client, head_coach, forward):
    response = login(client, head_coach).get(url("athlete_calendar", forward.pk), {"month": "13"})

    assert response.status_code == 400
    assert "Month: Give the month as YYYY-MM, e.g. 2026-11." in html(response)


def test_rescheduling_moves_later_sessions_and_says_which(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    first = assignment.sessions.get(sequence=1)

    response = login(client, head_coach).post(
        url("session_reschedule", forward.pk, first.pk),
        {"date": (NEXT_MONDAY + D(days=2)).isoformat()},
        follow=True,
    )

    dates = dict(assignment.sessions.values_list("sequence", "date"))
    assert dates[1] == NEXT_MONDAY + D(days=2)
    assert dates[2] == NEXT_MONDAY + D(days=7)
    assert dates[3] == NEXT_MONDAY + D(days=10)
    old, new = NEXT_MONDAY + D(days=3), NEXT_MONDAY + D(days=7)
    assert (
        f"Later sessions moved to keep the gap: Calf A (session 2) {old:%a %d %b} → "
        f"{new:%a %d %b}; " in html(response)
    )


def test_rescheduling_too_close_names_the_date(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    second = assignment.sessions.get(sequence=2)

    response = login(client, head_coach).post(
        url("session_reschedule", forward.pk, second.pk),
        {"date": (NEXT_MONDAY + D(days=1)).isoformat()},
    )

    assert response.status_code == 400
    assert "New date: It must be at least 48 h after the session before" in html(response)
    assert assignment.sessions.get(sequence=2).date == NEXT_MONDAY + D(days=3)


def test_pause_resume_and_end_from_the_calendar(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    calendar = url("athlete_calendar", forward.pk)
    login(client, head_coach)

    paused = client.post(url("assignment_change", forward.pk, assignment.pk, "pause"))
    statuses_paused = set(assignment.sessions.values_list("status", flat=True))
    again = client.post(url("assignment_change", forward.pk, assignment.pk, "pause"))
    client.post(url("assignment_change", forward.pk, assignment.pk, "resume"))
    first_after_resume = assignment.sessions.get(sequence=1)
    client.post(url("assignment_change", forward.pk, assignment.pk, "end"))

    assert paused["Location"].startswith(calendar)
    assert statuses_paused == {SessionStatus.ON_HOLD}
    assert again.status_code == 400
    assert "Calf strength: The assignment is paused." in html(again)
    assert first_after_resume.status == SessionStatus.SCHEDULED
    assert first_after_resume.date >= TODAY
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ENDED
    assert set(assignment.sessions.values_list("status", flat=True)) == {SessionStatus.CANCELLED}


def log_sets(athlete, session, exercise, coach, *, count, **values):
    when = timezone.make_aware(datetime.datetime.combine(session.date, datetime.time(18)))
    for number in range(1, count + 1):
        services.set_log(
            athlete=athlete,
            logged_by=coach,
            client_uuid=uuid.uuid4(),
            exercise=exercise,
            session=session,
            performed_at=when,
            set_number=number,
            **values,
        )


def test_weekly_figures_on_the_calendar_match_the_logged_sets(client, head_coach, calf, forward):
    last_monday = week_start(TODAY) - D(days=7)
    assignment = assigned(calf, forward, head_coach, start=last_monday)
    monday = assignment.sessions.get(sequence=1)
    log_sets(forward, monday, library("bent-knee-heel-raise"), head_coach, count=2, reps=12)
    log_sets(forward, monday, library("jump-rope"), head_coach, count=2, contacts=50)
    services.session_complete(
        session=monday, completed_by=head_coach, session_rpe=5, duration_minutes=30
    )

    page = html(login(client, head_coach).get(url("athlete_calendar", forward.pk)))

    # 1 of the 2 sessions due; 24 reps × 6 s (tempo 3-0-3) = 2.4 min; 100 contacts; 5 × 30.
    assert table_row(page, f"{last_monday:%d %b}") == [
        f"{last_monday:%d %b}",
        "50 %",
        "1/2",
        "24",
        "2.4",
        "100",
        "150",
    ]
    earlier = last_monday - D(days=7)
    assert table_row(page, f"{earlier:%d %b}")[1:] == ["—", "0/0", "0", "0.0", "0", "0"]


def test_team_training_shows_each_athlete_and_the_team_totals(
    client, head_coach, calf, forwards, forward
):
    teammate = AthleteFactory(
        organisation=forward.organisation, teams=[forwards], first_name="Tom", last_name="Tight"
    )
    last_monday = week_start(TODAY) - D(days=7)
    for athlete in (forward, teammate):
        done = assigned(calf, athlete, head_coach, start=last_monday).sessions.get(sequence=1)
        log_sets(athlete, done, library("bent-knee-heel-raise"), head_coach, count=1, reps=10)
        services.session_complete(
            session=done, completed_by=head_coach, session_rpe=4, duration_minutes=20
        )

    page = html(login(client, head_coach).get(url("team_training", forwards.pk)))

    team_weeks = page.split('id="team-weeks-heading"')[1].split("</section>")[0]
    assert table_row(team_weeks, f"{last_monday:%d %b}") == [
        f"{last_monday:%d %b}",
        "2",
        "50 %",
        "2/4",
        "20",
        "2.0",
        "0",
        "160",
    ]
    per_athlete = page.split(f'id="athlete-{teammate.pk}-figures"')[1].split("</tbody>")[0]
    assert "Tom Tight" in per_athlete
    assert table_row(per_athlete, f"{last_monday:%d %b}")[1:5] == ["50 %", "1/2", "10", "1.0"]


# --- query counts


def test_program_list_query_count_does_not_grow(
    client, head_coach, club, forward, django_assert_num_queries
):
    def add(n, start):
        for i in range(start, start + n):
            template = program(club, name=f"Program {i:02}")
            if i % 2:
                assigned(template, forward, head_coach)

    add(5, 0)
    login(client, head_coach)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get(url("program_list"))).count("<tr>") == 6
    add(45, 5)

    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get(url("program_list"))).count("<tr>") == 51


def test_calendar_query_count_does_not_grow(
    client, head_coach, club, forward, django_assert_num_queries
):
    one_week = program(club, name="One week", weeks=1)
    month = {"month": f"{NEXT_MONDAY:%Y-%m}"}

    def add(n):
        for i in range(n):
            assigned(one_week, forward, head_coach, sessions_per_week=1, weekdays=[i % 7])

    add(5)
    login(client, head_coach)
    calendar = url("athlete_calendar", forward.pk)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get(calendar, month)).count('class="calendar-session"') == 5
    add(45)

    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get(calendar, month)).count('class="calendar-session"') == 50


def test_team_training_query_count_does_not_grow(
    client, head_coach, club, forwards, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            AthleteFactory(organisation=club, teams=[forwards])

    add(5)
    login(client, head_coach)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get(url("team_training", forwards.pk))).count("<tbody id=") == 5
    add(45)

    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get(url("team_training", forwards.pk))).count("<tbody id=") == 50
