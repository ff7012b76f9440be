"""The Idempotency-Key header on the API's POSTs (config/idempotency.py): a replay returns the
first response without running again, another body with the same key is a 422, keys are per
user, and two concurrent requests with one key create one thing."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from assessments.api.routes import ROUTES as ASSESSMENT
from assessments.models import Result, Test
from athletes.api.routes import ROUTES as ATHLETE
from athletes.models import Athlete, IdempotencyRecord, User
from programs.api.routes import ROUTES as PROGRAM
from programs.models import ProgramTemplate
from tests.api_error_format import error_fields, error_of

pytestmark = pytest.mark.django_db


def post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def athlete_body(club, **extra):
    return {"organisation": club.id, "first_name": "Ann", "last_name": "Lee", **extra}


def test_a_replayed_athlete_create_returns_the_first_response_and_creates_once(
    as_user, head_coach, club
):
    client = as_user(head_coach)

    first = post(client, "/api/v1/athletes/", athlete_body(club), "create-ann")
    replay = post(client, "/api/v1/athletes/", athlete_body(club), "create-ann")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert list(Athlete.objects.values_list("first_name", flat=True)) == ["Ann"]


def test_a_replayed_program_create_creates_one_program(as_user, head_coach, club):
    client = as_user(head_coach)
    body = {"organisation": club.id, "name": "Calf capacity", "weeks": 4}

    first = post(client, "/api/v1/programs/", body, "program-1")
    replay = post(client, "/api/v1/programs/", body, "program-1")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert ProgramTemplate.objects.filter(name="Calf capacity").count() == 1


def test_a_replayed_result_without_a_client_uuid_records_one_result(as_user, head_coach, forward):
    ankling = Test.objects.get(organisation=None, slug="ankling")
    client = as_user(head_coach)
    body = {"athlete": forward.id, "test": ankling.id, "trials": {"both": [310]}}

    first = post(client, "/api/v1/results/", body, "result-1")
    replay = post(client, "/api/v1/results/", body, "result-1")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert Result.objects.count() == 1


def test_the_same_body_in_another_key_order_is_a_replay(as_user, head_coach, club):
    client = as_user(head_coach)
    body = athlete_body(club)

    first = post(client, "/api/v1/athletes/", body, "k")
    replay = post(client, "/api/v1/athletes/", dict(reversed(body.items())), "k")

    assert (replay.status_code, replay.json()) == (201, first.json())
    assert Athlete.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(as_user, head_coach, club):
    client = as_user(head_coach)
    post(client, "/api/v1/athletes/", athlete_body(club), "k")

    response = post(client, "/api/v1/athletes/", athlete_body(club, first_name="Bo"), "k")

    assert response.status_code == 422
    assert error_of(response) == {
        "status": 422,
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used with a different request body or URL.",
        "fields": [],
    }
    assert list(Athlete.objects.values_list("first_name", flat=True)) == ["Ann"]


def test_the_same_key_on_another_url_is_a_422(as_user, head_coach, club):
    client = as_user(head_coach)
    post(client, "/api/v1/teams/", {"organisation": club.id, "name": "U18"}, "k")

    response = post(client, "/api/v1/programs/", {"organisation": club.id, "name": "U18"}, "k")

    assert (response.status_code, error_of(response)["code"]) == (422, "idempotency_key_reused")
    assert not ProgramTemplate.objects.exists()


def test_keys_are_per_user(as_user, head_coach, physio, club):
    first = post(as_user(head_coach), "/api/v1/athletes/", athlete_body(club), "shared")
    second = post(as_user(physio), "/api/v1/athletes/", athlete_body(club), "shared")

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert Athlete.objects.count() == 2


def test_a_rejected_request_is_not_stored_so_the_fixed_one_runs(as_user, head_coach, club):
    client = as_user(head_coach)

    rejected = post(client, "/api/v1/athletes/", athlete_body(club, body_mass_kg=900), "k")
    fixed = post(client, "/api/v1/athletes/", athlete_body(club, body_mass_kg=80), "k")

    assert (rejected.status_code, list(error_fields(rejected))) == (400, ["body_mass_kg"])
    assert fixed.status_code == 201
    assert Athlete.objects.get().body_mass_kg == 80


def test_a_conflict_the_view_answers_is_stored_and_replayed(as_user, head_coach, forward):
    ankling = Test.objects.get(organisation=None, slug="ankling")
    client = as_user(head_coach)
    body = {"athlete": forward.id, "test": ankling.id, "trials": {"both": [310]}}
    body["client_uuid"] = "6f1c1f0e-3a4b-4c6d-8e9f-0a1b2c3d4e5f"
    client.post("/api/v1/results/", body, format="json")
    other = {**body, "trials": {"both": [200]}}

    conflict = post(client, "/api/v1/results/", other, "k")
    replay = post(client, "/api/v1/results/", other, "k")

    assert (conflict.status_code, replay.status_code) == (422, 422)
    assert replay.json() == conflict.json()
    assert replay["Idempotent-Replayed"] == "true"


def test_an_expired_key_runs_again(as_user, head_coach, club):
    client = as_user(head_coach)
    post(client, "/api/v1/athletes/", athlete_body(club), "k")
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))

    again = post(client, "/api/v1/athletes/", athlete_body(club), "k")

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Athlete.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_400_naming_the_header(as_user, head_coach, club, key):
    response = post(as_user(head_coach), "/api/v1/athletes/", athlete_body(club), key)

    assert (response.status_code, list(error_fields(response))) == (400, ["Idempotency-Key"])
    assert not Athlete.objects.exists()


def test_without_a_key_a_repeated_post_creates_twice(as_user, head_coach, club):
    client = as_user(head_coach)

    client.post("/api/v1/athletes/", athlete_body(club), format="json")
    client.post("/api/v1/athletes/", athlete_body(club), format="json")

    assert Athlete.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_create_one_athlete(head_coach, club):
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def send():
        try:
            client = APIClient()
            client.force_authenticate(User.objects.get(pk=head_coach.pk))
            barrier.wait()
            answers.append(post(client, "/api/v1/athletes/", athlete_body(club), "once"))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Athlete.objects.count() == 1
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([201, 201], [201, 409])
    if statuses == [201, 409]:
        busy = next(answer for answer in answers if answer.status_code == 409)
        assert error_of(busy)["code"] == "idempotency_key_in_progress"
    else:
        assert answers[0].json() == answers[1].json()


def test_the_schema_documents_the_header_on_our_posts_and_the_error_format_everywhere():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/") and path != "/api/v1/auth/token/"
        for method, operation in item.items()
    ]
    ours = tuple(f"/api/v1/{prefix}/" for prefix, _, _ in [*ATHLETE, *PROGRAM, *ASSESSMENT])
    posts = [(p, op) for p, method, op in operations if method == "post" and p.startswith(ours)]

    assert posts
    for path, operation in posts:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in names, path
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, method, operation in operations:
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert response["content"]["application/json"]["schema"] == error_ref, (
                    path,
                    method,
                    code,
                )
        assert {"400", "401", "403", "429"} <= set(operation["responses"]), (path, method)


# --- an uploaded file counts by its bytes ---------------------------------------------------


def _results_csv(forward, *rows: str) -> bytes:
    header = "athlete_id,test,date,left,right,both,notes,client_uuid"
    return "\r\n".join([header, *(f"{forward.id},heel-rise,{row}" for row in rows), ""]).encode()


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("results.csv", content, content_type="text/csv")


def _import(client, content: bytes, key: str):
    return client.post(
        "/api/v1/results/import/",
        {"file": _upload(content)},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_the_same_key_with_another_uploaded_file_is_a_422_and_imports_nothing(
    as_user, head_coach, forward
):
    client = as_user(head_coach)
    first_file = _results_csv(forward, "2026-03-02,22,30,,,")
    other_file = _results_csv(forward, "2026-03-09,25,31,,,")

    first = _import(client, first_file, "import-march")
    other = _import(client, other_file, "import-march")

    assert (first.status_code, first.json()) == (201, {"created": 1})
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert list(Result.objects.values_list("date", flat=True)) == [datetime.date(2026, 3, 2)]


def test_the_same_key_with_the_same_uploaded_file_is_a_replay(as_user, head_coach, forward):
    client = as_user(head_coach)
    content = _results_csv(forward, "2026-03-02,22,30,,,")

    first = _import(client, content, "import-march")
    replay = _import(client, content, "import-march")

    assert (
        (replay.status_code, replay.json())
        == (201, {"created": 1})
        == (
            first.status_code,
            first.json(),
        )
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert Result.objects.count() == 1


def test_the_same_key_with_another_text_csv_body_is_a_422(as_user, head_coach, forward):
    client = as_user(head_coach)

    first = client.post(
        "/api/v1/results/import/",
        _results_csv(forward, "2026-03-02,22,30,,,"),
        content_type="text/csv",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    other = client.post(
        "/api/v1/results/import/",
        _results_csv(forward, "2026-03-09,25,31,,,"),
        content_type="text/csv",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert (first.status_code, other.status_code) == (201, 422)
    assert Result.objects.count() == 1


# --- the nightly purge ------------------------------------------------------------------------


def test_the_nightly_purge_deletes_only_expired_keys(as_user, head_coach, club):
    from django.conf import settings

    from athletes.tasks import idempotency_records_purge

    client = as_user(head_coach)
    post(client, "/api/v1/athletes/", athlete_body(club), "old")
    post(client, "/api/v1/athletes/", athlete_body(club, first_name="Bo"), "fresh")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(hours=24, minutes=1)
    )

    assert idempotency_records_purge.apply().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert idempotency_records_purge.apply().get() == 0
    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == idempotency_records_purge.name
    ]
    assert entry["schedule"].hour == {3}


def test_the_same_key_with_another_query_string_is_a_422(as_user, head_coach, club, other_club):
    client = as_user(head_coach)
    body = athlete_body(club)

    first = client.post(
        f"/api/v1/athletes/?organisation={club.id}", body, format="json", HTTP_IDEMPOTENCY_KEY="q"
    )
    other = client.post(
        f"/api/v1/athletes/?organisation={other_club.id}",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="q",
    )
    replay = client.post(
        f"/api/v1/athletes/?organisation={club.id}", body, format="json", HTTP_IDEMPOTENCY_KEY="q"
    )

    assert (first.status_code, other.status_code, replay.status_code) == (201, 422, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert Athlete.objects.filter(first_name="Ann").count() == 1
