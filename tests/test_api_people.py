"""The REST API for organisations, teams and athletes: scoping per persona, writes through the
services, 404 for outsiders, 403 for read-only members, field-naming 400s."""

import datetime

import pytest
from django.forms.models import model_to_dict
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import SimpleRouter

from athletes.models import Athlete, Team
from config.api import router as api_router
from tests.api_error_format import error_fields
from tests.factories import AthleteFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

OUR_PREFIXES = ("organisations", "teams", "athletes", "exercises")


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def snapshot(obj) -> dict:
    obj.refresh_from_db()
    data = model_to_dict(obj)
    data["teams"] = sorted(t.id for t in data.get("teams", []))
    data["updated_at"] = getattr(obj, "updated_at", None)
    return data


# --- organisations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "club_name", "role"),
    [
        ("head_coach", "Harbour RFC", "owner"),
        ("assistant_coach", "Harbour RFC", "coach"),
        ("physio", "Harbour RFC", "physio"),
        ("athlete", "Harbour RFC", "athlete"),
        ("outsider", "Riverside Runners", "owner"),
    ],
)
def test_organisation_list_shows_only_the_users_clubs_with_their_role(
    as_user, personas, persona, club_name, role
):
    body = as_user(personas[persona]).get("/api/v1/organisations/").json()

    assert [(row["name"], row["role"]) for row in body["results"]] == [(club_name, role)]


def test_head_coach_renames_the_organisation(as_user, head_coach, club):
    response = as_user(head_coach).patch(f"/api/v1/organisations/{club.id}/", {"name": "Harbour"})

    club.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "id": club.id,
        "name": "Harbour",
        "slug": "harbour-rfc",
        "role": "owner",
    }
    assert club.name == "Harbour"


@pytest.mark.parametrize(("persona", "status"), [("physio", 403), ("outsider", 404)])
def test_only_the_head_coach_may_rename_the_organisation(as_user, personas, club, persona, status):
    response = as_user(personas[persona]).patch(f"/api/v1/organisations/{club.id}/", {"name": "X"})

    club.refresh_from_db()
    assert response.status_code == status
    assert club.name == "Harbour RFC"


# --- teams -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("head_coach", {"forwards", "backs"}),
        ("assistant_coach", {"forwards"}),
        ("physio", {"forwards", "backs"}),
        ("athlete", {"forwards"}),
        ("outsider", {"foreign_team"}),
    ],
)
def test_team_list_shows_each_persona_exactly_their_teams(
    as_user, personas, forwards, backs, foreign_team, persona, expected
):
    teams = {"forwards": forwards, "backs": backs, "foreign_team": foreign_team}

    response = as_user(personas[persona]).get("/api/v1/teams/")

    assert ids(response) == {teams[name].id for name in expected}


def test_team_counts_active_athletes_and_lists_its_coaches(
    as_user, head_coach, assistant_coach, club, forwards, forward
):
    AthleteFactory(organisation=club, teams=[forwards], archived_at=timezone.now())

    body = as_user(head_coach).get(f"/api/v1/teams/{forwards.id}/").json()

    assert body == {
        "id": forwards.id,
        "organisation": club.id,
        "name": "Forwards",
        "sport": "",
        "athlete_count": 1,
        "coaches": [assistant_coach.id],
    }


def test_team_list_filters_by_organisation_searches_and_orders_by_name(
    as_user, head_coach, club, forwards, backs
):
    client = as_user(head_coach)

    by_name = client.get("/api/v1/teams/", {"organisation": club.id, "ordering": "-name"}).json()
    searched = client.get("/api/v1/teams/", {"search": "forw"})

    assert [row["name"] for row in by_name["results"]] == ["Forwards", "Backs"]
    assert ids(searched) == {forwards.id}


