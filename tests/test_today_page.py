"""The athlete's phone page for today: the session, a fast form per set, completing it, ad hoc
sets, and a coach logging on the athlete's behalf.

Personas come from conftest: `athlete_user` is the login of `forward` (Forwards); the assistant
coach coaches Forwards only; the outsider runs another club.
"""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, timezone
from django.utils.html import escape

from athletes.models import Role
from programs import services
from programs.models import LoggedSet
from tests.conftest import login
from tests.factories import MembershipFactory, UserFactory, club_exercise, library, program

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CALF_A = {
    "Calf A": [
        (
            "bent-knee-heel-raise",
            {
                "sets": 3,
                "target_min": 10,
                "target_max": 12,
                "per_side": True,
                "load_type": "kg",
                "load_value": Decimal("20"),
                "tempo": "3-0-3",
                "rest_seconds": 90,
            },
        ),
        ("ankling-drill", {"sets": 3, "target_min": 120}),
        ("jump-rope", {"sets": 2, "target_min": 50, "load_type": "bodyweight"}),
        (
            "duck-walk",
            {"sets": 3, "target_min": 20, "load_type": "percent_bm", "load_value": Decimal("10")},
        ),
    ]
}


def html(response) -> str:
    return response.content.decode()


def assign(template, athlete, coach, start):
    """Every day from `start`, so today has a session."""
    [assignment] = services.program_assign(
        template=template,
        assigned_by=coach,
        athletes=[athlete],
        start_date=start,
        sessions_per_week=7,
        weekdays=[],
        min_gap_hours=0,
    )
    return assignment


@pytest.fixture
def calf_a(club):
    return program(club, sessions=CALF_A)


@pytest.fixture
def session(calf_a, head_coach, forward, athlete_user):
    today = timezone.localdate()
    return assign(calf_a, forward, head_coach, today).sessions.get(date=today)


@pytest.fixture
def back_session(calf_a, head_coach, back):
    today = timezone.localdate()
    return assign(calf_a, back, head_coach, today).sessions.get(date=today)


