"""The REST API for assignments and scheduled sessions: scoping per persona, assigning with a
calendar preview, pause/resume/end, rescheduling that moves later sessions, completing safe to
replay, 404 for outsiders, constant query counts."""

import datetime
import uuid

import pytest
from django.utils import timezone

from athletes.selectors import forget_memberships
from programs import services
from programs.models import Assignment, ScheduledSession, TeamAssignment
from tests.api_error_format import error_fields, error_of, error_roots
from tests.factories import AthleteFactory, program

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def next_monday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


@pytest.fixture
def calves(club):
    return program(
        club,
        name="Calf strength",
        sessions={"Calf A": [("bent-knee-heel-raise", {"tempo": "3-0-3", "target_min": 10})]},
    )


@pytest.fixture
def theirs(other_club):
    return program(other_club, name="Road calves")


@pytest.fixture
def assignments(head_coach, calves, forward, back):
    """Forward's and back's assignments, Monday and Thursday each week, by athlete id."""
    given = services.program_assign(
        template=calves,
        assigned_by=head_coach,
        athletes=[forward, back],
        start_date=next_monday(),
        weekdays=[0, 3],
    )
    return {a.athlete_id: a for a in given}


@pytest.fixture
def schedule(assignments):
    """Forward's and back's first sessions, by athlete id."""
    return {athlete: a.sessions.get(sequence=1) for athlete, a in assignments.items()}


# --- assignments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "athletes"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", {"forward"}),
        ("outsider", set()),
    ],
)
def test_assignment_list_shows_each_persona_exactly_their_athletes(
    as_user, personas, forward, back, assignments, persona, athletes
):
    by_name = {"forward": forward, "back": back}
    expected = {assignments[by_name[name].id].id for name in athletes}

    assert ids(as_user(personas[persona]).get("/api/v1/assignments/")) == expected


def test_assigning_creates_one_assignment_per_athlete_with_its_sessions(
    as_user, head_coach, calves, forward, back
):
    start = next_monday()
    response = as_user(head_coach).post(
        "/api/v1/assignments/",
        {"template": calves.id, "athletes": [forward.id, back.id], "start_date": str(start),
         "sessions_per_week": 2, "weekdays": [0, 3], "reason": "Pre-season"},
    )  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    assert {row["athlete"] for row in body} == {forward.id, back.id}
    assert {(row["template"], row["template_version"], row["reason"]) for row in body} == {
        (calves.id, 1, "Pre-season")
    }
    sessions = ScheduledSession.objects.filter(athlete=forward).order_by("sequence")
    assert [s.date for s in sessions] == [
        start + datetime.timedelta(days=d) for d in (0, 3, 7, 10, 14, 17, 21, 24)
    ]


def test_a_team_assignment_reaches_the_teams_athletes(as_user, head_coach, calves, forwards):
    joiner = AthleteFactory(organisation=calves.organisation, teams=[forwards])
    response = as_user(head_coach).post(
        "/api/v1/assignments/",
        {"template": calves.id, "team": forwards.id, "start_date": str(next_monday())},
    )

    assert response.status_code == 201
    team_assignment = TeamAssignment.objects.get(team=forwards)
    assert {row["athlete"] for row in response.json()} == {joiner.id}
    assert {(row["team"], row["team_assignment"]) for row in response.json()} == {
        (forwards.id, team_assignment.id)
    }


def test_preview_returns_the_calendar_and_creates_nothing(as_user, head_coach, calves):
    start = next_monday()
    response = as_user(head_coach).post(
        "/api/v1/assignments/preview/",
        {"template": calves.id, "start_date": str(start), "sessions_per_week": 3,
         "weekdays": [0, 1, 2]},
    )  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    assert body["sessions"][:2] == [
        {"sequence": 1, "week": 1, "date": str(start), "name": "Calf A"},
        {"sequence": 2, "week": 1, "date": str(start + datetime.timedelta(days=2)),
         "name": "Calf A"},
    ]  # fmt: skip
    assert body["warnings"][0] == "Week 1 fits 2 of 3 sessions with these weekdays and a 48 h gap."
    assert not Assignment.objects.exists()
    assert not ScheduledSession.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"athletes": []}, "athletes"),
        ({"sessions_per_week": 9}, "sessions_per_week"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": [0], "sessions_per_week": 2}, "weekdays"),
        ({"min_gap_hours": 500}, "min_gap_hours"),
        ({"start_date": "2001-01-01"}, "start_date"),
    ],
)
def test_bad_assignment_options_are_a_400_naming_the_field(
    as_user, head_coach, calves, forward, body, field
):
    payload = {"template": calves.id, "athletes": [forward.id], "start_date": str(next_monday())}

    response = as_user(head_coach).post("/api/v1/assignments/", payload | body)

    assert (response.status_code, error_roots(response)) == (400, [field])
    assert not Assignment.objects.exists()


