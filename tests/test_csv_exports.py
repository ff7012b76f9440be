"""CSV exports of results, flags and logged sets: scoped rows, filters, streaming, by persona."""

import csv
import datetime
import io
import tracemalloc
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from assessments.exports import FLAG_COLUMNS, RESULT_COLUMNS, results_rows
from assessments.models import Flag, FlagKind, Result
from athletes import exports_common
from athletes.exports_common import ExportFilters
from athletes.models import Role
from programs.exports import SET_COLUMNS
from programs.models import LoggedSet
from tests.conftest import login
from tests.factories import AthleteFactory, MembershipFactory, library

pytestmark = pytest.mark.django_db

LONDON = datetime.timezone(datetime.timedelta(hours=0))
EXPORTS = {
    "results": ("/exports/results.csv", "/api/v1/exports/results/", RESULT_COLUMNS),
    "flags": ("/exports/flags.csv", "/api/v1/exports/flags/", FLAG_COLUMNS),
    "sets": ("/exports/sets.csv", "/api/v1/exports/sets/", SET_COLUMNS),
}


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def result(athlete, test, on: str, left=30, right=28, **fields) -> Result:
    return Result.objects.create(
        athlete=athlete,
        test=test,
        date=day(on),
        trials={"left": [left], "right": [right]},
        left=left,
        right=right,
        **fields,
    )


def flag(athlete, test, on: str) -> Flag:
    raised = Flag.objects.create(
        athlete=athlete, kind=FlagKind.BASELINE, test=test, reasons=["left 20 reps < 25"]
    )
    at = datetime.datetime.combine(day(on), datetime.time(12), tzinfo=datetime.UTC)
    Flag.objects.filter(pk=raised.pk).update(created_at=at, updated_at=at)
    return raised


def logged_set(athlete, on: str, reps=10) -> LoggedSet:
    return LoggedSet.objects.create(
        athlete=athlete,
        client_uuid=uuid.uuid4(),
        exercise=library("jump-rope"),
        reps=reps,
        performed_at=datetime.datetime.combine(day(on), datetime.time(18), tzinfo=datetime.UTC),
        fingerprint="test",
    )


@pytest.fixture
def data(forward, back, foreign_athlete, heel_rise):
    """One result, flag and set each for forward (Forwards), back (Backs) and the foreign athlete,
    on different days."""
    for athlete, on in (
        (forward, "2026-03-02"),
        (back, "2026-03-09"),
        (foreign_athlete, "2026-03-05"),
    ):
        result(athlete, heel_rise, on)
        flag(athlete, heel_rise, on)
        logged_set(athlete, on)


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response))))


def export(client, kind: str, query: str = "", status: int = 200):
    response = client.get(EXPORTS[kind][0] + query)
    assert response.status_code == status, response.status_code
    return response


def names(response) -> list[str]:
    return [f"{row['first_name']} {row['last_name']}" for row in rows(response)]


# --- what each persona gets --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_head_coach_exports_every_row_of_the_club_oldest_first(client, head_coach, data, kind):
    response = export(login(client, head_coach), kind)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="harbour-rfc-')
    assert names(response) == ["Fin Forward", "Bea Back"]


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_assistant_coach_exports_only_forwards(client, assistant_coach, data, kind):
    assert names(export(login(client, assistant_coach), kind)) == ["Fin Forward"]


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_outsiders_export_has_none_of_our_rows(client, outsider, data, kind):
    exported = rows(export(login(client, outsider), kind))

    assert [row["first_name"] for row in exported] == ["Otto"]


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_athlete_may_not_export(client, athlete_user, data, kind):
    export(login(client, athlete_user), kind, status=403)


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_header_line_is_exact(client, head_coach, kind):
    response = export(login(client, head_coach), kind)

    assert body(response) == ",".join(EXPORTS[kind][2]) + "\r\n"


def test_anonymous_is_sent_to_log_in(client, data):
    response = client.get("/exports/results.csv")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- what a row holds --------------------------------------------------------------------------