def set_data(**values) -> dict:
    """A set of the first exercise (bent-knee heel raise, one side at a time)."""
    data = {
        "item": 1,
        "client_uuid": str(uuid.uuid4()),
        "set_number": 1,
        "side": "left",
        "reps": 12,
        "load_type": "kg",
        "load_value": "20",
        "rpe": 7,
        "pain": 2,
        "notes": "",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def set_url(session) -> str:
    return f"/today/sessions/{session.pk}/sets/"


def complete_url(session) -> str:
    return f"/today/sessions/{session.pk}/complete/"


def coach_url(athlete, session, action="") -> str:
    return f"/athletes/{athlete.pk}/sessions/{session.pk}/log/{action}"


def completion(**values) -> dict:
    data = {"client_uuid": str(uuid.uuid4()), "session_rpe": 6, "duration_minutes": 35}
    data.update(pain=2, notes="")
    data.update(values)
    return data


# --- the page -------------------------------------------------------------------------------------


def test_today_shows_the_session_with_exact_targets_and_cues(client, athlete_user, session):
    page = html(login(client, athlete_user).get("/today/"))

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<h1>Calf A</h1>" in page
    assert "Calf strength · Week 1" in page
    assert '<strong class="target">3 × 10–12 reps</strong> <span class="per-side">each side' in page
    assert '<span class="load">· 20 kg</span>' in page
    assert "<span>Tempo 3-0-3</span><span>Rest 1:30</span>" in page
    assert '<strong class="target">3 × 2:00</strong>' in page
    assert '<strong class="target">2 × 50 foot contacts</strong>' in page
    assert '<span class="load">· bodyweight</span>' in page
    assert '<strong class="target">3 × 20 m</strong>' in page
    assert '<span class="load">· 10 % body mass</span>' in page
    cues = re.findall(r'<details class="cues">(.*?)</details>', page, re.S)
    assert escape(library("bent-knee-heel-raise").cues[0]) in cues[0]
    assert len(cues) == 4


def test_each_exercise_has_one_fast_form_named_by_its_measurement(client, athlete_user, session):
    page = html(login(client, athlete_user).get("/today/"))

    assert re.search(r'<input type="number" name="reps" value="12"[^>]*inputmode="numeric"', page)
    assert re.search(r'<input type="number" name="seconds" value="120"', page)
    assert re.search(r'<input type="number" name="contacts" value="50"', page)
    assert re.search(r'<input type="number" name="metres" value="20"', page)
    assert page.count('<form method="post" action="/today/sessions/') == 5  # 4 sets + complete
    assert page.count(f'hx-post="{set_url(session)}" hx-target="#exercise-1"') == 1
    assert 'name="side" value="left" id="ex1-side_0" required checked' in page
    assert 'name="side" value="right"' in page
    assert page.count('name="side" value="left"') == 1  # only the one-sided exercise
    assert re.search(r'<input type="number" name="load_value" value="20"', page)
    assert len(set(re.findall(r'name="client_uuid" value="([0-9a-f-]{36})"', page))) == 5


def test_a_reload_renders_new_set_uuids(client, athlete_user, session):
    login(client, athlete_user)

    def uuids():
        return set(
            re.findall(r'name="client_uuid" value="([0-9a-f-]{36})"', html(client.get("/today/")))
        )

    assert uuids().isdisjoint(uuids())


def test_staff_are_sent_home_from_today(client, head_coach):
    response = login(client, head_coach).get("/today/")

    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_login_without_athlete_profile_gets_a_friendly_message(client, club):
    user = UserFactory()
    MembershipFactory(organisation=club, user=user, role=Role.ATHLETE)

    response = login(client, user).get("/today/")

    assert response.status_code == 200
    assert "There is no athlete profile linked to your login at Harbour RFC yet" in html(response)


def test_rest_day_shows_the_next_session_and_its_date(
    client, athlete_user, forward, calf_a, head_coach
):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assign(calf_a, forward, head_coach, tomorrow)

    page = html(login(client, athlete_user).get("/today/"))

    assert "<h1>Rest day</h1>" in page
    when = dateformat.format(tomorrow, "l j F")
    assert (
        f'<strong>Calf A</strong> on <time datetime="{tomorrow.isoformat()}">{when}</time>' in page
    )


def test_a_progression_hold_is_shown_in_a_callout(client, athlete_user, forward, head_coach, club):
    template = program(
        club,
        sessions={
            "Calf B": [
                (
                    "calf-raise",
                    {
                        "target_min": 10,
                        "load_type": "kg",
                        "load_value": Decimal("10"),
                        "progression": "add_load",
                        "progression_every_weeks": 1,
                        "progression_load_step": Decimal("2.5"),
                    },
                )
            ]
        },
    )
    today = timezone.localdate()
    assignment = assign(template, forward, head_coach, today - datetime.timedelta(days=7))
    week_one = assignment.sessions.get(date=today - datetime.timedelta(days=7))
    services.set_log(
        athlete=forward,
        logged_by=athlete_user,
        client_uuid=uuid.uuid4(),
        exercise=library("calf-raise"),
        session=week_one,
        reps=10,
        load_type="kg",
        load_value=10,
        pain=7,
    )

    page = html(login(client, athlete_user).get("/today/"))

    assert (
        '<p class="callout callout-hold" role="note">'
        "Pain 7/10 in week 1 is above 5/10: holding.</p>"
    ) in page
    assert '<span class="load">· 10 kg</span>' in page


# --- logging a set --------------------------------------------------------------------------------


def test_a_set_is_stored_and_the_htmx_response_lists_it(client, athlete_user, forward, session):
    response = login(client, athlete_user).post(set_url(session), set_data(), headers=HTMX)

    assert response.status_code == 200
    logged = LoggedSet.objects.get()
    assert (logged.athlete, logged.session, logged.exercise.slug) == (
        forward,
        session,
        "bent-knee-heel-raise",
    )
    assert (logged.reps, logged.side, logged.load_value, logged.rpe, logged.pain) == (
        12,
        "left",
        Decimal("20.0"),
        Decimal("7.0"),
        2,
    )
    assert logged.logged_by == athlete_user
    block = html(response)
    assert block.startswith('<section id="exercise-1"')
    assert '<span class="set-no">Set 1</span> Left · 12 reps · 20 kg · RPE 7 · pain 2/10' in block
    assert '<p class="progress">1 of 6' in block
    # a fresh form for the other side, with a new UUID
    assert 'name="side" value="right" id="ex1-side_1" required checked' in block
    assert f'value="{logged.client_uuid}"' not in block
    assert (
        '<div id="today-status" hx-swap-oob="innerHTML">Bent-knee heel raise: set 1 saved.</div>'
        in block
    )


def test_without_javascript_a_set_redirects_back_to_today(client, athlete_user, session):
    response = login(client, athlete_user).post(set_url(session), set_data())

    assert (response.status_code, response["Location"]) == (302, "/today/#exercise-1")
    assert LoggedSet.objects.count() == 1


def test_a_set_typed_offline_keeps_the_time_the_phone_stamped(client, athlete_user, session):
    typed = timezone.now() - datetime.timedelta(hours=2)

    login(client, athlete_user).post(
        set_url(session), set_data(performed_at=typed.isoformat()), headers=HTMX
    )

    assert LoggedSet.objects.get().performed_at == typed


def test_a_double_tap_with_the_same_uuid_stores_one_set(client, athlete_user, session):
    data = set_data()
    login(client, athlete_user)

    first = client.post(set_url(session), data, headers=HTMX)
    second = client.post(set_url(session), data, headers=HTMX)

    assert (first.status_code, second.status_code) == (200, 200)
    assert LoggedSet.objects.count() == 1
    assert "Bent-knee heel raise: set 1 was already saved." in html(second)
    assert html(second).count('<span class="set-no">') == 1


def test_the_same_uuid_with_other_reps_is_a_conflict_and_changes_nothing(
    client, athlete_user, session
):
    data = set_data()
    login(client, athlete_user)
    client.post(set_url(session), data, headers=HTMX)

    again = client.post(set_url(session), {**data, "reps": 9}, headers=HTMX)
    plain = client.post(set_url(session), {**data, "reps": 9})

    assert again.status_code == 200
    assert "This set was already saved with other values (set 1: Left · 12 reps" in html(again)
    assert plain.status_code == 422
    assert "Nothing was changed." in html(plain)
    assert list(LoggedSet.objects.values_list("reps", flat=True)) == [12]
    # the form offers what was sent again, under a new UUID
    assert re.search(r'<input type="number" name="reps" value="9"', html(again))
    assert f'value="{data["client_uuid"]}"' not in html(again)


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"pain": 11}, "Pain: Choose 0 to 10."),
        ({"rpe": 12}, "RPE: Choose 0 to 10."),
        ({"reps": -1}, "Reps: Ensure this value is greater than or equal to 0."),
        ({"reps": 100000}, "Reps: Ensure this value is less than or equal to 1000."),
        ({"reps": None}, "Reps: This field is required."),
        (
            {"load_type": "lb"},
            "Load unit: Give the load in kg, % body mass or bodyweight (or no load).",
        ),
        ({"load_type": "bodyweight"}, "Load: No load value goes with this load type."),
        ({"load_type": "kg", "load_value": "900"}, "Load: The load must be between 0 and 500 kg."),
        ({"side": None}, "Side: Choose left or right."),
    ],
)
def test_absurd_values_are_rejected_naming_the_field(client, athlete_user, session, values, error):
    login(client, athlete_user)

    htmx = client.post(set_url(session), set_data(**values), headers=HTMX)
    plain = client.post(set_url(session), set_data(**values))

    assert htmx.status_code == 200
    assert error in html(htmx)
    assert plain.status_code == 400
    assert error in html(plain)
    assert not LoggedSet.objects.exists()


