"""The REST API for logged sets: scoping per persona, logging safe to replay (same UUID → the
original, other values → 422, two threads → one row), all-or-nothing lists, field-naming 400s,
foreign ids refused, cursor pagination, a constant query count."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone
from rest_framework.test import APIClient

from athletes.models import User
from athletes.selectors import forget_memberships
from programs import services
from programs.models import LoggedSet
from tests.api_error_format import error_fields, error_of
from tests.factories import AthleteFactory, club_exercise, library, program

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
        club, sessions={"Calf": [("bent-knee-heel-raise", {"tempo": "3-0-3", "target_min": 10})]}
    )


@pytest.fixture
def schedule(head_coach, calves, forward, back):
    """Forward's and back's first sessions, Monday and Thursday each week."""
    assignments = services.program_assign(
        template=calves,
        assigned_by=head_coach,
        athletes=[forward, back],
        start_date=next_monday(),
        weekdays=[0, 3],
    )
    return {a.athlete_id: a.sessions.get(sequence=1) for a in assignments}


@pytest.fixture
def raise_(db):
    return library("bent-knee-heel-raise")


def a_set(raise_, **values) -> dict:
    return {"client_uuid": str(uuid.uuid4()), "exercise": raise_.id, "reps": 10} | values


# --- sets ----------------------------------------------------------------------------------------


@pytest.fixture
def logged(head_coach, forward, back, foreign_athlete, outsider, raise_):
    def log(athlete, by):
        return services.set_log(
            athlete=athlete, logged_by=by, client_uuid=uuid.uuid4(), exercise=raise_, reps=10
        )[0]

    return {"forward": log(forward, head_coach), "back": log(back, head_coach),
            "foreign": log(foreign_athlete, outsider)}  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", {"forward"}),
        ("outsider", {"foreign"}),
    ],
)
def test_set_list_shows_each_persona_exactly_their_athletes_sets(
    as_user, personas, logged, persona, visible
):
    expected = {logged[name].id for name in visible}

    assert ids(as_user(personas[persona]).get("/api/v1/sets/")) == expected


def test_athlete_logs_their_own_set_without_naming_themself(
    as_user, athlete_user, forward, schedule, raise_
):
    session = schedule[forward.id]
    body = a_set(raise_, session=session.id, load_type="kg", load_value="20", rpe=7, side="left")

    response = as_user(athlete_user).post("/api/v1/sets/", body)

    assert response.status_code == 201, response.content
    stored = LoggedSet.objects.get()
    assert response.json() | {"performed_at": None, "created_at": None} == {
        "id": stored.id, "client_uuid": body["client_uuid"], "athlete": forward.id,
        "session": session.id, "exercise": raise_.id, "exercise_name": "Bent-knee heel raise",
        "set_number": 1, "side": "left", "reps": 10, "seconds": None, "contacts": None,
        "metres": None, "load_type": "kg", "load_value": "20.0", "rpe": "7.0", "pain": None,
        "notes": "", "rep_seconds": 6, "performed_at": None, "logged_by": athlete_user.id,
        "created_at": None,
    }  # fmt: skip


def test_a_replay_returns_the_original_and_other_values_are_a_422(as_user, athlete_user, raise_):
    client = as_user(athlete_user)
    body = a_set(raise_, rpe=7)

    first = client.post("/api/v1/sets/", body)
    replay = client.post("/api/v1/sets/", body | {"rpe": "7.0"})
    conflict = client.post("/api/v1/sets/", body | {"reps": 15})

    assert (first.status_code, replay.status_code, conflict.status_code) == (201, 200, 422)
    assert replay.json() == first.json()
    assert error_of(conflict)["original"] == first.json()
    assert LoggedSet.objects.get().reps == 10


@pytest.mark.django_db(transaction=True)
def test_the_same_uuid_posted_concurrently_from_two_threads_stores_one_row(athlete_user, raise_):
    body = a_set(raise_)
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def post():
        try:
            client = APIClient()
            client.force_authenticate(User.objects.get(pk=athlete_user.pk))
            barrier.wait()
            statuses.append(client.post("/api/v1/sets/", body, format="json").status_code)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200, 201]
    assert LoggedSet.objects.filter(client_uuid=body["client_uuid"]).count() == 1


def test_a_list_of_sets_is_stored_together_and_replayed_as_a_whole(
    as_user, head_coach, forward, back, raise_
):
    client = as_user(head_coach)
    sets = [a_set(raise_, athlete=forward.id), a_set(raise_, athlete=back.id, set_number=2)]

    stored = client.post("/api/v1/sets/", sets)
    replay = client.post("/api/v1/sets/", [sets[0], a_set(raise_, athlete=back.id)])

    assert stored.status_code == 201
    assert [(s["athlete"], s["set_number"], s["created"]) for s in stored.json()] == [
        (forward.id, 1, True), (back.id, 2, True),
    ]  # fmt: skip
    assert (replay.status_code, [s["created"] for s in replay.json()]) == (201, [False, True])
    assert replay.json()[0]["id"] == stored.json()[0]["id"]
    assert LoggedSet.objects.count() == 3


def test_one_bad_set_in_a_list_stores_none_and_names_its_index(
    as_user, head_coach, forward, raise_
):
    client = as_user(head_coach)
    good = a_set(raise_, athlete=forward.id)

    shape = client.post("/api/v1/sets/", [good, a_set(raise_, athlete=forward.id, pain=14)])
    rule = client.post(
        "/api/v1/sets/", [good, good | {"client_uuid": str(uuid.uuid4()), "load_type": "kg"}]
    )
    conflict = client.post("/api/v1/sets/", [good, good | {"reps": 11}])

    assert (shape.status_code, error_fields(shape)) == (
        400, {"1.pain": ["Ensure this value is less than or equal to 10."]},
    )  # fmt: skip
    assert (rule.status_code, error_fields(rule)) == (
        400, {"1.load_value": ["Give the load for this load type."]},
    )  # fmt: skip
    assert (conflict.status_code, list(error_of(conflict)["original"])) == (422, ["1"])
    assert not LoggedSet.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"reps": -1}, "reps"),
        ({"reps": 100000}, "reps"),
        ({"pain": 11}, "pain"),
        ({"rpe": 12}, "rpe"),
        ({"load_type": "lb", "load_value": 40}, "load_type"),
        ({"load_type": "kg", "load_value": 900}, "load_value"),
        ({"load_type": "bodyweight", "load_value": 5}, "load_value"),
        ({"reps": None}, "reps"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"side": "middle"}, "side"),
    ],
)
def test_absurd_values_are_a_400_naming_the_field(as_user, athlete_user, raise_, values, field):
    response = as_user(athlete_user).post("/api/v1/sets/", a_set(raise_, **values))

    assert (response.status_code, list(error_fields(response))) == (400, [field])
    assert not LoggedSet.objects.exists()


def test_foreign_ids_are_rejected_and_nothing_is_stored(
    as_user, athlete_user, head_coach, outsider, forward, back, foreign_athlete, schedule, raise_
):
    theirs = club_exercise(foreign_athlete.organisation, "Riverside raise")
    athlete = as_user(athlete_user)
    answers = [
        athlete.post("/api/v1/sets/", a_set(raise_, athlete=back.id)),
        athlete.post("/api/v1/sets/", a_set(raise_, session=schedule[back.id].id)),
        athlete.post("/api/v1/sets/", a_set(raise_, exercise=theirs.id)),
        as_user(head_coach).post(
            "/api/v1/sets/", a_set(raise_, athlete=back.id, session=schedule[forward.id].id)
        ),
        as_user(outsider).post("/api/v1/sets/", a_set(raise_, athlete=forward.id)),
        as_user(head_coach).post("/api/v1/sets/", a_set(raise_)),  # no profile of their own
    ]

    assert [(r.status_code, list(error_fields(r))) for r in answers] == [
        (400, ["athlete"]), (400, ["session"]), (400, ["exercise"]), (400, ["session"]),
        (400, ["athlete"]), (400, ["athlete"]),
    ]  # fmt: skip
    assert not LoggedSet.objects.exists()


def test_the_athlete_and_their_staff_delete_a_set_others_get_404(
    as_user, athlete_user, assistant_coach, outsider, logged
):
    before = model_to_dict(logged["back"])

    assert as_user(outsider).get(f"/api/v1/sets/{logged['forward'].id}/").status_code == 404
    assert as_user(outsider).delete(f"/api/v1/sets/{logged['forward'].id}/").status_code == 404
    assert as_user(assistant_coach).delete(f"/api/v1/sets/{logged['back'].id}/").status_code == 404
    assert as_user(athlete_user).delete(f"/api/v1/sets/{logged['forward'].id}/").status_code == 204
    logged["back"].refresh_from_db()
    assert model_to_dict(logged["back"]) == before
    assert set(LoggedSet.objects.values_list("id", flat=True)) == {
        logged["back"].id, logged["foreign"].id,
    }  # fmt: skip


def test_sets_are_paged_by_cursor_newest_first_and_filtered(as_user, athlete_user, forward, raise_):
    start = timezone.now() - datetime.timedelta(days=10)
    made = [
        services.set_log(
            athlete=forward, logged_by=athlete_user, client_uuid=uuid.uuid4(), exercise=raise_,
            reps=number + 1, performed_at=start + datetime.timedelta(days=number),
        )[0]
        for number in range(5)
    ]  # fmt: skip
    client = as_user(athlete_user)

    first = client.get("/api/v1/sets/", {"page_size": 3}).json()
    second = client.get(first["next"]).json()
    window = client.get(
        "/api/v1/sets/",
        {"performed_after": made[1].performed_at.isoformat(),
         "performed_before": made[3].performed_at.isoformat(), "ordering": "performed_at"},
    ).json()  # fmt: skip

    assert [row["reps"] for row in first["results"]] == [5, 4, 3]
    assert [row["reps"] for row in second["results"]] == [2, 1]
    assert second["next"] is None
    assert [row["reps"] for row in window["results"]] == [2, 3]


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
def test_set_list_query_count_does_not_grow(
    as_user, head_coach, club, raise_, rows, django_assert_num_queries
):
    for athlete in AthleteFactory.create_batch(rows, organisation=club):
        services.set_log(
            athlete=athlete, logged_by=head_coach, client_uuid=uuid.uuid4(), exercise=raise_, reps=8
        )
    client = as_user(head_coach)
    forget_memberships(head_coach)

    with django_assert_num_queries(3):
        response = client.get("/api/v1/sets/")

    assert len(response.json()["results"]) == rows
