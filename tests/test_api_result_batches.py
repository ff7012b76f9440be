"""POST /api/v1/results/batch/: a test day's grid recorded all or nothing, errors keyed by row
index and side, foreign ids refused, at most 200 rows, 422 for a reused client_uuid."""

import datetime
import uuid

import pytest

from assessments import services
from assessments.models import Result, Test, TestDay
from tests.api_error_format import error_fields, error_of
from tests.assessment_pages import record
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


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
def forwards_day(ankling, forwards, head_coach):
    return services.test_day_create(test=ankling, team=forwards, date=DAY, created_by=head_coach)


# --- a test day's batch ------------------------------------------------------------------------


def test_a_batch_starts_a_test_day_and_records_every_row(
    as_user, assistant_coach, forward, forwards, club, ankling
):
    second = AthleteFactory(organisation=club, teams=[forwards])
    body = {
        "test": ankling.id,
        "team": forwards.id,
        "date": "2026-11-02",
        "rows": [
            {"athlete": forward.id, "trials": {"both": [310]}, "notes": "Strong"},
            {"athlete": second.id, "trials": {"both": [250]}, "client_uuid": str(uuid.uuid4())},
        ],
    }

    response = as_user(assistant_coach).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 201, response.content
    day = TestDay.objects.get()
    assert (day.team, day.test, day.date, day.created_by) == (
        forwards,
        ankling,
        DAY,
        assistant_coach,
    )
    assert response.json()["test_day"]["id"] == day.id
    assert response.json()["test_day"]["result_count"] == 2
    assert [
        (row["athlete"], row["both"], row["test_day"]) for row in response.json()["results"]
    ] == [
        (forward.id, "310.00", day.id),
        (second.id, "250.00", day.id),
    ]
    assert set(day.results.values_list("athlete", flat=True)) == {forward.id, second.id}


def test_a_batch_adds_rows_to_an_existing_test_day(as_user, physio, forward, forwards_day):
    body = {
        "test_day": forwards_day.id,
        "rows": [{"athlete": forward.id, "trials": {"both": [300]}}],
    }

    response = as_user(physio).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 201, response.content
    assert forwards_day.results.get().athlete == forward
    assert TestDay.objects.count() == 1


def test_one_bad_row_stores_nothing_and_names_the_row_and_side(
    as_user, head_coach, forward, back, club, heel_rise, backs
):
    body = {
        "test": heel_rise.id,
        "team": backs.id,
        "date": "2026-11-02",
        "rows": [
            {"athlete": back.id, "trials": {"left": [30], "right": [31]}},
            {"athlete": forward.id, "trials": {"left": [400], "right": [31]}},
        ],
    }

    response = as_user(head_coach).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {
        "rows.1.left": ["400 reps is outside the plausible range 0–150 reps."]
    }
    assert not Result.objects.exists()
    assert not TestDay.objects.exists()


def test_a_foreign_athlete_in_a_row_stores_nothing(
    as_user, head_coach, forward, foreign_athlete, forwards_day
):
    body = {
        "test_day": forwards_day.id,
        "rows": [
            {"athlete": forward.id, "trials": {"both": [300]}},
            {"athlete": foreign_athlete.id, "trials": {"both": [300]}},
        ],
    }

    response = as_user(head_coach).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 400
    assert list(error_fields(response)) == ["rows.1.athlete"]
    assert "Invalid pk" in error_fields(response)["rows.1.athlete"][0]
    assert not Result.objects.exists()


@pytest.mark.parametrize("field", ["test_day", "test", "team"])
def test_a_foreign_test_day_test_or_team_is_an_invalid_pk(
    as_user, head_coach, forward, forwards, ankling, foreign_team, foreign_test, outsider, field
):
    foreign_day = services.test_day_create(
        test=ankling, team=foreign_team, date=DAY, created_by=outsider
    )
    body = {"test": ankling.id, "team": forwards.id, "date": "2026-11-02"}
    if field == "test_day":
        body = {"test_day": foreign_day.id}
    else:
        body[field] = {"test": foreign_test, "team": foreign_team}[field].id
    body["rows"] = [{"athlete": forward.id, "trials": {"both": [300]}}]

    response = as_user(head_coach).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 400
    assert list(error_fields(response)) == [field]
    assert not Result.objects.exists()
    assert TestDay.objects.count() == 1