def test_a_set_for_another_athletes_session_is_not_found(
    client, athlete_user, session, back_session
):
    response = login(client, athlete_user).post(set_url(back_session), set_data(), headers=HTMX)

    assert response.status_code == 404
    assert not LoggedSet.objects.exists()


def test_a_set_for_an_exercise_outside_the_session_is_a_bad_request(client, athlete_user, session):
    login(client, athlete_user)

    for item in (0, 5, "x"):
        assert client.post(set_url(session), set_data(item=item)).status_code == 400
    assert not LoggedSet.objects.exists()


def test_today_query_count_does_not_grow_with_logged_sets(
    client, athlete_user, forward, session, django_assert_num_queries
):
    def log(count):
        for _ in range(count):
            services.set_log(
                athlete=forward,
                logged_by=athlete_user,
                client_uuid=uuid.uuid4(),
                exercise=library("jump-rope"),
                session=session,
                contacts=50,
            )

    login(client, athlete_user)
    log(5)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get("/today/")).count('<span class="set-no">') == 5
    log(25)

    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get("/today/")).count('<span class="set-no">') == 30


# --- completing the session -----------------------------------------------------------------------


def test_completing_the_session_shows_its_load_and_a_replay_changes_nothing(
    client, athlete_user, session
):
    data = completion()
    login(client, athlete_user)

    first = client.post(complete_url(session), data, headers=HTMX)
    session.refresh_from_db()
    completed_at = session.completed_at
    replay = client.post(complete_url(session), data, headers=HTMX)

    assert first.status_code == replay.status_code == 200
    assert (
        '<h2 id="complete-heading" class="complete-summary">Session complete · load 210 AU</h2>'
        in html(first)
    )
    assert "Session complete · load 210 AU" in html(replay)
    session.refresh_from_db()
    assert (session.status, session.session_rpe, session.duration_minutes, session.pain) == (
        "completed",
        Decimal("6.0"),
        35,
        2,
    )
    assert session.completed_at == completed_at
    assert session.completed_by == athlete_user
    assert "Session complete · load 210 AU" in html(client.get("/today/"))