def test_result_row_holds_the_values_and_evaluation(client, head_coach, forward, heel_rise):
    stored = result(
        forward,
        heel_rise,
        "2026-03-02",
        left=22,
        right=30,
        lsi=Decimal("73.3"),
        passed=False,
        reasons=["left 22 reps < 25", "LSI 73.3 % < 90 %"],
        notes="=cmd|' /C calc'!A0",
        client_uuid=uuid.UUID("6f1c7c1e-8c1a-4d0e-9c55-0a4f2f9d2b11"),
    )

    (row,) = rows(export(login(client, head_coach), "results"))

    recorded_at = row.pop("recorded_at")
    assert recorded_at.startswith(stored.recorded_at.date().isoformat())
    assert row == {
        "result_id": str(stored.id),
        "date": "2026-03-02",
        "athlete_id": str(forward.id),
        "first_name": "Fin",
        "last_name": "Forward",
        "athlete_email": forward.email,
        "test": "heel-rise",
        "unit": "reps",
        "left": "22.00",
        "right": "30.00",
        "both": "",
        "lsi": "73.3",
        "passed": "false",
        "reasons": "left 22 reps < 25; LSI 73.3 % < 90 %",
        "notes": "'=cmd|' /C calc'!A0",
        "client_uuid": "6f1c7c1e-8c1a-4d0e-9c55-0a4f2f9d2b11",
    }


def test_set_row_holds_the_set(client, head_coach, forward):
    stored = logged_set(forward, "2026-03-02", reps=12)

    (row,) = rows(export(login(client, head_coach), "sets"))

    assert row == {
        "set_id": str(stored.id),
        "performed_at": "2026-03-02T18:00:00+00:00",
        "athlete_id": str(forward.id),
        "first_name": "Fin",
        "last_name": "Forward",
        "exercise": "jump-rope",
        "session_id": "",
        "set_number": "1",
        "side": "",
        "reps": "12",
        "seconds": "",
        "contacts": "",
        "metres": "",
        "load_type": "none",
        "load_value": "",
        "rpe": "",
        "pain": "",
        "notes": "",
        "client_uuid": str(stored.client_uuid),
    }


def test_flag_row_holds_status_and_reasons(client, head_coach, forward, heel_rise):
    raised = flag(forward, heel_rise, "2026-03-02")

    (row,) = rows(export(login(client, head_coach), "flags"))

    assert (row["flag_id"], row["kind"], row["test"], row["status"], row["reasons"]) == (
        str(raised.id),
        "baseline",
        "heel-rise",
        "open",
        "left 20 reps < 25",
    )
    assert row["created_at"] == "2026-03-02T12:00:00+00:00"


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_team_filter_keeps_that_teams_athletes(client, head_coach, backs, data, kind):
    response = export(login(client, head_coach), kind, f"?team={backs.id}")

    assert names(response) == ["Bea Back"]
    assert 'filename="harbour-rfc-' + kind + '-backs.csv"' in response["Content-Disposition"]


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_date_range_includes_both_ends(client, head_coach, data, kind):
    client = login(client, head_coach)

    assert names(export(client, kind, "?date_from=2026-03-02&date_to=2026-03-08")) == [
        "Fin Forward"
    ]
    assert names(export(client, kind, "?date_from=2026-03-03&date_to=2026-03-09")) == ["Bea Back"]
    assert names(export(client, kind, "?date_to=2026-03-01")) == []


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_team_the_user_does_not_see_is_404(client, assistant_coach, backs, foreign_team, kind):
    client = login(client, assistant_coach)

    export(client, kind, f"?team={backs.id}", status=404)
    export(client, kind, f"?team={foreign_team.id}", status=404)
    export(client, kind, "?team=forwards", status=404)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?date_from=yesterday", b"date_from: Not a date: yesterday (use YYYY-MM-DD)."),
        ("?date_to=2026-02-30", b"date_to: Not a date: 2026-02-30 (use YYYY-MM-DD)."),
        ("?date_from=2026-03-09&date_to=2026-03-02", b"date_to: date_to is before date_from."),
    ],
)
def test_bad_date_is_400_naming_the_parameter(client, head_coach, query, message):
    response = export(login(client, head_coach), "results", query, status=400)

    assert response.content == message