def test_a_batch_holds_at_most_200_rows(as_user, head_coach, forward, forwards_day):
    rows = [{"athlete": forward.id, "trials": {"both": [300]}}] * 201

    response = as_user(head_coach).post(
        "/api/v1/results/batch/", {"test_day": forwards_day.id, "rows": rows}, format="json"
    )

    assert response.status_code == 400
    assert error_fields(response) == {"rows": ["Ensure this field has no more than 200 elements."]}
    assert not Result.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"test_day": ["Send test_day, or test, team and date to start a test day."]}),
        ({"test": "ankling", "team": "forwards"}, {"date": ["Needed to start a test day."]}),
    ],
    ids=["no-day", "no-date"],
)
def test_a_batch_needs_a_test_day_or_what_starts_one(
    as_user, head_coach, forward, ankling, forwards, body, errors
):
    named = {"ankling": ankling.id, "forwards": forwards.id}
    body = {key: named[value] for key, value in body.items()}
    body["rows"] = [{"athlete": forward.id, "trials": {"both": [300]}}]

    response = as_user(head_coach).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 400
    assert error_fields(response) == errors
    assert not TestDay.objects.exists()


def test_the_same_athlete_twice_in_a_batch_names_the_second_row(
    as_user, head_coach, forward, forwards_day
):
    row = {"athlete": forward.id, "trials": {"both": [300]}}

    response = as_user(head_coach).post(
        "/api/v1/results/batch/", {"test_day": forwards_day.id, "rows": [row, row]}, format="json"
    )

    assert response.status_code == 400
    assert error_fields(response) == {"rows.1.athlete": ["This athlete already has row 0."]}
    assert not Result.objects.exists()


def test_a_reused_client_uuid_in_a_batch_is_a_422_naming_the_row(
    as_user, head_coach, forward, back, ankling, forwards_day
):
    used = uuid.uuid4()
    original = record(forward, ankling, {"both": [300]}, head_coach, date=DAY, client_uuid=used)
    rows = [
        {"athlete": back.id, "trials": {"both": [300]}},
        {"athlete": forward.id, "trials": {"both": [250]}, "client_uuid": str(used)},
    ]

    response = as_user(head_coach).post(
        "/api/v1/results/batch/", {"test_day": forwards_day.id, "rows": rows}, format="json"
    )

    assert response.status_code == 422
    assert error_of(response) == {
        "status": 422,
        "code": "unprocessable",
        "message": "This client_uuid was already used with a different result.",
        "fields": [],
        "original": original.id,
        "row": "1",
    }
    assert list(Result.objects.all()) == [original]


def test_an_athlete_may_not_send_a_batch(as_user, athlete_user, forward, forwards_day):
    body = {"test_day": forwards_day.id, "rows": [{"athlete": forward.id, "trials": {"both": [1]}}]}

    response = as_user(athlete_user).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 403
    assert not Result.objects.exists()


def test_outsider_cannot_send_a_batch_for_a_clubs_test_day(
    as_user, outsider, foreign_athlete, forwards_day
):
    body = {
        "test_day": forwards_day.id,
        "rows": [{"athlete": foreign_athlete.id, "trials": {"both": [300]}}],
    }

    response = as_user(outsider).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 400
    assert list(error_fields(response)) == ["test_day"]
    assert not Result.objects.exists()


def test_a_row_without_trials_names_the_missing_result(as_user, head_coach, forward, forwards_day):
    body = {"test_day": forwards_day.id, "rows": [{"athlete": forward.id, "trials": {}}]}

    response = as_user(head_coach).post("/api/v1/results/batch/", body, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"rows.0.both": ["Enter the result."]}
    assert not Result.objects.exists()