def test_head_coach_adds_a_team_and_a_duplicate_name_is_a_400_naming_name(
    as_user, head_coach, club, forwards
):
    client = as_user(head_coach)

    created = client.post(
        "/api/v1/teams/", {"organisation": club.id, "name": "U18", "sport": "Rugby"}
    )
    duplicate = client.post("/api/v1/teams/", {"organisation": club.id, "name": "forwards"})

    assert created.status_code == 201
    assert created.json()["athlete_count"] == 0
    assert Team.objects.get(pk=created.json()["id"]).name == "U18"
    assert duplicate.status_code == 400
    assert list(error_fields(duplicate)) == ["name"]
    assert set(Team.objects.filter(organisation=club).values_list("name", flat=True)) == {
        "Forwards",
        "U18",
    }


@pytest.mark.parametrize(
    ("persona", "organisation", "status"),
    [
        ("assistant_coach", "club", 400),
        ("physio", "club", 400),
        ("head_coach", "other_club", 400),
        ("athlete", "club", 403),
    ],
)
def test_only_an_owner_adds_teams_to_their_own_organisation(
    as_user, personas, club, other_club, persona, organisation, status
):
    organisations = {"club": club, "other_club": other_club}
    before = Team.objects.count()

    response = as_user(personas[persona]).post(
        "/api/v1/teams/", {"organisation": organisations[organisation].id, "name": "New"}
    )

    assert response.status_code == status
    if status == 400:
        assert list(error_fields(response)) == ["organisation"]
    assert Team.objects.count() == before


@pytest.mark.parametrize("persona", ["assistant_coach", "physio", "athlete"])
def test_members_who_are_not_owners_cannot_change_or_delete_a_visible_team(
    as_user, personas, forwards, persona
):
    client = as_user(personas[persona])
    before = snapshot(forwards)

    assert client.patch(f"/api/v1/teams/{forwards.id}/", {"name": "X"}).status_code == 403
    assert client.delete(f"/api/v1/teams/{forwards.id}/").status_code == 403
    assert snapshot(forwards) == before


def test_outsider_gets_404_for_our_team_and_it_is_unchanged(as_user, outsider, forwards, forward):
    client = as_user(outsider)
    url = f"/api/v1/teams/{forwards.id}/"
    before = snapshot(forwards)

    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Mine"}).status_code == 404
    assert client.put(url, {"name": "Mine", "sport": ""}).status_code == 404
    assert client.delete(url).status_code == 404
    assert snapshot(forwards) == before
    assert list(forward.teams.all()) == [forwards]


def test_head_coach_renames_and_deletes_a_team_and_its_athletes_stay(
    as_user, head_coach, club, forwards, forward
):
    client = as_user(head_coach)

    renamed = client.patch(f"/api/v1/teams/{forwards.id}/", {"name": "Pack"})
    deleted = client.delete(f"/api/v1/teams/{forwards.id}/")

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Pack"
    assert deleted.status_code == 204
    assert not Team.objects.filter(pk=forwards.id).exists()
    forward.refresh_from_db()
    assert forward.archived_at is None
    assert list(forward.teams.all()) == []


# --- athletes: reads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", {"forward"}),
        ("outsider", {"foreign_athlete"}),
    ],
)
def test_athlete_list_shows_each_persona_exactly_their_athletes(
    as_user, personas, forward, back, foreign_athlete, persona, expected
):
    athletes = {"forward": forward, "back": back, "foreign_athlete": foreign_athlete}

    response = as_user(personas[persona]).get("/api/v1/athletes/")

    assert ids(response) == {athletes[name].id for name in expected}


def test_archived_athletes_are_listed_only_when_asked_for(as_user, head_coach, forward, back):
    back.archived_at = timezone.now()
    back.save()
    client = as_user(head_coach)

    assert ids(client.get("/api/v1/athletes/")) == {forward.id}
    assert ids(client.get("/api/v1/athletes/", {"include_archived": "true"})) == {
        forward.id,
        back.id,
    }
    assert ids(client.get("/api/v1/athletes/", {"archived": "true"})) == {back.id}