def test_foreign_or_unwritable_ids_cannot_be_assigned(
    as_user, assistant_coach, outsider, athlete_user, calves, theirs, back, foreign_athlete
):
    start = str(next_monday())
    coach = as_user(assistant_coach).post(
        "/api/v1/assignments/", {"template": calves.id, "athletes": [back.id], "start_date": start}
    )
    foreign = as_user(assistant_coach).post(
        "/api/v1/assignments/",
        {"template": theirs.id, "athletes": [foreign_athlete.id], "start_date": start},
    )
    athlete = as_user(athlete_user).post("/api/v1/assignments/", {"template": calves.id})
    preview = as_user(outsider).post(
        "/api/v1/assignments/preview/", {"template": calves.id, "start_date": start}
    )

    assert (coach.status_code, list(error_fields(coach))) == (400, ["athletes"])
    assert (foreign.status_code, error_roots(foreign)) == (400, ["template", "athletes"])
    assert athlete.status_code == 403
    assert (preview.status_code, list(error_fields(preview))) == (400, ["template"])
    assert not Assignment.objects.exists()


def test_staff_pause_resume_and_end_an_assignment_but_the_athlete_may_not(
    as_user, head_coach, athlete_user, forward, assignments
):
    assignment = assignments[forward.id]
    url = f"/api/v1/assignments/{assignment.id}"

    denied = as_user(athlete_user).post(f"{url}/pause/")
    paused = as_user(head_coach).post(f"{url}/pause/")
    held = set(assignment.sessions.values_list("status", flat=True))
    resumed = as_user(head_coach).post(f"{url}/resume/", {"on": str(next_monday())})
    again = as_user(head_coach).post(f"{url}/resume/")
    ended = as_user(head_coach).post(f"{url}/end/")

    assert denied.status_code == 403
    assert (paused.status_code, paused.json()["status"], held) == (200, "paused", {"on_hold"})
    assert (resumed.status_code, resumed.json()["status"]) == (200, "active")
    assert (again.status_code, list(error_fields(again))) == (400, ["status"])
    assert (ended.status_code, ended.json()["status"]) == (200, "ended")
    assert set(assignment.sessions.values_list("status", flat=True)) == {"cancelled"}


def test_outsider_gets_404_for_every_assignment_action_and_nothing_changes(
    as_user, outsider, assistant_coach, forward, back, assignments
):
    out_of_scope = [(outsider, assignments[forward.id]), (assistant_coach, assignments[back.id])]
    for user, assignment in out_of_scope:
        client = as_user(user)
        for action in ("", "pause/", "resume/", "end/"):
            url = f"/api/v1/assignments/{assignment.id}/{action}"
            response = client.post(url) if action else client.get(url)
            assert response.status_code == 404, url
    assert set(Assignment.objects.values_list("status", flat=True)) == {"active"}


# --- sessions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "athletes"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", {"forward"}),
        ("outsider", set()),
    ],
)
def test_session_list_shows_each_persona_exactly_their_athletes_sessions(
    as_user, personas, forward, back, schedule, persona, athletes
):
    by_name = {"forward": forward.id, "back": back.id}
    expected = set(
        ScheduledSession.objects.filter(
            athlete_id__in=[by_name[name] for name in athletes]
        ).values_list("id", flat=True)
    )

    found, url = set(), "/api/v1/sessions/"
    client = as_user(personas[persona])
    while url:
        body = client.get(url).json()
        found |= {row["id"] for row in body["results"]}
        url = body["next"]
    assert found == expected
    assert len(expected) == 8 * len(athletes)


def test_session_list_filters_by_athlete_dates_and_status(as_user, physio, forward, schedule):
    first = schedule[forward.id]
    client = as_user(physio)

    window = client.get(
        "/api/v1/sessions/",
        {"athlete": forward.id, "date_from": str(first.date), "date_to": str(first.date)},
    )
    done = client.get("/api/v1/sessions/", {"status": "completed"})

    assert ids(window) == {first.id}
    assert ids(done) == set()


def test_session_detail_has_the_prescriptions_with_progression(
    as_user, athlete_user, forward, schedule
):
    first = schedule[forward.id]

    body = as_user(athlete_user).get(f"/api/v1/sessions/{first.id}/").json()

    assert (body["id"], body["athlete"], body["week"], body["status"]) == (
        first.id, forward.id, 1, "scheduled",
    )  # fmt: skip
    assert [
        (p["exercise_name"], p["sets"], p["target_min"], p["level"], p["progression_note"])
        for p in body["prescriptions"]
    ] == [("Bent-knee heel raise", 3, 10, 0, "")]
    assert body["session_load"] is None


