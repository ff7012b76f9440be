"""The REST API for the test catalogue and test days (scoping per persona, writes, 404 for
outsiders, 403 for the read-only catalogue, "Invalid pk" for foreign ids), and the OpenAPI
schema of every assessments endpoint. Also: test_api_baselines.py, test_api_results.py,
test_api_flags.py."""

import datetime

import pytest
from django.forms.models import model_to_dict
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import SimpleRouter

from assessments import services
from assessments.models import Baseline, Norm, Test, TestDay
from config.api import router as api_router
from tests.api_error_format import error_fields
from tests.assessment_pages import record
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)
OUR_PREFIXES = ("tests", "baselines", "test-days", "results", "flags")


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def snapshot(obj) -> dict:
    obj.refresh_from_db()
    return model_to_dict(obj)


def own_test(organisation, name="Club sprint", **fields) -> Test:
    values = {
        "slug": name.lower().replace(" ", "-"),
        "protocol": "Sprint 20 m from a standing start.",
        "unit": "s",
        "per_side": False,
        "higher_is_better": False,
        "plausible_min": 1,
        "plausible_max": 10,
        "decimals": 2,
    }
    return Test.objects.create(organisation=organisation, name=name, **{**values, **fields})


@pytest.fixture
def club_test(club):
    return own_test(club)


@pytest.fixture
def foreign_test(other_club):
    return own_test(other_club, name="Road mile", unit="min", plausible_max=20)


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "own"),
    [
        ("head_coach", "club_test"),
        ("assistant_coach", "club_test"),
        ("physio", "club_test"),
        ("athlete", "club_test"),
        ("outsider", "foreign_test"),
    ],
)
def test_test_list_shows_the_catalogue_and_exactly_the_personas_own_tests(
    as_user, personas, club_test, foreign_test, persona, own
):
    catalogue = set(Test.objects.filter(organisation=None).values_list("id", flat=True))
    own_tests = {"club_test": club_test, "foreign_test": foreign_test}

    response = as_user(personas[persona]).get("/api/v1/tests/")

    assert len(catalogue) == 13
    assert ids(response) == catalogue | {own_tests[own].id}


def test_test_detail_lists_global_rules_and_the_clubs_overrides_only(
    as_user, head_coach, heel_rise, club, forwards
):
    club_lsi = Baseline.objects.create(test=heel_rise, organisation=club, kind="lsi", value=85)
    team_threshold = Baseline.objects.create(
        test=heel_rise, organisation=club, team=forwards, kind="threshold", value=30
    )
    other = AthleteFactory().organisation
    Baseline.objects.create(test=heel_rise, organisation=other, kind="lsi", value=50)

    body = as_user(head_coach).get(f"/api/v1/tests/{heel_rise.id}/").json()

    global_ids = set(
        Baseline.objects.filter(test=heel_rise, organisation=None).values_list("id", flat=True)
    )
    assert {row["id"] for row in body["baselines"]} == global_ids | {club_lsi.id, team_threshold.id}
    assert body["sides"] == ["left", "right"]
    assert body["is_global"] is True
    assert (body["unit"], body["per_side"], body["trials"], body["combine"]) == (
        "reps",
        True,
        1,
        "best",
    )
    assert (body["plausible_min"], body["plausible_max"], body["measurement_error"]) == (
        "0.00",
        "150.00",
        "6.00",
    )
    norm_rule = next(row for row in body["baselines"] if row["kind"] == "norm")
    assert norm_rule["scope"] == "global"
    assert norm_rule["norms"][0] == {
        "sex": "female",
        "age_min": 20,
        "age_max": 29,
        "value": "30.00",
    }
    assert "Hébert-Losier" in body["citation"]


@pytest.mark.parametrize(
    ("persona", "test_name"), [("head_coach", "foreign_test"), ("outsider", "club_test")]
)
def test_another_clubs_test_is_not_found(
    as_user, personas, club_test, foreign_test, persona, test_name
):
    test = {"club_test": club_test, "foreign_test": foreign_test}[test_name]
    client = as_user(personas[persona])

    assert client.get(f"/api/v1/tests/{test.id}/").status_code == 404
    assert client.patch(f"/api/v1/tests/{test.id}/", {"name": "Mine"}).status_code == 404
    assert snapshot(test)["name"] == test.name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("scope=own", {"club_test"}),
        ("scope=global&per_side=false", {"ankling"}),
        ("unit=S&scope=own", {"club_test"}),
        ("search=ankl", {"ankling"}),
        ("organisation={club}", {"club_test"}),
    ],
)
def test_test_list_filters(as_user, head_coach, club, club_test, ankling, query, expected):
    named = {"club_test": club_test.id, "ankling": ankling.id}

    response = as_user(head_coach).get(f"/api/v1/tests/?{query.format(club=club.id)}")

    assert ids(response) == {named[name] for name in expected}


