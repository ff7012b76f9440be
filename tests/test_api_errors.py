"""The REST API's one error format (config/api_errors.py): every error status it answers with,
and absurd input that is a 4xx, never a 500."""

import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from assessments.models import Result
from athletes.models import Athlete
from tests.api_error_format import error_fields, error_of
from tests.test_api_flags import fail

pytestmark = pytest.mark.django_db

HUGE = 10**30


class _Rates(dict):
    def __missing__(self, scope):
        return "2/minute"


@pytest.fixture
def two_per_minute(monkeypatch):
    """Every throttle scope allows two requests a minute."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", _Rates())
    cache.clear()
    yield
    cache.clear()


# --- every status in the one format ------------------------------------------------------------


def test_no_credentials_is_a_401_with_www_authenticate(api_client, forward):
    response = api_client.get("/api/v1/athletes/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert error_of(response) == {
        "status": 401,
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": [],
    }


def test_a_wrong_token_is_a_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.get("/api/v1/athletes/")

    assert (response.status_code, error_of(response)["code"]) == (401, "authentication_failed")


def test_an_athlete_changing_themself_is_a_403_with_the_reason(as_user, athlete_user, forward):
    response = as_user(athlete_user).patch(f"/api/v1/athletes/{forward.id}/", {"position": "X"})

    assert response.status_code == 403
    assert error_of(response) == {
        "status": 403,
        "code": "permission_denied",
        "message": "You may not change this athlete.",
        "fields": [],
    }


def test_the_outsider_gets_a_404(as_user, outsider, forward):
    response = as_user(outsider).get(f"/api/v1/athletes/{forward.id}/")

    assert response.status_code == 404
    assert error_of(response) == {
        "status": 404,
        "code": "not_found",
        "message": "Not found.",
        "fields": [],
    }


def test_a_method_the_endpoint_lacks_is_a_405(as_user, head_coach, club):
    response = as_user(head_coach).delete(f"/api/v1/organisations/{club.id}/")

    assert response.status_code == 405
    assert error_of(response) == {
        "status": 405,
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
        "fields": [],
    }


def test_dismissing_a_closed_flag_is_a_409(as_user, head_coach, forward):
    flag = fail(forward, head_coach)
    client = as_user(head_coach)
    client.post(f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "Retired"})

    response = client.post(f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "Again"})

    assert response.status_code == 409
    assert error_of(response) == {
        "status": 409,
        "code": "flag_closed",
        "message": "The flag is already dismissed.",
        "fields": [],
    }


def test_a_text_body_is_a_415(as_user, head_coach, club):
    response = as_user(head_coach).post("/api/v1/teams/", "name=U18", content_type="text/plain")

    assert response.status_code == 415
    assert error_of(response) == {
        "status": 415,
        "code": "unsupported_media_type",
        "message": 'Unsupported media type "text/plain" in request.',
        "fields": [],
    }


def test_malformed_json_is_a_400(as_user, head_coach):
    response = as_user(head_coach).post(
        "/api/v1/teams/", '{"name": ', content_type="application/json"
    )

    assert (response.status_code, error_of(response)["code"]) == (400, "parse_error")


def test_a_client_uuid_used_with_another_result_is_a_422_with_the_original(
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


def test_too_many_requests_is_a_429_with_retry_after(as_user, head_coach, two_per_minute):
    client = as_user(head_coach)
    assert [client.get("/api/v1/teams/").status_code for _ in range(2)] == [200, 200]

    response = client.get("/api/v1/teams/")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    error = error_of(response)
    assert (error["status"], error["code"], error["fields"]) == (429, "throttled", [])
    assert error["message"].startswith("Request was throttled.")


# --- fields --------------------------------------------------------------------------------------


def test_invalid_fields_are_listed_with_their_message_and_code(as_user, head_coach, club):
    response = as_user(head_coach).post(
        "/api/v1/athletes/",
        {"organisation": club.id, "first_name": "Ann", "body_mass_kg": "heavy"},
    )

    assert response.status_code == 400
    assert error_of(response) == {
        "status": 400,
        "code": "invalid",
        "message": "Invalid input: last_name, body_mass_kg.",
        "fields": [
            {"field": "last_name", "message": "This field is required.", "code": "required"},
            {
                "field": "body_mass_kg",
                "message": "A valid number is required.",
                "code": "invalid",
            },
        ],
    }


def test_one_invalid_field_is_the_message(as_user, head_coach, club):
    response = as_user(head_coach).post(
        "/api/v1/athletes/",
        {"organisation": club.id, "first_name": "Ann", "last_name": "Lee", "body_mass_kg": 900},
    )

    assert response.status_code == 400
    assert error_of(response)["message"] == error_fields(response)["body_mass_kg"][0]
    assert list(error_fields(response)) == ["body_mass_kg"]


def test_nested_errors_are_named_by_a_dotted_path(
    as_user, head_coach, forward, back, forwards, ankling
):
    body = {
        "test": ankling.id,
        "team": forwards.id,
        "date": "2026-11-02",
        "rows": [
            {"athlete": back.id, "trials": {"both": [300]}},
            {"athlete": forward.id, "trials": {"both": [99999]}},
        ],
    }

    response = as_user(head_coach).post("/api/v1/results/batch/", body)

    assert response.status_code == 400
    assert list(error_fields(response)) == ["rows.1.both"]
    assert not Result.objects.exists()


# --- absurd input --------------------------------------------------------------------------------

CREATE_URLS = [
    "/api/v1/teams/",
    "/api/v1/athletes/",
    "/api/v1/exercises/",
    "/api/v1/programs/",
    "/api/v1/program-sessions/",
    "/api/v1/prescriptions/",
    "/api/v1/assignments/",
    "/api/v1/assignments/preview/",
    "/api/v1/sets/",
    "/api/v1/tests/",
    "/api/v1/baselines/",
    "/api/v1/test-days/",
    "/api/v1/results/",
    "/api/v1/results/batch/",
]
FIELDS = [
    "organisation", "team", "teams", "athlete", "athletes", "test", "test_day", "template",
    "session", "exercise", "name", "first_name", "last_name", "email", "date", "date_of_birth",
    "start_date", "body_mass_kg", "height_cm", "trials", "rows", "reps", "seconds", "rpe", "pain",
    "load_type", "load_value", "sets", "target_min", "target_max", "weeks", "sessions",
    "prescriptions", "plausible_min", "plausible_max", "kind", "value", "norms", "client_uuid",
    "weekdays", "order", "position", "side", "set_number", "unit", "muscles", "equipment",
]  # fmt: skip
DEEP = {"a": 1}
for _ in range(200):
    DEEP = {"a": [DEEP]}
GARBAGE = {
    "huge-ids": dict.fromkeys(FIELDS, HUGE),
    "negative-huge": dict.fromkeys(FIELDS, -HUGE),
    "strings-for-numbers": dict.fromkeys(FIELDS, "abc"),
    "huge-decimals": dict.fromkeys(FIELDS, "9" * 400 + ".5"),
    "huge-floats": dict.fromkeys(FIELDS, 1e308),
    "lists": {field: [HUGE, "x", None] for field in FIELDS},
    "objects": {field: {"id": HUGE} for field in FIELDS},
    "nested": dict.fromkeys(FIELDS, DEEP),
    "nulls": dict.fromkeys(FIELDS),
    "nul-bytes": dict.fromkeys(FIELDS, "a\x00b"),
    "long-strings": dict.fromkeys(FIELDS, "x" * 100_000),
}


def assert_a_4xx_in_the_format(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    error_of(response)


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
@pytest.mark.parametrize("url", CREATE_URLS)
def test_absurd_bodies_are_a_4xx_never_a_500(as_user, head_coach, forward, url, garbage):
    response = as_user(head_coach).post(url, garbage, format="json")

    assert_a_4xx_in_the_format(response)
    assert Athlete.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        "1e999999",
        '"just a string"',
        "[]",
        "null",
        "\xff\xfe",
    ],
    ids=["deep-list", "deep-object", "huge-exponent", "string", "empty-list", "null", "not-utf8"],
)
@pytest.mark.parametrize("url", ["/api/v1/athletes/", "/api/v1/results/", "/api/v1/sets/"])
def test_absurd_json_is_a_4xx_never_a_500(as_user, head_coach, forward, url, raw):
    response = as_user(head_coach).post(url, raw, content_type="application/json")

    assert_a_4xx_in_the_format(response)


@pytest.mark.parametrize("pk", [str(HUGE), str(-HUGE), "abc", "1e5", "0"])
@pytest.mark.parametrize(
    "prefix", ["athletes", "teams", "programs", "results", "flags", "sessions", "sets", "tests"]
)
def test_absurd_ids_in_the_url_are_a_404(as_user, head_coach, prefix, pk):
    client = as_user(head_coach)

    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/{prefix}/{pk}/", {}, format="json")
        assert response.status_code in (404, 405), (method, response.status_code)
        error_of(response)


@pytest.mark.parametrize("value", [str(HUGE), "abc", "2026-13-45", "\x00"])
@pytest.mark.parametrize(
    "query", ["athlete", "team", "test", "status", "date_after", "ordering", "cursor", "page"]
)
def test_absurd_query_parameters_are_never_a_500(as_user, head_coach, query, value):
    client = as_user(head_coach)

    for url in ("/api/v1/athletes/", "/api/v1/results/", "/api/v1/flags/", "/api/v1/sets/"):
        response = client.get(url, {query: value})
        assert response.status_code in (200, 400, 404), (url, response.status_code)


def test_every_create_answers_an_anonymous_client_with_a_401(forward):
    client = APIClient()

    assert {client.post(url, {}).status_code for url in CREATE_URLS} == {401}