def test_patching_the_date_moves_later_sessions_to_keep_the_gap(
    as_user, assistant_coach, forward, schedule
):
    first = schedule[forward.id]
    monday = first.date
    later = list(ScheduledSession.objects.filter(assignment=first.assignment).order_by("sequence"))

    response = as_user(assistant_coach).patch(
        f"/api/v1/sessions/{first.id}/", {"date": str(monday + datetime.timedelta(days=2))}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["date"] == str(monday + datetime.timedelta(days=2))
    # Wednesday is a day before Thursday: with a 48 h gap on Mondays and Thursdays every later
    # session takes the next one's day.
    assert [(s["id"], s["date"]) for s in body["moved"]] == [
        (s.id, str(monday + datetime.timedelta(days=days)))
        for s, days in zip(later, (2, 7, 10, 14, 17, 21, 24, 28), strict=True)
    ]
    later[1].refresh_from_db()
    assert later[1].date == monday + datetime.timedelta(days=7)


def test_the_athlete_may_not_move_a_session_and_others_get_404(
    as_user, athlete_user, assistant_coach, outsider, forward, back, schedule
):
    mine, theirs = schedule[forward.id], schedule[back.id]
    day = str(mine.date + datetime.timedelta(days=1))

    url = f"/api/v1/sessions/{mine.id}/"

    assert as_user(athlete_user).patch(url, {"date": day}).status_code == 403
    coach = as_user(assistant_coach)
    assert coach.patch(f"/api/v1/sessions/{theirs.id}/", {"date": day}).status_code == 404
    assert coach.post(f"/api/v1/sessions/{theirs.id}/complete/", {}).status_code == 404
    outsider_client = as_user(outsider)
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.patch(url, {"date": day}).status_code == 404
    assert outsider_client.post(f"{url}complete/", {"pain": 1}).status_code == 404
    mine.refresh_from_db()
    assert (mine.date, mine.status) == (next_monday(), "scheduled")


def test_completing_is_201_then_200_on_a_replay_and_422_with_other_values(
    as_user, athlete_user, forward, schedule
):
    first = schedule[forward.id]
    client = as_user(athlete_user)
    body = {"session_rpe": 6, "duration_minutes": 35, "pain": 2, "client_uuid": str(uuid.uuid4())}
    url = f"/api/v1/sessions/{first.id}/complete/"

    done = client.post(url, body)
    replay = client.post(url, body)
    conflict = client.post(url, body | {"session_rpe": 9, "client_uuid": str(uuid.uuid4())})
    second = ScheduledSession.objects.get(assignment=first.assignment, sequence=2)
    bad = client.post(f"/api/v1/sessions/{second.id}/complete/", {"pain": 11})

    assert (done.status_code, done.json()["status"], done.json()["session_load"]) == (
        201, "completed", 210.0,
    )  # fmt: skip
    assert (replay.status_code, replay.json()["id"]) == (200, first.id)
    assert conflict.status_code == 422
    assert error_of(conflict)["original"]["session_rpe"] == "6.0"
    assert "client_uuid" in error_of(conflict)["message"]
    assert (bad.status_code, list(error_fields(bad))) == (400, ["pain"])
    first.refresh_from_db()
    assert (first.session_rpe, first.duration_minutes) == (6, 35)


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
def test_assignment_list_query_count_does_not_grow(
    as_user, head_coach, club, forwards, calves, rows, django_assert_num_queries
):
    AthleteFactory.create_batch(rows, organisation=club, teams=[forwards])
    services.program_assign(
        template=calves, assigned_by=head_coach, team=forwards, start_date=next_monday()
    )
    client = as_user(head_coach)
    forget_memberships(head_coach)  # as on a fresh request

    with django_assert_num_queries(4):
        response = client.get("/api/v1/assignments/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("ordering", ["date", "-date", "sequence", "-sequence"])
def test_sessions_are_cursor_paged_exactly_when_many_share_a_date(
    as_user, head_coach, club, ordering
):
    services.program_assign(
        template=program(club, weeks=1),
        assigned_by=head_coach,
        athletes=AthleteFactory.create_batch(7, organisation=club),
        start_date=next_monday(),
        sessions_per_week=2,
    )
    client = as_user(head_coach)
    everything = client.get("/api/v1/sessions/", {"ordering": ordering, "page_size": 200})
    expected = [row["id"] for row in everything.json()["results"]]

    paged, pages, url = [], 0, "/api/v1/sessions/"
    params = {"ordering": ordering, "page_size": 3}
    while url:
        body = client.get(url, params).json()
        assert set(body) == {"next", "previous", "results"}  # no count
        paged += [row["id"] for row in body["results"]]
        url, params, pages = body["next"], None, pages + 1

    assert len(expected) == 14
    assert paged == expected
    assert pages == 5
    assert len(ScheduledSession.objects.values("date").distinct()) == 2


@pytest.mark.parametrize("rows", [5, 50])
def test_session_list_query_count_does_not_grow(
    as_user, head_coach, club, rows, django_assert_num_queries
):
    one_week = program(club, weeks=1)
    services.program_assign(
        template=one_week,
        assigned_by=head_coach,
        athletes=AthleteFactory.create_batch(rows, organisation=club),
        start_date=next_monday(),
        sessions_per_week=1,
    )
    client = as_user(head_coach)
    forget_memberships(head_coach)

    with django_assert_num_queries(3):  # cursor pages count nothing
        response = client.get("/api/v1/sessions/")

    assert len(response.json()["results"]) == rows