def test_completing_again_with_other_values_is_a_conflict(client, athlete_user, session):
    login(client, athlete_user)
    client.post(complete_url(session), completion())

    response = client.post(complete_url(session), completion(session_rpe=9))

    assert response.status_code == 422
    assert "This session was already completed with other values." in html(response)
    session.refresh_from_db()
    assert session.session_rpe == Decimal("6.0")


def test_without_javascript_completion_redirects_back_to_today(client, athlete_user, session):
    response = login(client, athlete_user).post(complete_url(session), completion())

    assert (response.status_code, response["Location"]) == (302, "/today/#complete")


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"session_rpe": 11}, "Session RPE: Choose 0 to 10."),
        ({"duration_minutes": 900}, "Minutes: Ensure this value is less than or equal to 600."),
        ({"pain": 11}, "Pain: Choose 0 to 10."),
    ],
)
def test_bad_completion_values_are_rejected_naming_the_field(
    client, athlete_user, session, values, error
):
    response = login(client, athlete_user).post(complete_url(session), completion(**values))

    assert response.status_code == 400
    assert error in html(response)
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_an_athlete_cannot_complete_another_athletes_session(
    client, athlete_user, session, back_session
):
    response = login(client, athlete_user).post(complete_url(back_session), completion())

    assert response.status_code == 404
    back_session.refresh_from_db()
    assert back_session.status == "scheduled"


# --- ad hoc sets ----------------------------------------------------------------------------------