def test_athlete_list_filters_searches_and_orders(as_user, head_coach, club, forwards, backs):
    anna = AthleteFactory(
        organisation=club,
        teams=[backs],
        first_name="Anna",
        last_name="Zed",
        sex="female",
        position="Wing",
        dominant_side="left",
    )
    bob = AthleteFactory(
        organisation=club,
        teams=[forwards],
        first_name="Bob",
        last_name="Young",
        email="bob.young@harbour.example",
    )
    client = as_user(head_coach)

    def listed(**params):
        return ids(client.get("/api/v1/athletes/", params))

    assert listed(team=backs.id) == {anna.id}
    assert listed(sex="female") == {anna.id}
    assert listed(position="wing") == {anna.id}
    assert listed(dominant_side="left") == {anna.id}
    assert listed(search="bob.young") == {bob.id}
    assert listed(search="zed") == {anna.id}
    assert listed(organisation=club.id) == {anna.id, bob.id}
    ordered = client.get("/api/v1/athletes/", {"ordering": "-last_name"}).json()["results"]
    assert [row["last_name"] for row in ordered] == ["Zed", "Young"]
    assert client.get("/api/v1/athletes/", {"sex": "x"}).status_code == 400


def test_athlete_representation_has_the_documented_fields(as_user, head_coach, club, forwards):
    athlete = AthleteFactory(
        organisation=club, teams=[forwards], date_of_birth=datetime.date(2000, 1, 1)
    )

    body = as_user(head_coach).get(f"/api/v1/athletes/{athlete.id}/").json()

    assert set(body) == {
        "id", "organisation", "first_name", "last_name", "email", "date_of_birth", "age", "sex",
        "sport", "position", "dominant_side", "body_mass_kg", "notes", "medical_notes", "teams",
        "has_login", "archived_at", "created_at", "updated_at",
    }  # fmt: skip
    assert body["teams"] == [forwards.id]
    assert body["age"] == athlete.age_on(timezone.localdate())
    assert body["has_login"] is False
    assert body["body_mass_kg"] == "95.0"


@pytest.mark.parametrize(
    ("persona", "sees_notes"),
    [("head_coach", True), ("physio", True), ("assistant_coach", False), ("athlete", False)],
)
def test_medical_notes_are_shown_only_to_physios_and_the_head_coach(
    as_user, personas, forward, persona, sees_notes
):
    client = as_user(personas[persona])

    detail = client.get(f"/api/v1/athletes/{forward.id}/").json()
    listed = client.get("/api/v1/athletes/").json()["results"]

    expected = "Left Achilles tendinopathy 2025"
    assert detail.get("medical_notes") == (expected if sees_notes else None)
    assert ("medical_notes" in detail) is sees_notes
    assert all(("medical_notes" in row) is sees_notes for row in listed)


# --- athletes: writes --------------------------------------------------------------------------


def test_head_coach_adds_an_athlete_to_a_team(as_user, head_coach, club, forwards):
    response = as_user(head_coach).post(
        "/api/v1/athletes/",
        {"organisation": club.id, "first_name": "Ola", "last_name": "New", "teams": [forwards.id],
         "medical_notes": "Old ankle sprain", "body_mass_kg": "82.5"},
    )  # fmt: skip

    assert response.status_code == 201, response.content
    athlete = Athlete.objects.get(pk=response.json()["id"])
    assert (athlete.organisation, athlete.full_name, athlete.medical_notes) == (
        club, "Ola New", "Old ankle sprain",
    )  # fmt: skip
    assert list(athlete.teams.all()) == [forwards]
    assert response.json()["medical_notes"] == "Old ankle sprain"


