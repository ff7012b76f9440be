"""Results CSV import: all rows or none, each problem by row and column, by persona."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token

from assessments import results_csv
from assessments.models import Result, Test
from assessments.results_csv import results_import
from athletes.roster_csv import RowError
from tests.conftest import login
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db

HEADER = "athlete_email,test,date,left,right,both,notes,client_uuid"
UUID = "6f1c7c1e-8c1a-4d0e-9c55-0a4f2f9d2b11"


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return "\r\n".join([header, *rows, ""]).encode()


@pytest.fixture
def knee_to_wall(db):
    return Test.objects.get(organisation=None, slug="knee-to-wall")


@pytest.fixture
def athletes(forward, back):
    forward.email = "fin@harbour.example"
    forward.save()
    back.email = "bea@harbour.example"
    back.save()
    return forward, back


def stored(club) -> list[tuple]:
    return list(
        Result.objects.filter(athlete__organisation=club)
        .order_by("id")
        .values_list("athlete__first_name", "test__slug", "date", "left", "right", "both")
    )


# --- the service -------------------------------------------------------------------------------


def test_good_file_records_every_row_and_enqueues_their_evaluation(
    club, head_coach, athletes, heel_rise, django_capture_on_commit_callbacks
):
    from assessments.tasks import evaluate_result

    file = csv_file(
        "fin@harbour.example,heel-rise,2026-03-02,22,30,,Pre-season,",
        "BEA@harbour.example,ankling,02/03/2026,,,310,,",
        "fin@harbour.example,knee-to-wall,2026-03-02,9.5;11.2;10,12,,,",
    )
    with (
        mock.patch.object(evaluate_result, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == []
    assert len(result.created) == 3
    march_2 = datetime.date(2026, 3, 2)
    assert stored(club) == [
        ("Fin", "heel-rise", march_2, Decimal("22.00"), Decimal("30.00"), None),
        ("Bea", "ankling", march_2, None, None, Decimal("310.00")),
        ("Fin", "knee-to-wall", march_2, Decimal("11.20"), Decimal("12.00"), None),
    ]
    knee = Result.objects.get(test__slug="knee-to-wall")
    assert knee.trials == {"left": [9.5, 11.2, 10.0], "right": [12.0]}
    assert Result.objects.get(test__slug="heel-rise").notes == "Pre-season"
    assert sorted(call.kwargs["args"] for call in send.call_args_list) == sorted(
        (r.id,) for r in result.created
    )


def test_athlete_named_by_id_or_by_name(club, head_coach, athletes, heel_rise):
    forward, back = athletes
    header = "athlete_id,athlete,test,date,left,right"
    file = csv_file(
        f"{forward.id},,heel-rise,2026-03-02,22,30",
        ",  bea   BACK ,heel-rise,2026-03-02,25,26",
        header=header,
    )

    result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == []
    assert [r.athlete for r in result.created] == [forward, back]


def test_one_bad_row_among_good_ones_stores_nothing_and_names_each_problem(
    club, head_coach, athletes, heel_rise, foreign_athlete
):
    foreign_athlete.email = "otto@riverside.example"
    foreign_athlete.save()
    tomorrow_but_one = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    file = csv_file(
        "fin@harbour.example,heel-rise,2026-03-02,22,30,,,",
        "otto@riverside.example,heel-rise,2026-03-02,22,30,,,",
        "bea@harbour.example,long-jump,2026-03-02,22,30,,,",
        "bea@harbour.example,heel-rise,2026-02-30,22,30,,,",
        "bea@harbour.example,heel-rise,2026-03-02,22,300,,,",
        "bea@harbour.example,heel-rise,2026-03-02,22,,,,",
        f"bea@harbour.example,heel-rise,{tomorrow_but_one},22,30,,,",
        "bea@harbour.example,heel-rise,2026-03-02,22,30,300,,not-a-uuid",
        "fin@harbour.example,heel-rise,2026-03-03,twenty,30,,,",
    )

    result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.created == []
    assert result.errors == [
        RowError(3, "athlete_email", "Unknown athlete: otto@riverside.example"),
        RowError(4, "test", "Unknown test: long-jump"),
        RowError(5, "date", "Unparseable date: 2026-02-30 (use YYYY-MM-DD or DD/MM/YYYY)."),
        RowError(6, "right", "300 reps is outside the plausible range 0–150 reps."),
        RowError(7, "right", "Enter the right result."),
        RowError(8, "date", "A result cannot be dated in the future."),
        RowError(9, "both", "Single-leg heel-rise to fatigue takes left and right, not both."),
        RowError(9, "client_uuid", "Not a UUID: not-a-uuid"),
        RowError(10, "left", "'twenty' is not a number."),
    ]
    assert stored(club) == []


def test_assistant_coach_cannot_import_for_backs(club, assistant_coach, athletes, heel_rise):
    file = csv_file(
        "fin@harbour.example,heel-rise,2026-03-02,22,30,,,",
        "bea@harbour.example,heel-rise,2026-03-02,22,30,,,",
    )

    result = results_import(organisation=club, file=file, imported_by=assistant_coach)

    assert result.errors == [RowError(3, "athlete_email", "Unknown athlete: bea@harbour.example")]
    assert stored(club) == []


def test_two_athletes_of_the_same_name_must_be_told_apart(club, head_coach, heel_rise, forward):
    AthleteFactory(organisation=club, first_name="Fin", last_name="Forward")
    file = csv_file("Fin Forward,heel-rise,2026-03-02,22,30", header="athlete,test,date,l,r")

    result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [
        RowError(
            2, "athlete", "2 athletes are called Fin Forward; use athlete_email or athlete_id."
        )
    ]


def test_replayed_client_uuid_rows_are_not_stored_twice(club, head_coach, athletes, heel_rise):
    file = csv_file(f"fin@harbour.example,heel-rise,2026-03-02,22,30,,,{UUID}")

    first = results_import(organisation=club, file=file, imported_by=head_coach)
    again = results_import(organisation=club, file=file, imported_by=head_coach)

    assert (len(first.created), again.errors, again.created) == (1, [], [])
    assert Result.objects.count() == 1


def test_client_uuid_reused_with_another_result_is_a_row_error(
    club, head_coach, athletes, heel_rise
):
    results_import(
        organisation=club,
        file=csv_file(f"fin@harbour.example,heel-rise,2026-03-02,22,30,,,{UUID}"),
        imported_by=head_coach,
    )

    result = results_import(
        organisation=club,
        file=csv_file(
            "bea@harbour.example,heel-rise,2026-03-02,25,25,,,",
            f"fin@harbour.example,heel-rise,2026-03-02,23,30,,,{UUID}",
        ),
        imported_by=head_coach,
    )

    assert result.errors == [
        RowError(3, "client_uuid", "This client_uuid was imported before with a different result.")
    ]
    assert Result.objects.count() == 1


@pytest.mark.parametrize(
    ("file", "error"),
    [
        ("Fin,Ann".encode("utf-16"), "File is not UTF-8 text; save it as 'CSV UTF-8'."),
        (b"", "The file is empty."),
        (HEADER.encode() + b"\r\n", "The file has no results, only a header."),
        (
            csv_file("fin@harbour.example,ankling,2026-03-02,,,300,a\x00b,"),
            "The file contains NUL characters; it is not a CSV text file.",
        ),
    ],
)
def test_file_level_problems_are_row_0(club, head_coach, file, error):
    result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [RowError(0, "file", error)]


def test_header_problems_are_row_1(club, head_coach):
    file = csv_file("x,y,z", header="Test,Date,Weight")

    result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [
        RowError(
            1, "file", f"Unknown columns: Weight. Expected: {', '.join(results_csv.COLUMNS)}."
        ),
        RowError(
            1,
            "file",
            "Missing required columns: athlete_id or athlete_email or athlete, left or right or "
            "both.",
        ),
    ]


def test_too_many_rows_is_refused(club, head_coach, athletes, monkeypatch):
    monkeypatch.setattr(results_csv, "MAX_ROWS", 2)
    file = csv_file(*["fin@harbour.example,ankling,2026-03-02,,,300,,"] * 3)

    result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [
        RowError(0, "file", "The file has more than 2 results; split it into smaller files.")
    ]
    assert Result.objects.count() == 0


def test_semicolon_separated_file_with_quoted_trials(club, head_coach, athletes, knee_to_wall):
    file = csv_file(
        'fin@harbour.example;knee-to-wall;2026-03-02;"9,5;11";12', header="email;test;date;l;r"
    )

    result = results_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == []
    assert result.created[0].trials == {"left": [9.5, 11.0], "right": [12.0]}


def test_athletes_may_not_import(club, athlete_user):
    with pytest.raises(PermissionDenied):
        results_import(organisation=club, file=csv_file(), imported_by=athlete_user)


# --- the page ----------------------------------------------------------------------------------


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("results.csv", content, content_type="text/csv")


def test_import_page_shows_the_columns_and_tests(client, head_coach):
    response = login(client, head_coach).get("/results/import/")

    assert response.status_code == 200
    assert b"<code>athlete_email</code>" in response.content
    assert b"<code>heel-rise</code>" in response.content


def test_page_imports_a_good_file_and_says_how_many(client, head_coach, athletes, heel_rise):
    file = csv_file("fin@harbour.example,heel-rise,2026-03-02,22,30,,,")

    response = login(client, head_coach).post(
        "/results/import/", {"file": upload(file)}, follow=True
    )

    assert response.redirect_chain == [("/results/import/", 302)]
    assert b"Imported 1 result" in response.content
    assert Result.objects.count() == 1


def test_page_lists_every_problem_and_stores_nothing(client, head_coach, athletes, heel_rise):
    file = csv_file(
        "fin@harbour.example,heel-rise,2026-03-02,22,30,,,",
        "fin@harbour.example,heel-rise,2026-03-02,22,999,,,",
    )

    response = login(client, head_coach).post("/results/import/", {"file": upload(file)})

    assert response.status_code == 400
    assert b"Nothing was imported" in response.content
    assert b"<td>3</td><td><code>right</code></td><td>999 reps is outside" in (response.content)
    assert Result.objects.count() == 0


def test_athlete_gets_403_on_the_import_page(client, athlete_user):
    assert login(client, athlete_user).get("/results/import/").status_code == 403
    assert login(client, athlete_user).get("/results/import/template.csv").status_code == 403


def test_outsider_importing_our_athletes_gets_unknown_athlete(
    client, outsider, athletes, heel_rise
):
    file = csv_file("fin@harbour.example,heel-rise,2026-03-02,22,30,,,")

    response = login(client, outsider).post("/results/import/", {"file": upload(file)})

    assert response.status_code == 400
    assert b"Unknown athlete: fin@harbour.example" in response.content
    assert Result.objects.count() == 0


def test_template_download_is_the_header(client, head_coach):
    response = login(client, head_coach).get("/results/import/template.csv")

    assert response.content.decode() == "\ufeffathlete_email,test,date,left,right,both,notes\r\n"


# --- the API -----------------------------------------------------------------------------------


def token_client(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def test_api_imports_a_multipart_file(api_client, head_coach, athletes, heel_rise):
    file = csv_file("fin@harbour.example,heel-rise,2026-03-02,22,30,,,")

    response = token_client(api_client, head_coach).post(
        "/api/v1/results/import/", {"file": upload(file)}, format="multipart"
    )

    assert (response.status_code, response.json()) == (201, {"created": 1})


def test_api_imports_a_text_csv_body(api_client, head_coach, athletes, heel_rise):
    file = csv_file(f"fin@harbour.example,heel-rise,2026-03-02,22,30,,,{UUID}")
    client = token_client(api_client, head_coach)

    first = client.post("/api/v1/results/import/", file, content_type="text/csv")
    replay = client.post("/api/v1/results/import/", file, content_type="text/csv")

    assert (first.status_code, first.json()) == (201, {"created": 1})
    assert (replay.status_code, replay.json()) == (201, {"created": 0})
    assert Result.objects.count() == 1


def test_api_reports_the_rows_and_stores_nothing(api_client, head_coach, athletes, heel_rise):
    file = csv_file(
        "fin@harbour.example,heel-rise,2026-03-02,22,30,,,",
        "bea@harbour.example,heel-rise,yesterday,22,30,,,",
    )

    response = token_client(api_client, head_coach).post(
        "/api/v1/results/import/", file, content_type="text/csv"
    )

    message = "Unparseable date: yesterday (use YYYY-MM-DD or DD/MM/YYYY)."
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": message,
            "fields": [{"field": "rows.3.date", "message": message, "code": "invalid"}],
            "rows": [{"row": 3, "field": "date", "message": message}],
        }
    }
    assert Result.objects.count() == 0


def test_api_import_without_a_file_is_400_naming_it(api_client, head_coach):
    response = token_client(api_client, head_coach).post(
        "/api/v1/results/import/", {}, format="multipart"
    )

    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["file"]


def test_api_import_is_403_for_an_athlete_and_404_for_another_club(
    api_client, athlete_user, outsider, club, athletes, heel_rise
):
    file = csv_file("fin@harbour.example,heel-rise,2026-03-02,22,30,,,")

    as_athlete = token_client(api_client, athlete_user).post(
        "/api/v1/results/import/", file, content_type="text/csv"
    )
    as_outsider = token_client(api_client, outsider).post(
        f"/api/v1/results/import/?organisation={club.id}", file, content_type="text/csv"
    )

    assert (as_athlete.status_code, as_outsider.status_code) == (403, 404)
    assert Result.objects.count() == 0