NEW_TEST = {
    "name": "Calf raise endurance",
    "protocol": "Single-leg raises to fatigue on a flat floor.",
    "unit": "reps",
    "per_side": True,
    "trials": 2,
    "plausible_min": "0",
    "plausible_max": "120",
    "measurement_error": "5",
}


@pytest.mark.parametrize("persona", ["head_coach", "assistant_coach", "physio"])
def test_staff_add_a_test_to_their_clubs_catalogue(as_user, personas, club, persona):
    response = as_user(personas[persona]).post(
        "/api/v1/tests/", {**NEW_TEST, "organisation": club.id}
    )

    assert response.status_code == 201, response.content
    test = Test.objects.get(organisation=club)
    assert response.json()["id"] == test.id
    assert (test.slug, test.sides, test.trials, test.plausible_max) == (
        "calf-raise-endurance",
        ["left", "right"],
        2,
        120,
    )
    assert response.json()["baselines"] == []


def test_athletes_may_not_add_tests(as_user, athlete_user, club):
    response = as_user(athlete_user).post("/api/v1/tests/", {**NEW_TEST, "organisation": club.id})

    assert response.status_code == 403
    assert not Test.objects.filter(organisation__isnull=False).exists()


@pytest.mark.parametrize("organisation", ["other_club", None])
def test_a_test_for_another_club_or_the_catalogue_is_refused(
    as_user, head_coach, other_club, organisation
):
    target = other_club.id if organisation else None

    response = as_user(head_coach).post("/api/v1/tests/", {**NEW_TEST, "organisation": target})

    assert response.status_code == 400
    assert list(error_fields(response)) == ["organisation"]
    assert not Test.objects.filter(organisation__isnull=False).exists()


@pytest.mark.parametrize(("low", "high"), [("50", "50"), ("60", "10")], ids=["equal", "reversed"])
def test_plausible_max_must_exceed_plausible_min(as_user, head_coach, club, low, high):
    body = {**NEW_TEST, "organisation": club.id, "plausible_min": low, "plausible_max": high}

    response = as_user(head_coach).post("/api/v1/tests/", body)

    assert response.status_code == 400
    assert error_fields(response) == {
        "plausible_max": [f"Must be greater than plausible_min ({low})."]
    }


def test_changing_a_tests_minimum_above_its_maximum_names_plausible_max(as_user, physio, club_test):
    response = as_user(physio).patch(f"/api/v1/tests/{club_test.id}/", {"plausible_min": "12"})

    assert response.status_code == 400
    assert list(error_fields(response)) == ["plausible_max"]
    assert snapshot(club_test)["plausible_min"] == 1


def test_physio_changes_the_clubs_own_test(as_user, physio, club_test):
    response = as_user(physio).patch(
        f"/api/v1/tests/{club_test.id}/", {"name": "Sprint 20 m", "plausible_max": "8"}
    )

    assert response.status_code == 200, response.content
    assert (snapshot(club_test)["name"], club_test.plausible_max) == ("Sprint 20 m", 8)


@pytest.mark.parametrize("persona", ["head_coach", "athlete"])
def test_catalogue_tests_are_read_only(as_user, personas, ankling, persona):
    response = as_user(personas[persona]).patch(f"/api/v1/tests/{ankling.id}/", {"name": "Mine"})

    assert response.status_code == 403
    assert snapshot(ankling)["name"] == "Ankling test"


def test_an_athlete_may_read_but_not_change_the_clubs_test(as_user, athlete_user, club_test):
    client = as_user(athlete_user)

    assert client.get(f"/api/v1/tests/{club_test.id}/").status_code == 200
    assert client.patch(f"/api/v1/tests/{club_test.id}/", {"name": "X"}).status_code == 403
    assert snapshot(club_test)["name"] == "Club sprint"


def test_per_side_cannot_change_once_results_exist(as_user, head_coach, forward, club_test):
    record(forward, club_test, {"both": [3.1]}, head_coach)

    response = as_user(head_coach).patch(f"/api/v1/tests/{club_test.id}/", {"per_side": True})

    assert response.status_code == 400
    assert list(error_fields(response)) == ["per_side"]
    assert snapshot(club_test)["per_side"] is False


def test_tests_cannot_be_deleted(as_user, head_coach, club_test):
    response = as_user(head_coach).delete(f"/api/v1/tests/{club_test.id}/")

    assert response.status_code == 405
    assert Test.objects.filter(pk=club_test.pk).exists()


# --- test days ---------------------------------------------------------------------------------


