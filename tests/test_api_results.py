"""The REST API for results: scoping per persona, cursor pages, idempotent recording (201 new,
200 replay, 422 conflict) and errors named by side. Batches: test_api_result_batches.py."""

import datetime
import uuid

import pytest

from assessments import services
from assessments.models import Result, Test
from tests.api_error_format import error_fields, error_of
from tests.assessment_pages import record
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def foreign_test(other_club):
    return Test.objects.create(
        organisation=other_club,
        slug="road-mile",
        name="Road mile",
        protocol="Run a mile.",
        unit="min",
        per_side=False,
        plausible_max=20,
    )


@pytest.fixture
def results(head_coach, outsider, forward, back, foreign_athlete, ankling):
    return {
        "forward": record(forward, ankling, {"both": [310]}, head_coach, date=DAY),
        "back": record(back, ankling, {"both": [320]}, head_coach, date=DAY),
        "foreign": record(foreign_athlete, ankling, {"both": [330]}, outsider, date=DAY),
    }


@pytest.fixture
def forwards_day(ankling, forwards, head_coach):
    return services.test_day_create(test=ankling, team=forwards, date=DAY, created_by=head_coach)


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", {"forward"}),
        ("outsider", {"foreign"}),
    ],
)
def test_result_list_shows_each_persona_exactly_their_athletes_results(
    as_user, personas, results, persona, expected
):
    response = as_user(personas[persona]).get("/api/v1/results/")

    assert set(ids(response)) == {results[name].id for name in expected}


@pytest.mark.parametrize(
    ("persona", "name"), [("outsider", "forward"), ("assistant_coach", "back"), ("athlete", "back")]
)
def test_a_result_out_of_scope_is_not_found(as_user, personas, results, persona, name):
    response = as_user(personas[persona]).get(f"/api/v1/results/{results[name].id}/")

    assert response.status_code == 404


def test_result_detail_has_the_combined_values_and_the_evaluation(
    as_user, physio, head_coach, forward, heel_rise
):
    result = record(forward, heel_rise, {"left": [22], "right": [28]}, head_coach, date=DAY)
    services.result_evaluate(result_id=result.id, today=DAY)
    result.refresh_from_db()

    body = as_user(physio).get(f"/api/v1/results/{result.id}/").json()

    assert body == {
        "id": result.id,
        "athlete": forward.id,
        "test": heel_rise.id,
        "test_day": None,
        "date": "2026-11-02",
        "trials": {"left": [22.0], "right": [28.0]},
        "left": "22.00",
        "right": "28.00",
        "both": None,
        "lsi": "78.6",
        "passed": False,
        "reasons": result.reasons,
        "evaluated_at": body["evaluated_at"],
        "recorded_by": head_coach.id,
        "recorded_at": body["recorded_at"],
        "notes": "",
        "client_uuid": None,
    }
    assert "left 22 reps < 25" in body["reasons"]
    assert body["evaluated_at"] is not None


def test_result_list_pages_by_cursor_newest_first(as_user, head_coach, forward, ankling):
    made = [
        record(forward, ankling, {"both": [300 + n]}, head_coach, date=DAY + datetime.timedelta(n))
        for n in range(3)
    ]
    made.append(record(forward, ankling, {"both": [400]}, head_coach, date=DAY))
    client = as_user(head_coach)

    first = client.get("/api/v1/results/?page_size=2")
    second = client.get(first.json()["next"])

    assert ids(first) == [made[2].id, made[1].id]
    assert ids(second) == [made[3].id, made[0].id]
    assert second.json()["next"] is None
    assert "count" not in first.json()


def test_result_list_orders_by_date_ascending_on_request(as_user, head_coach, forward, ankling):
    late = record(forward, ankling, {"both": [300]}, head_coach, date=DAY)
    early = record(forward, ankling, {"both": [300]}, head_coach, date=DAY - datetime.timedelta(3))
    same_day = record(forward, ankling, {"both": [310]}, head_coach, date=DAY)

    response = as_user(head_coach).get("/api/v1/results/?ordering=date")

    assert ids(response) == [early.id, late.id, same_day.id]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("passed=false", {"failed"}),
        ("passed=true", {"passed"}),
        ("test={heel_rise}", {"heel_rise"}),
        ("team={backs}", {"back"}),
        ("athlete={back}", {"back"}),
        ("date_from=2026-11-02&date_to=2026-11-02", {"failed", "passed"}),
        ("date_to=2026-11-01", {"heel_rise", "back"}),
        ("test_day={day}", {"passed"}),
    ],
)
def test_result_list_filters(
    as_user, head_coach, forward, back, backs, ankling, heel_rise, forwards_day, query, expected
):
    made = {
        "failed": record(forward, ankling, {"both": [240]}, head_coach, date=DAY),
        "passed": record(forward, ankling, {"both": [320]}, head_coach, test_day=forwards_day),
        "heel_rise": record(
            forward,
            heel_rise,
            {"left": [30], "right": [30]},
            head_coach,
            date=DAY - datetime.timedelta(1),
        ),
        "back": record(
            back, ankling, {"both": [330]}, head_coach, date=DAY - datetime.timedelta(5)
        ),
    }
    for name in ("failed", "passed"):
        services.result_evaluate(result_id=made[name].id, today=DAY)
    query = query.format(heel_rise=heel_rise.id, backs=backs.id, back=back.id, day=forwards_day.id)

    response = as_user(head_coach).get(f"/api/v1/results/?{query}")

    assert set(ids(response)) == {made[name].id for name in expected}