@pytest.mark.parametrize(
    ("persona", "body", "field"),
    [
        ("head_coach", {"organisation": "other_club"}, "organisation"),
        ("head_coach", {"teams": ["foreign_team"]}, "teams"),
        ("assistant_coach", {"teams": ["backs"]}, "teams"),
        ("assistant_coach", {"medical_notes": "Hamstring"}, "medical_notes"),
        ("head_coach", {"body_mass_kg": "1000"}, "body_mass_kg"),
        ("head_coach", {"date_of_birth": "future"}, "date_of_birth"),
        ("head_coach", {"sex": "x"}, "sex"),
        ("head_coach", {"email": "taken"}, "email"),
        ("head_coach", {"last_name": ""}, "last_name"),
    ],
)
def test_a_bad_athlete_is_a_400_naming_the_field_and_nothing_is_created(
    as_user, personas, club, other_club, backs, foreign_team, back, persona, body, field
):
    values = {
        "other_club": other_club.id,
        "foreign_team": foreign_team.id,
        "backs": backs.id,
        "future": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
        "taken": back.email.upper(),
    }
    payload = {"organisation": club.id, "first_name": "Ola", "last_name": "New"}
    for key, value in body.items():
        payload[key] = (
            [values[v] for v in value] if isinstance(value, list) else values.get(value, value)
        )
    before = Athlete.objects.count()

    response = as_user(personas[persona]).post("/api/v1/athletes/", payload)

    assert response.status_code == 400
    assert list(error_fields(response)) == [field]
    assert Athlete.objects.count() == before


def test_assistant_coach_updates_their_athlete_but_not_the_medical_notes(
    as_user, assistant_coach, forward
):
    client = as_user(assistant_coach)
    url = f"/api/v1/athletes/{forward.id}/"

    updated = client.patch(url, {"position": "Hooker", "body_mass_kg": "101.5"})
    rejected = client.patch(url, {"position": "Lock", "medical_notes": ""})

    forward.refresh_from_db()
    assert updated.status_code == 200
    assert rejected.status_code == 400
    assert error_fields(rejected) == {
        "medical_notes": ["Only physios and the head coach may write medical notes."]
    }
    assert (forward.position, str(forward.body_mass_kg)) == ("Hooker", "101.5")
    assert forward.medical_notes == "Left Achilles tendinopathy 2025"


def test_physio_writes_medical_notes(as_user, physio, forward):
    response = as_user(physio).patch(
        f"/api/v1/athletes/{forward.id}/", {"medical_notes": "Cleared"}
    )

    forward.refresh_from_db()
    assert response.status_code == 200
    assert forward.medical_notes == "Cleared"


def test_athlete_reads_only_their_own_record_and_writes_nothing(
    as_user, athlete_user, club, forward, back
):
    client = as_user(athlete_user)
    own, other = f"/api/v1/athletes/{forward.id}/", f"/api/v1/athletes/{back.id}/"
    before = snapshot(forward)

    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404
    assert client.patch(own, {"position": "Lock"}).status_code == 403
    assert client.delete(own).status_code == 403
    assert client.post(f"{own}restore/").status_code == 403
    assert client.patch(other, {"position": "Lock"}).status_code == 404
    created = client.post(
        "/api/v1/athletes/", {"organisation": club.id, "first_name": "A", "last_name": "B"}
    )
    assert created.status_code == 403
    assert snapshot(forward) == before


def test_assistant_coach_gets_404_for_an_athlete_of_another_team(as_user, assistant_coach, back):
    before = snapshot(back)

    response = as_user(assistant_coach).patch(f"/api/v1/athletes/{back.id}/", {"position": "X"})

    assert response.status_code == 404
    assert snapshot(back) == before


def test_outsider_gets_404_for_every_action_on_our_athlete_and_it_is_unchanged(
    as_user, outsider, forward
):
    client = as_user(outsider)
    url = f"/api/v1/athletes/{forward.id}/"
    before = snapshot(forward)

    assert client.get(url).status_code == 404
    assert client.patch(url, {"first_name": "Hacked"}).status_code == 404
    assert client.put(url, {"first_name": "Hacked", "last_name": "X"}).status_code == 404
    assert client.delete(url).status_code == 404
    assert client.post(f"{url}restore/").status_code == 404
    assert client.post(f"{url}invite/", {"email": "evil@example.org"}).status_code == 404
    assert snapshot(forward) == before