# --- streaming ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["results", "sets"])
def test_query_count_does_not_grow_with_rows(
    client, head_coach, forward, heel_rise, forwards, kind
):
    client = login(client, head_coach)

    def add(count: int) -> None:
        for index in range(count):
            if kind == "results":
                result(forward, heel_rise, "2026-03-02", left=index)
            else:
                logged_set(forward, "2026-03-02", reps=index + 1)

    def count_queries(expected_rows: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(rows(export(client, kind, f"?team={forwards.id}"))) == expected_rows
        return len(captured.captured_queries)

    add(5)
    five = count_queries(5)
    add(45)
    assert count_queries(50) == five


def test_export_reads_rows_in_chunks_without_a_list(head_coach, forward, heel_rise, monkeypatch):
    """Peak memory while streaming 2,500 rows stays close to that of 500 rows (chunks of 125
    either way): the rows are never collected in a list. The chunks are smaller than in
    production (2,000) to keep the test fast; the shape is the same."""
    monkeypatch.setattr(exports_common, "CHUNK_SIZE", 125)
    stored = [
        Result(
            athlete=forward,
            test=heel_rise,
            date=day("2026-03-02"),
            trials={"left": [30], "right": [28]},
            left=30,
            right=28,
            notes="x" * 100,
        )
        for _ in range(2_500)
    ]

    def peak(count: int) -> int:
        Result.objects.all().delete()
        Result.objects.bulk_create(stored[:count], batch_size=5000)
        tracemalloc.start()
        lines = results_rows(user=head_coach, organisation=forward.organisation)
        written = sum(1 for _ in lines)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert written == count + 1
        return top

    small = peak(500)
    large = peak(2_500)
    # Holding 2,500 rows would take five times the memory of 500; chunks keep it flat.
    assert large < small * 1.25, (small, large)


def test_rows_are_not_read_before_streaming_starts(
    head_coach, forward, heel_rise, django_assert_num_queries
):
    result(forward, heel_rise, "2026-03-02")
    with django_assert_num_queries(2):  # memberships and their teams, once per request
        lines = results_rows(
            user=head_coach, organisation=forward.organisation, filters=ExportFilters()
        )
    with django_assert_num_queries(1):
        assert len(list(lines)) == 2


# --- the API -----------------------------------------------------------------------------------


def token_client(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_api_export_streams_csv_with_a_token(api_client, head_coach, backs, data, kind):
    response = token_client(api_client, head_coach).get(
        EXPORTS[kind][1] + f"?team={backs.id}", HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert names(response) == ["Bea Back"]


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_api_export_of_the_outsider_has_none_of_ours(api_client, outsider, club, data, kind):
    client = token_client(api_client, outsider)

    assert [r["first_name"] for r in rows(client.get(EXPORTS[kind][1]))] == ["Otto"]
    assert client.get(EXPORTS[kind][1] + f"?organisation={club.id}").status_code == 404


@pytest.mark.parametrize("kind", ["results", "flags", "sets"])
def test_api_export_is_403_for_an_athlete(api_client, athlete_user, data, kind):
    response = token_client(api_client, athlete_user).get(EXPORTS[kind][1])

    assert response.status_code == 403


def test_api_export_bad_parameters(api_client, assistant_coach, backs):
    client = token_client(api_client, assistant_coach)

    response = client.get("/api/v1/exports/results/?date_from=03/13/2026")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == [
        {
            "field": "date_from",
            "message": "Not a date: 03/13/2026 (use YYYY-MM-DD).",
            "code": "invalid",
        }
    ]
    assert client.get(f"/api/v1/exports/flags/?team={backs.id}").status_code == 404


def test_api_export_asks_which_organisation_when_staff_in_two(
    api_client, head_coach, other_club, forward, heel_rise, club
):
    MembershipFactory(organisation=other_club, user=head_coach, role=Role.PHYSIO)
    other = AthleteFactory(organisation=other_club, first_name="Ola")
    result(forward, heel_rise, "2026-03-02")
    result(other, heel_rise, "2026-03-02")
    client = token_client(api_client, head_coach)

    response = client.get("/api/v1/exports/results/")
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["organisation"]
    exported = rows(client.get(f"/api/v1/exports/results/?organisation={other_club.id}"))
    assert [row["first_name"] for row in exported] == ["Ola"]


# --- links -------------------------------------------------------------------------------------


def test_flag_inbox_links_to_the_exports(client, head_coach):
    response = login(client, head_coach).get("/flags/")

    assert b'href="/exports/flags.csv"' in response.content
    assert b'href="/exports/results.csv"' in response.content
