"""Roster CSV import (all rows or none) and export (the same format), by persona."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from athletes import roster_csv, services
from athletes.models import Athlete, Role
from athletes.roster_csv import RowError, roster_import
from athletes.services import athlete_archive
from tests.conftest import login
from tests.factories import AthleteFactory, MembershipFactory, OrganisationFactory, TeamFactory

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,email,date_of_birth,sex,team,position,dominant_side,body_mass_kg"
ANN = "Ann,Ash,ann@example.org,1998-04-03,female,Forwards,Prop,right,82.5"
BEN = 'Ben,Birch,ben@example.org,7/9/2001,M,Backs,Wing,L,"76,4"'
CAT = "Cat,Cole,,,,Forwards; Backs,Hooker,both,"


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return "\r\n".join([header, *rows, ""]).encode()


def club_athletes(club) -> list[str]:
    return sorted(Athlete.objects.filter(organisation=club).values_list("first_name", flat=True))


def export(client, query: str = "") -> str:
    response = client.get(f"/athletes/export.csv{query}")
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode("utf-8")


# --- import: the service ---------------------------------------------------------------------


def test_good_file_imports_every_row_with_its_teams(club, head_coach, forwards, backs):
    result = roster_import(organisation=club, file=csv_file(ANN, BEN, CAT), imported_by=head_coach)

    assert result.errors == []
    assert [a.first_name for a in result.created] == ["Ann", "Ben", "Cat"]
    ann, ben, cat = (Athlete.objects.get(first_name=name) for name in ("Ann", "Ben", "Cat"))
    assert (ann.email, ann.date_of_birth, ann.sex, ann.position) == (
        "ann@example.org",
        datetime.date(1998, 4, 3),
        "female",
        "Prop",
    )
    assert (ann.dominant_side, ann.body_mass_kg) == ("right", Decimal("82.5"))
    assert (ben.date_of_birth, ben.sex, ben.dominant_side, ben.body_mass_kg) == (
        datetime.date(2001, 9, 7),
        "male",
        "left",
        Decimal("76.4"),
    )
    assert (cat.email, cat.date_of_birth, cat.sex, cat.body_mass_kg) == ("", None, "", None)
    assert [t.name for t in ann.teams.all()] == ["Forwards"]
    assert [t.name for t in ben.teams.all()] == ["Backs"]
    assert [t.name for t in cat.teams.all()] == ["Backs", "Forwards"]


def test_headers_match_ignoring_case_spaces_and_units(club, head_coach, forwards):
    header = (
        "First name,Last Name,E-mail,Date of birth,Sex,Team,Position,Dominant side,Body mass (kg)"
    )
    file = csv_file("Ann,Ash,ANN@Example.org,03/04/1998,Woman,forwards,Prop,R,82", header=header)

    result = roster_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == []
    ann = result.created[0]
    assert (ann.email, ann.date_of_birth, ann.sex, ann.dominant_side, ann.body_mass_kg) == (
        "ann@example.org",
        datetime.date(1998, 4, 3),
        "female",
        "right",
        Decimal("82.0"),
    )
    assert list(ann.teams.all()) == [forwards]


def test_only_names_are_required_columns(club, head_coach):
    result = roster_import(
        organisation=club,
        file=csv_file("Ann,Ash", header="last name,first name"),
        imported_by=head_coach,
    )

    assert result.errors == []
    assert (result.created[0].first_name, result.created[0].last_name) == ("Ash", "Ann")


def test_byte_order_mark_and_blank_lines_are_fine_and_rows_count_as_in_a_spreadsheet(
    club, head_coach, forwards, backs
):
    file = b"\xef\xbb\xbf" + csv_file(ANN, "", ",,,,,,,,", "Dan,Dale,,31/02/2000,,,,,")

    result = roster_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [
        RowError(5, "date_of_birth", "Unparseable date: 31/02/2000 (use YYYY-MM-DD or DD/MM/YYYY).")
    ]


def test_semicolon_separated_file_from_a_european_excel_imports(club, head_coach, forwards, backs):
    header = HEADER.replace(",", ";")
    row = 'Ann;Ash;ann@example.org;03/04/1998;f;"Forwards;Backs";Prop;r;82,5'

    result = roster_import(
        organisation=club, file=csv_file(row, header=header), imported_by=head_coach
    )

    assert result.errors == []
    assert [t.name for t in result.created[0].teams.all()] == ["Backs", "Forwards"]
    assert result.created[0].body_mass_kg == Decimal("82.5")


TOO_OLD = f"1/1/{timezone.localdate().year - 111}"
TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("bad_row", "field", "message"),
    [
        (",Birch,,,,,,,", "first_name", "First name is required."),
        ("Ben,,,,,,,,", "last_name", "Last name is required."),
        (
            "Ben,Birch,,1999-13-01,,,,,",
            "date_of_birth",
            "Unparseable date: 1999-13-01 (use YYYY-MM-DD or DD/MM/YYYY).",
        ),
        (
            "Ben,Birch,,March 1999,,,,,",
            "date_of_birth",
            "Unparseable date: March 1999 (use YYYY-MM-DD or DD/MM/YYYY).",
        ),
        (
            f"Ben,Birch,,{TOMORROW},,,,,",
            "date_of_birth",
            f"Date of birth is in the future: {TOMORROW}",
        ),
        (
            f"Ben,Birch,,{TOO_OLD},,,,,",
            "date_of_birth",
            f"Date of birth is more than 110 years ago: {TOO_OLD}",
        ),
        ("Ben,Birch,,,,Reserves,,,", "team", "Unknown team: Reserves"),
        (
            "Ben,Birch,ann@example.org,,,,,,",
            "email",
            "Duplicate email: ann@example.org is also on row 2.",
        ),
        ("Ben,Birch,not-an-email,,,,,,", "email", "Not a valid email address: not-an-email"),
        ("Ben,Birch,,,x,,,,", "sex", "Unknown sex: x (use male or female)."),
        (
            "Ben,Birch,,,,,,up,",
            "dominant_side",
            "Unknown dominant side: up (use left, right or both).",
        ),
        (
            "Ben,Birch,,,,,,,301",
            "body_mass_kg",
            "Body mass must be between 20 and 300 kg, not 301",
        ),
        (
            "Ben,Birch,,,,,,,19.9",
            "body_mass_kg",
            "Body mass must be between 20 and 300 kg, not 19.9",
        ),
        ("Ben,Birch,,,,,,,heavy", "body_mass_kg", "Not a number: heavy"),
        (
            "Ben,Birch,,,,,Loosehead prop and occasional hooker and sometimes the water carrier,,",
            "position",
            "Ensure this value has at most 60 characters (it has 68).",
        ),
    ],
)
def test_one_bad_row_among_good_ones_imports_nothing_and_names_row_and_field(
    club, head_coach, forwards, backs, bad_row, field, message
):
    file = csv_file(ANN, bad_row, CAT)

    result = roster_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [RowError(3, field, message)]
    assert result.created == []
    assert club_athletes(club) == []


def test_email_of_an_athlete_already_in_the_club_is_rejected_ignoring_case(
    club, head_coach, forwards, forward
):
    file = csv_file(ANN, f"Ben,Birch,{forward.email.upper()},,,,,,")

    result = roster_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [
        RowError(3, "email", f"{forward.email} is already used by an athlete of the club.")
    ]
    assert club_athletes(club) == ["Fin"]


def test_email_used_in_another_club_is_fine(club, head_coach, foreign_athlete):
    result = roster_import(
        organisation=club,
        file=csv_file(f"Ben,Birch,{foreign_athlete.email},,,,,,"),
        imported_by=head_coach,
    )

    assert result.errors == []


def test_every_bad_row_and_field_is_reported_in_order(club, head_coach, forwards):
    file = csv_file(",,,,,,,,80", ANN, "Ben,Birch,,soon,x,Nope,,,")

    result = roster_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [
        RowError(2, "first_name", "First name is required."),
        RowError(2, "last_name", "Last name is required."),
        RowError(4, "date_of_birth", "Unparseable date: soon (use YYYY-MM-DD or DD/MM/YYYY)."),
        RowError(4, "sex", "Unknown sex: x (use male or female)."),
        RowError(4, "team", "Unknown team: Nope"),
    ]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (
            ValidationError({"email": "Taken meanwhile."}),
            [RowError(3, "email", "Taken meanwhile.")],
        ),
        (
            IntegrityError("duplicate key"),
            [
                RowError(
                    0,
                    "file",
                    "The roster changed while importing; nothing was imported, try again.",
                )
            ],
        ),
    ],
)
def test_a_row_failing_while_writing_rolls_back_the_rows_before_it(
    club, head_coach, forwards, backs, monkeypatch, failure, expected
):
    calls = []

    def athlete_create_failing_on_the_second_row(**kwargs):
        calls.append(kwargs["first_name"])
        if len(calls) == 2:
            raise failure
        return services.athlete_create(**kwargs)

    monkeypatch.setattr(roster_csv, "athlete_create", athlete_create_failing_on_the_second_row)

    result = roster_import(organisation=club, file=csv_file(ANN, BEN, CAT), imported_by=head_coach)

    assert calls == ["Ann", "Ben"]
    assert result.errors == expected
    assert result.created == []
    assert club_athletes(club) == []


def test_latin_1_file_is_rejected_as_not_utf_8(club, head_coach):
    file = "first_name,last_name\r\nZoë,Müller\r\n".encode("latin-1")

    result = roster_import(organisation=club, file=file, imported_by=head_coach)

    assert result.errors == [RowError(0, "file", "File is not UTF-8 text; save it as 'CSV UTF-8'.")]
    assert club_athletes(club) == []


def test_empty_file_and_header_only_file_are_rejected(club, head_coach):
    empty = roster_import(organisation=club, file=b"", imported_by=head_coach)
    header_only = roster_import(organisation=club, file=csv_file(), imported_by=head_coach)

    assert empty.errors == [RowError(0, "file", "The file is empty.")]
    assert header_only.errors == [RowError(0, "file", "The file has no athletes, only a header.")]


def test_too_many_rows_is_one_error_and_imports_nothing(club, head_coach, monkeypatch):
    monkeypatch.setattr(roster_csv, "MAX_ROWS", 2)
    ok = roster_import(organisation=club, file=csv_file("A,A", "B,B"), imported_by=head_coach)
    too_many = roster_import(
        organisation=club, file=csv_file("C,C", "D,D", "E,E"), imported_by=head_coach
    )

    assert ok.errors == []
    assert too_many.errors == [
        RowError(0, "file", "The file has more than 2 athletes; split it into smaller files.")
    ]
    assert club_athletes(club) == ["A", "B"]


def test_missing_required_column_is_a_file_error(club, head_coach):
    result = roster_import(
        organisation=club,
        file=csv_file("Ann,a@example.org", header="first_name,email"),
        imported_by=head_coach,
    )

    assert result.errors == [RowError(1, "file", "Missing required columns: last_name.")]


def test_unknown_and_repeated_columns_are_file_errors_naming_them(club, head_coach):
    result = roster_import(
        organisation=club,
        file=csv_file("A,B,C,D,E", header="first_name,last_name,Shoe size,Email,e-mail"),
        imported_by=head_coach,
    )

    assert result.errors == [
        RowError(1, "file", f"Unknown columns: Shoe size. Expected: {HEADER.replace(',', ', ')}."),
        RowError(1, "file", "Columns given twice: email."),
    ]


def test_row_with_more_values_than_columns_asks_for_quotes(club, head_coach):
    result = roster_import(
        organisation=club,
        file=csv_file("Ann,Ash,Prop, loosehead", header="first_name,last_name,position"),
        imported_by=head_coach,
    )

    assert result.errors == [
        RowError(2, "row", "4 values but 3 columns; put quotes around values that contain a comma.")
    ]


def test_assistant_coach_imports_onto_forwards_only(club, assistant_coach, forwards, backs):
    onto_backs = roster_import(
        organisation=club, file=csv_file(ANN, "Ben,Birch,,,,Backs,,,"), imported_by=assistant_coach
    )
    onto_forwards = roster_import(
        organisation=club, file=csv_file(ANN), imported_by=assistant_coach
    )

    assert onto_backs.errors == [RowError(3, "team", "Unknown team: Backs")]
    assert [list(a.teams.all()) for a in onto_forwards.created] == [[forwards]]
    assert club_athletes(club) == ["Ann"]


def test_athlete_and_outsider_may_not_import_into_the_club(club, athlete_user, outsider):
    for user in (athlete_user, outsider):
        with pytest.raises(PermissionDenied):
            roster_import(organisation=club, file=csv_file("A,A"), imported_by=user)
    assert club_athletes(club) == ["Fin"]


def test_formula_like_cells_are_escaped_on_export_and_restored_on_import(client, club, head_coach):
    AthleteFactory(organisation=club, first_name="=HYPERLINK(1)", last_name="-Dash", email="")
    login(client, head_coach)

    text = export(client)
    other = OrganisationFactory()
    owner = MembershipFactory(organisation=other, role=Role.OWNER).user
    result = roster_import(organisation=other, file=text.encode(), imported_by=owner)

    assert "'=HYPERLINK(1),'-Dash," in text
    assert result.errors == []
    assert (result.created[0].first_name, result.created[0].last_name) == ("=HYPERLINK(1)", "-Dash")


# --- import: the page --------------------------------------------------------------------------


def upload(content: bytes, name: str = "roster.csv") -> dict:
    return {"file": SimpleUploadedFile(name, content, content_type="text/csv")}


def test_import_page_shows_the_columns_the_teams_and_the_template(client, assistant_coach, backs):
    login(client, assistant_coach)

    response = client.get("/athletes/import/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'accept=".csv,text/csv"' in html
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="id_file">CSV file</label>' in html
    for column in HEADER.split(","):
        assert f"<code>{column}</code>" in html
    assert "<strong>Forwards</strong>" in html and "Backs" not in html
    assert 'href="/athletes/import/template.csv"' in html
    assert "Nothing was imported" not in html


def test_template_csv_is_the_header_line(client, physio):
    login(client, physio)

    response = client.get(reverse("roster_import_template"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode("utf-8") == "\ufeff" + HEADER + "\r\n"


def test_uploading_a_good_file_imports_and_redirects_to_the_roster(
    client, head_coach, club, forwards, backs
):
    login(client, head_coach)

    response = client.post("/athletes/import/", upload(csv_file(ANN, BEN, CAT)))

    assert response.status_code == 302
    assert response.url == reverse("athlete_list")
    assert club_athletes(club) == ["Ann", "Ben", "Cat"]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Imported 3 athletes"]


def test_uploading_a_bad_file_is_a_400_with_a_table_of_problems(client, head_coach, club, forwards):
    login(client, head_coach)

    response = client.post("/athletes/import/", upload(csv_file(ANN, "Ben,Birch,,,,Backs,,,")))

    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported" in html
    assert "<tr><td>3</td><td><code>team</code></td><td>Unknown team: Backs</td></tr>" in html
    assert club_athletes(club) == []


def test_uploading_latin_1_shows_the_encoding_problem(client, physio, club):
    login(client, physio)

    response = client.post(
        "/athletes/import/", upload("first_name,last_name\nZoë,Ä\n".encode("cp1252"))
    )

    assert response.status_code == 400
    assert "File is not UTF-8 text; save it as &#x27;CSV UTF-8&#x27;." in response.content.decode()


def test_file_over_2_mb_is_rejected_naming_the_file_field(client, head_coach, club):
    login(client, head_coach)
    big = csv_file("Ann," + "x" * (2 * 1024 * 1024 - len(HEADER) - 7))  # 2 MB and a byte

    response = client.post("/athletes/import/", upload(big))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["file"]
    assert len(big) == 2 * 1024 * 1024 + 1
    assert (
        "CSV file: The file is larger than 2 MB; split it into smaller files."
        in response.content.decode()
    )
    assert club_athletes(club) == []


def test_posting_without_a_file_is_a_400_naming_the_file_field(client, head_coach):
    login(client, head_coach)

    response = client.post("/athletes/import/", {})

    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["This field is required."]}


def test_athlete_gets_403_on_every_roster_csv_page(client, athlete_user, club):
    login(client, athlete_user)

    assert client.get("/athletes/import/").status_code == 403
    assert client.post("/athletes/import/", upload(csv_file("A,A"))).status_code == 403
    assert client.get("/athletes/import/template.csv").status_code == 403
    assert client.get("/athletes/export.csv").status_code == 403
    assert club_athletes(club) == ["Fin"]


def test_roster_csv_pages_need_a_login(client):
    for url in ("/athletes/import/", "/athletes/import/template.csv", "/athletes/export.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


# --- export ------------------------------------------------------------------------------------


def test_export_header_line_is_exactly_the_import_header(client, head_coach):
    login(client, head_coach)

    response = client.get("/athletes/export.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"] == f'attachment; filename="harbour-rfc-roster-{today}.csv"'
    )
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")


def test_export_lists_active_athletes_in_the_import_format(
    client, head_coach, forward, back, forwards
):
    AthleteFactory(
        organisation=forward.organisation,
        teams=[forwards, back.teams.get()],
        first_name="Cat",
        last_name="Cole",
        email="cat@example.org",
        date_of_birth=datetime.date(2000, 2, 29),
        sex="female",
        position="Hooker, loose",
        dominant_side="both",
        body_mass_kg=Decimal("70.5"),
    )
    gone = AthleteFactory(organisation=forward.organisation, first_name="Gone")
    athlete_archive(athlete=gone, archived_by=head_coach)
    login(client, head_coach)

    lines = export(client).removeprefix("\ufeff").split("\r\n")

    assert lines == [
        HEADER,
        f"Bea,Back,{back.email},{back.date_of_birth.isoformat()},male,Backs,Prop,right,95.0",
        'Cat,Cole,cat@example.org,2000-02-29,female,Backs; Forwards,"Hooker, loose",both,70.5',
        f"Fin,Forward,{forward.email},{forward.date_of_birth.isoformat()},male,Forwards,Prop,right,95.0",
        "",
    ]


def test_assistant_coach_exports_forwards_only_and_sees_no_other_team_names(
    client, assistant_coach, forward, back, forwards, backs
):
    AthleteFactory(organisation=forward.organisation, teams=[forwards, backs], first_name="Cat")
    login(client, assistant_coach)

    rows = export(client).removeprefix("\ufeff").splitlines()[1:]

    assert sorted(row.split(",")[0] for row in rows) == ["Cat", "Fin"]
    assert all(row.split(",")[5] == "Forwards" for row in rows)


def test_export_filters_by_a_visible_team(client, head_coach, forward, back, backs):
    login(client, head_coach)

    rows = export(client, f"?team={backs.id}").splitlines()[1:]
    all_rows = export(client, "?q=&team=&archived=1").splitlines()[1:]  # the roster's own filters

    assert [row.split(",")[0] for row in rows] == ["Bea"]
    assert [row.split(",")[0] for row in all_rows] == ["Bea", "Fin"]


def test_export_with_a_team_the_user_cannot_see_is_a_404(
    client, assistant_coach, outsider, backs, forwards, foreign_team
):
    login(client, assistant_coach)
    assert client.get(f"/athletes/export.csv?team={backs.id}").status_code == 404
    assert client.get(f"/athletes/export.csv?team={foreign_team.id}").status_code == 404
    assert client.get("/athletes/export.csv?team=forwards").status_code == 404
    assert client.get("/athletes/export.csv?team=²").status_code == 404
    assert client.get(f"/athletes/export.csv?team={10**30}").status_code == 404

    login(client, outsider)
    assert client.get(f"/athletes/export.csv?team={forwards.id}").status_code == 404


def test_outsider_exports_only_their_own_club(client, outsider, forward, back, foreign_athlete):
    login(client, outsider)

    rows = export(client).splitlines()[1:]

    assert [row.split(",")[0] for row in rows] == ["Otto"]
    assert forward.email not in "".join(rows) and back.email not in "".join(rows)


def test_exported_roster_reimports_cleanly_into_an_empty_club(
    client, head_coach, club, forwards, backs, forward, back
):
    AthleteFactory(
        organisation=club,
        teams=[forwards, backs],
        first_name="Zoë",
        last_name="O'Neill",
        email="",
        date_of_birth=None,
        sex="",
        position='Lock, "the tower"',
        dominant_side="",
        body_mass_kg=None,
    )
    AthleteFactory(
        organisation=club, first_name="Noa", last_name="Team", body_mass_kg=Decimal("20.0")
    )
    login(client, head_coach)
    exported = export(client)

    other = OrganisationFactory(name="Fresh club", slug="fresh-club")
    owner = MembershipFactory(organisation=other, role=Role.OWNER).user
    TeamFactory(organisation=other, name="Forwards")
    TeamFactory(organisation=other, name="Backs")
    result = roster_import(organisation=other, file=exported.encode(), imported_by=owner)
    login(client, owner)
    reexported = export(client)

    assert result.errors == []
    assert len(result.created) == 4
    assert reexported == exported


@pytest.mark.parametrize("size", [5, 50])
def test_export_query_count_does_not_grow_with_the_roster(
    client, head_coach, club, forwards, backs, django_assert_num_queries, size
):
    AthleteFactory.create_batch(size, organisation=club, teams=[forwards, backs])
    login(client, head_coach)

    # session, user, memberships + their teams, athletes + their teams
    with django_assert_num_queries(6):
        response = client.get("/athletes/export.csv")
        rows = b"".join(response.streaming_content).decode().splitlines()

    assert len(rows) == size + 1