@pytest.fixture
def days(club, forwards, backs, foreign_team, ankling, head_coach, outsider):
    return {
        "forwards_day": services.test_day_create(
            test=ankling, team=forwards, date=DAY, created_by=head_coach
        ),
        "backs_day": services.test_day_create(
            test=ankling, team=backs, date=DAY, created_by=head_coach
        ),
        "foreign_day": services.test_day_create(
            test=ankling, team=foreign_team, date=DAY, created_by=outsider
        ),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("head_coach", {"forwards_day", "backs_day"}),
        ("assistant_coach", {"forwards_day", "backs_day"}),
        ("physio", {"forwards_day", "backs_day"}),
        ("athlete", set()),
        ("outsider", {"foreign_day"}),
    ],
)
def test_test_day_list_shows_the_staff_their_clubs_days(as_user, personas, days, persona, expected):
    response = as_user(personas[persona]).get("/api/v1/test-days/")

    assert ids(response) == {days[name].id for name in expected}


def test_outsider_cannot_see_a_clubs_test_day(as_user, outsider, days):
    response = as_user(outsider).get(f"/api/v1/test-days/{days['forwards_day'].id}/")

    assert response.status_code == 404


def test_assistant_coach_starts_a_test_day_for_forwards(
    as_user, assistant_coach, forwards, ankling
):
    response = as_user(assistant_coach).post(
        "/api/v1/test-days/", {"test": ankling.id, "team": forwards.id, "date": "2026-11-02"}
    )

    assert response.status_code == 201, response.content
    day = TestDay.objects.get()
    assert response.json() == {
        "id": day.id,
        "organisation": forwards.organisation_id,
        "team": forwards.id,
        "test": ankling.id,
        "date": "2026-11-02",
        "notes": "",
        "result_count": 0,
        "created_by": assistant_coach.id,
        "created_at": response.json()["created_at"],
    }


@pytest.mark.parametrize(("field", "status"), [("team", 400), ("test", 400)])
def test_a_test_day_for_a_foreign_team_or_test_is_refused(
    as_user, head_coach, forwards, ankling, foreign_team, foreign_test, field, status
):
    body = {"test": ankling.id, "team": forwards.id, "date": "2026-11-02"}
    body[field] = {"team": foreign_team, "test": foreign_test}[field].id

    response = as_user(head_coach).post("/api/v1/test-days/", body)

    assert response.status_code == status
    assert list(error_fields(response)) == [field]
    assert not TestDay.objects.exists()


def test_athletes_may_not_start_test_days(as_user, athlete_user, forwards, ankling):
    response = as_user(athlete_user).post(
        "/api/v1/test-days/", {"test": ankling.id, "team": forwards.id, "date": "2026-11-02"}
    )

    assert response.status_code == 403
    assert not TestDay.objects.exists()


# --- query count ------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
def test_test_list_query_count_does_not_grow(
    as_user, head_coach, club, rows, django_assert_num_queries
):
    for n in range(rows):
        test = own_test(club, name=f"Club test {n}")
        rule = Baseline.objects.create(test=test, organisation=club, kind="norm")
        Norm.objects.create(baseline=rule, sex="male", age_min=18, value=n)
    client = as_user(head_coach)
    client.get("/api/v1/organisations/")  # the requester's memberships are cached from here on

    with django_assert_num_queries(4):
        response = client.get("/api/v1/tests/?scope=own")

    assert len(response.json()["results"]) == rows
    assert all(len(row["baselines"]) == 1 for row in response.json()["results"])


# --- anonymous calls and the schema ------------------------------------------------------------


@pytest.mark.parametrize("prefix", OUR_PREFIXES)
def test_anonymous_requests_are_refused(api_client, prefix):
    assert api_client.get(f"/api/v1/{prefix}/").status_code in (401, 403)
    assert api_client.post(f"/api/v1/{prefix}/", {}).status_code in (401, 403)


def test_openapi_schema_documents_the_assessment_endpoints_and_their_errors(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert response.status_code == 200
    for prefix in OUR_PREFIXES:
        assert f"/api/v1/{prefix}/" in paths
        assert f"/api/v1/{prefix}/{{id}}/" in paths
    for action in ("dismiss", "resolve"):
        operation = paths[f"/api/v1/flags/{{id}}/{action}/"]["post"]
        assert {"200", "403", "404", "409"} <= set(operation["responses"])
        assert "requestBody" in operation
    assert "422" in paths["/api/v1/results/"]["post"]["responses"]
    assert {"201", "422"} <= set(paths["/api/v1/results/batch/"]["post"]["responses"])
    assert "post" not in paths["/api/v1/flags/"]
    list_parameters = {p["name"] for p in paths["/api/v1/flags/"]["get"]["parameters"]}
    assert {"status", "open", "retest_due_before", "team", "ordering"} <= list_parameters
    result_parameters = {p["name"] for p in paths["/api/v1/results/"]["get"]["parameters"]}
    assert {"cursor", "date_from", "date_to", "passed", "test_day"} <= result_parameters


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