def test_an_ad_hoc_set_of_any_library_exercise_is_stored_without_a_session(
    client, athlete_user, forward
):
    toe_raise = library("toe-raise")
    login(client, athlete_user)

    page = html(client.get("/today/log/", {"exercise": toe_raise.pk}))
    response = client.post(
        "/today/log/",
        {
            "exercise": toe_raise.pk,
            "client_uuid": str(uuid.uuid4()),
            "set_number": 1,
            "reps": 15,
            "load_type": "none",
            "pain": 0,
        },
        headers=HTMX,
    )

    assert '<h2 id="adhoc-exercise-name">Toe raise</h2>' in page
    assert re.search(r'<input type="number" name="reps"', page)
    assert response.status_code == 200
    assert '<span class="set-no">Set 1</span> 15 reps · pain 0/10' in html(response)
    logged = LoggedSet.objects.get()
    assert (logged.athlete, logged.session, logged.exercise, logged.reps) == (
        forward,
        None,
        toe_raise,
        15,
    )


def test_an_ad_hoc_set_of_another_clubs_exercise_is_refused(client, athlete_user, other_club):
    secret = club_exercise(other_club, "Secret drill")
    login(client, athlete_user)

    page = client.get("/today/log/", {"exercise": secret.pk})
    response = client.post(
        "/today/log/",
        {"exercise": secret.pk, "client_uuid": str(uuid.uuid4()), "set_number": 1, "reps": 5},
    )

    assert page.status_code == response.status_code == 400
    assert "Exercise: Choose an exercise from your club&#x27;s library." in html(response)
    assert "Secret drill" not in html(page)
    assert not LoggedSet.objects.exists()


# --- a coach logging on the athlete's behalf ------------------------------------------------------


def test_assistant_coach_logs_on_behalf_of_a_forward(client, assistant_coach, forward, session):
    login(client, assistant_coach)

    page = html(client.get(coach_url(forward, session)))
    response = client.post(coach_url(forward, session, "sets/"), set_data(), headers=HTMX)
    done = client.post(coach_url(forward, session, "complete/"), completion(), headers=HTMX)

    assert "Logging for" in page and forward.full_name in page
    assert '<strong class="target">3 × 10–12 reps</strong>' in page
    assert f'hx-post="{coach_url(forward, session, "sets/")}"' in page
    assert response.status_code == 200
    logged = LoggedSet.objects.get()
    assert (logged.athlete, logged.logged_by) == (forward, assistant_coach)
    assert "Session complete · load 210 AU" in html(done)
    session.refresh_from_db()
    assert session.completed_by == assistant_coach


def test_assistant_coach_gets_404_for_a_backs_athlete(client, assistant_coach, back, back_session):
    login(client, assistant_coach)

    assert client.get(coach_url(back, back_session)).status_code == 404
    assert client.post(coach_url(back, back_session, "sets/"), set_data()).status_code == 404
    assert client.post(coach_url(back, back_session, "complete/"), completion()).status_code == 404
    assert not LoggedSet.objects.exists()


def test_a_session_of_another_athlete_under_a_coached_athlete_is_not_found(
    client, head_coach, forward, back_session
):
    login(client, head_coach)

    assert client.get(coach_url(forward, back_session)).status_code == 404
    assert client.post(coach_url(forward, back_session, "sets/"), set_data()).status_code == 404


def test_an_athlete_cannot_open_the_coach_log_page(
    client, athlete_user, forward, session, back, back_session
):
    login(client, athlete_user)

    assert client.get(coach_url(back, back_session)).status_code == 404
    assert client.get(coach_url(forward, session)).status_code == 404
    assert client.post(coach_url(back, back_session, "sets/"), set_data()).status_code == 404


def test_the_outsider_gets_404_everywhere(client, outsider, forward, session):
    login(client, outsider)

    assert client.get(coach_url(forward, session)).status_code == 404
    assert client.post(coach_url(forward, session, "sets/"), set_data()).status_code == 404
    assert client.post(coach_url(forward, session, "complete/"), completion()).status_code == 404
    assert client.post(set_url(session), set_data()).status_code == 404
    assert client.post(complete_url(session), completion()).status_code == 404
    assert not LoggedSet.objects.exists()
    session.refresh_from_db()
    assert session.status == "scheduled"