@pytest.mark.parametrize("rows", [5, 50])
def test_result_list_query_count_does_not_grow(
    as_user, head_coach, club, forwards, ankling, rows, django_assert_num_queries
):
    for athlete in AthleteFactory.create_batch(rows, organisation=club, teams=[forwards]):
        record(athlete, ankling, {"both": [300]}, head_coach, date=DAY)
    client = as_user(head_coach)
    client.get("/api/v1/organisations/")  # the requester's memberships are cached from here on

    with django_assert_num_queries(1):
        response = client.get("/api/v1/results/")

    assert len(response.json()["results"]) == rows


# --- recording one result ----------------------------------------------------------------------


def test_recording_a_result_is_201_and_a_replay_200_with_the_same_result(
    as_user, assistant_coach, forward, ankling
):
    body = {
        "athlete": forward.id,
        "test": ankling.id,
        "trials": {"both": [310]},
        "date": "2026-11-02",
        "notes": "Heels stayed up",
        "client_uuid": str(uuid.uuid4()),
    }
    client = as_user(assistant_coach)

    created = client.post("/api/v1/results/", body)
    replayed = client.post("/api/v1/results/", body)

    assert (created.status_code, replayed.status_code) == (201, 200)
    result = Result.objects.get()
    assert created.json()["id"] == replayed.json()["id"] == result.id
    assert (result.both, result.notes, result.recorded_by, result.passed) == (
        310,
        "Heels stayed up",
        assistant_coach,
        None,
    )
    assert created.json()["client_uuid"] == body["client_uuid"]


def test_the_same_client_uuid_with_another_result_is_a_422_conflict(
    as_user, head_coach, forward, ankling
):
    body = {"athlete": forward.id, "test": ankling.id, "trials": {"both": [310]}}
    body["client_uuid"] = str(uuid.uuid4())
    client = as_user(head_coach)
    original = client.post("/api/v1/results/", body).json()

    response = client.post("/api/v1/results/", {**body, "trials": {"both": [290]}})

    assert response.status_code == 422
    assert error_of(response) == {
        "status": 422,
        "code": "unprocessable",
        "message": "This client_uuid was already used with a different result.",
        "fields": [],
        "original": original["id"],
    }
    assert list(Result.objects.values_list("both", flat=True)) == [310]


@pytest.mark.parametrize(
    ("trials", "errors"),
    [
        (
            {"left": [9999], "right": [20]},
            {"left": ["9999 reps is outside the plausible range 0–150 reps."]},
        ),
        ({"left": [20]}, {"right": ["Enter the right result."]}),
        (
            {"left": [20, 21], "right": ["x"]},
            {"left": ["At most 1 trial."], "right": ["'x' is not a number."]},
        ),
        ({"both": [20]}, None),
    ],
    ids=["implausible", "missing-side", "too-many-and-not-a-number", "wrong-sides"],
)
def test_bad_trials_are_a_400_naming_the_side(
    as_user, head_coach, forward, heel_rise, trials, errors
):
    response = as_user(head_coach).post(
        "/api/v1/results/", {"athlete": forward.id, "test": heel_rise.id, "trials": trials}
    )

    assert response.status_code == 400
    if errors is None:
        assert set(error_fields(response)) == {"trials", "left", "right"}
    else:
        assert error_fields(response) == errors
    assert not Result.objects.exists()


@pytest.mark.parametrize("field", ["athlete", "test"])
def test_a_foreign_athlete_or_test_is_an_invalid_pk(
    as_user, head_coach, forward, ankling, foreign_athlete, foreign_test, field
):
    body = {"athlete": forward.id, "test": ankling.id, "trials": {"both": [300]}}
    body[field] = {"athlete": foreign_athlete, "test": foreign_test}[field].id

    response = as_user(head_coach).post("/api/v1/results/", body)

    assert response.status_code == 400
    assert list(error_fields(response)) == [field]
    assert "Invalid pk" in error_fields(response)[field][0]
    assert not Result.objects.exists()


def test_assistant_coach_cannot_record_for_an_athlete_of_another_team(
    as_user, assistant_coach, back, ankling
):
    response = as_user(assistant_coach).post(
        "/api/v1/results/", {"athlete": back.id, "test": ankling.id, "trials": {"both": [300]}}
    )

    assert response.status_code == 400
    assert list(error_fields(response)) == ["athlete"]
    assert not Result.objects.exists()


def test_an_athlete_may_not_record_results(as_user, athlete_user, forward, ankling):
    response = as_user(athlete_user).post(
        "/api/v1/results/", {"athlete": forward.id, "test": ankling.id, "trials": {"both": [300]}}
    )

    assert response.status_code == 403
    assert not Result.objects.exists()


def test_a_result_dated_in_the_future_names_date(as_user, head_coach, forward, ankling):
    response = as_user(head_coach).post(
        "/api/v1/results/",
        {
            "athlete": forward.id,
            "test": ankling.id,
            "trials": {"both": [300]},
            "date": "2099-01-01",
        },
    )

    assert response.status_code == 400
    assert error_fields(response) == {"date": ["A result cannot be dated in the future."]}


def test_results_cannot_be_changed_or_deleted(as_user, head_coach, results):
    client = as_user(head_coach)
    url = f"/api/v1/results/{results['forward'].id}/"

    statuses = (
        client.patch(url, {"notes": "x"}).status_code,
        client.put(url, {"notes": "x"}).status_code,
        client.delete(url).status_code,
    )

    assert statuses == (405, 405, 405)
    results["forward"].refresh_from_db()
    assert results["forward"].notes == ""