def test_delete_archives_the_athlete_and_restore_brings_them_back(as_user, head_coach, forward):
    client = as_user(head_coach)

    deleted = client.delete(f"/api/v1/athletes/{forward.id}/")
    forward.refresh_from_db()
    archived_at = forward.archived_at
    listed_while_archived = ids(client.get("/api/v1/athletes/"))
    restored = client.post(f"/api/v1/athletes/{forward.id}/restore/")
    forward.refresh_from_db()

    assert deleted.status_code == 204
    assert archived_at is not None
    assert forward.id not in listed_while_archived
    assert restored.status_code == 200
    assert restored.json()["archived_at"] is None
    assert forward.archived_at is None


def test_invite_gives_the_athlete_a_login_and_answers_202(
    as_user, head_coach, forward, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = as_user(head_coach).post(
            f"/api/v1/athletes/{forward.id}/invite/", {"email": "Fin@Harbour.example"}
        )

    forward.refresh_from_db()
    assert response.status_code == 202
    assert response.json() == {"email": "fin@harbour.example"}
    assert forward.user.email == "fin@harbour.example"


def test_invite_without_any_email_is_a_400_naming_email(as_user, head_coach, club):
    athlete = AthleteFactory(organisation=club, email="")

    response = as_user(head_coach).post(f"/api/v1/athletes/{athlete.id}/invite/", {})

    athlete.refresh_from_db()
    assert response.status_code == 400
    assert list(error_fields(response)) == ["email"]
    assert athlete.user is None


# --- query counts, authentication, schema ------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
def test_athlete_list_query_count_does_not_grow(
    as_user, head_coach, club, forwards, backs, rows, django_assert_num_queries
):
    AthleteFactory.create_batch(rows, organisation=club, teams=[forwards, backs])
    client = as_user(head_coach)

    with django_assert_num_queries(5):
        response = client.get("/api/v1/athletes/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_team_list_query_count_does_not_grow(
    as_user, head_coach, club, rows, django_assert_num_queries
):
    for team in TeamFactory.create_batch(rows, organisation=club):
        MembershipFactory(organisation=club, role="coach", teams=[team])
        AthleteFactory(organisation=club, teams=[team])
    client = as_user(head_coach)

    with django_assert_num_queries(5):
        response = client.get("/api/v1/teams/")

    assert len(response.json()["results"]) == rows


def test_token_authentication_reaches_the_athlete_list(api_client, head_coach, forward):
    token = api_client.post(
        "/api/v1/auth/token/", {"email": head_coach.email, "password": "pw-for-tests-1"}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert ids(api_client.get("/api/v1/athletes/")) == {forward.id}


@pytest.mark.parametrize("prefix", OUR_PREFIXES)
def test_anonymous_requests_are_refused(api_client, prefix, forward):
    assert api_client.get(f"/api/v1/{prefix}/").status_code in (401, 403)
    assert api_client.post(f"/api/v1/{prefix}/", {}).status_code in (401, 403)


def test_openapi_schema_documents_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert response.status_code == 200
    for prefix in OUR_PREFIXES:
        assert f"/api/v1/{prefix}/" in paths
        assert f"/api/v1/{prefix}/{{id}}/" in paths
    assert "/api/v1/athletes/{id}/restore/" in paths
    assert "/api/v1/athletes/{id}/invite/" in paths
    list_parameters = {p["name"] for p in paths["/api/v1/athletes/"]["get"]["parameters"]}
    assert {"include_archived", "team", "archived", "sex", "search", "ordering"} <= list_parameters


def test_schema_of_these_endpoints_is_valid_and_generates_without_warnings():
    router = SimpleRouter()
    for prefix, viewset, basename in api_router.registry:
        if prefix in OUR_PREFIXES:
            router.register(prefix, viewset, basename=basename)
    GENERATOR_STATS.reset()

    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )

    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache
    assert not GENERATOR_STATS._error_cache
