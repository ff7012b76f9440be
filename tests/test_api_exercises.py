"""The REST API for the exercise library: the global library loaded by migration, each club's
own exercises, filters, and writes through programs.services."""

import json
from pathlib import Path

import pytest
from django.forms.models import model_to_dict

from programs.models import Exercise
from tests.api_error_format import error_roots
from tests.factories import club_exercise

pytestmark = pytest.mark.django_db

LIBRARY = json.loads(
    (Path(__file__).resolve().parent.parent / "programs" / "data" / "exercises.json").read_text()
)
GLOBAL_SLUGS = {row["slug"] for row in LIBRARY}


@pytest.fixture
def our_exercise(club):
    return club_exercise(club, "Harbour hop", category="plyometric", measurement="contacts")


@pytest.fixture
def their_exercise(other_club):
    return club_exercise(other_club, "Riverside raise")


def all_slugs(client, **params) -> set[str]:
    """Every slug over every page (the global library alone is almost a page)."""
    found, url, query = set(), "/api/v1/exercises/", params
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        body = response.json()
        found |= {row["slug"] for row in body["results"]}
        url, query = body["next"], None
    return found


def test_the_global_library_is_loaded_by_migration():
    ankling = Exercise.objects.get(organisation=None, slug="ankling-drill")

    assert (
        set(Exercise.objects.filter(organisation=None).values_list("slug", flat=True))
        == GLOBAL_SLUGS
    )
    assert (ankling.name, ankling.measurement, ankling.category) == (
        "Ankling drill", "seconds", "endurance",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "own"),
    [
        ("head_coach", "harbour-hop"),
        ("assistant_coach", "harbour-hop"),
        ("physio", "harbour-hop"),
        ("athlete", "harbour-hop"),
        ("outsider", "riverside-raise"),
    ],
)
def test_each_persona_sees_the_global_library_and_only_their_clubs_own(
    as_user, personas, our_exercise, their_exercise, persona, own
):
    assert all_slugs(as_user(personas[persona])) == GLOBAL_SLUGS | {own}


def test_exercise_representation_marks_global_and_own(as_user, head_coach, club, our_exercise):
    client = as_user(head_coach)
    ankling = Exercise.objects.get(organisation=None, slug="ankling-drill")

    own = client.get(f"/api/v1/exercises/{our_exercise.id}/").json()
    shipped = client.get(f"/api/v1/exercises/{ankling.id}/").json()

    assert own == {
        "id": our_exercise.id, "organisation": club.id, "slug": "harbour-hop",
        "name": "Harbour hop", "description": "", "cues": [], "category": "plyometric",
        "muscles": ["soleus"], "equipment": [], "measurement": "contacts", "per_side": False,
        "source": "", "is_global": False,
    }  # fmt: skip
    assert (shipped["organisation"], shipped["is_global"], shipped["measurement"]) == (
        None, True, "seconds",
    )  # fmt: skip


def test_exercise_filters_and_search_narrow_the_library(as_user, head_coach, club, our_exercise):
    client = as_user(head_coach)

    assert all_slugs(client, search="ankling") == {"ankling-drill"}
    assert all_slugs(client, search="heel raise") == {
        "bent-knee-heel-raise", "leg-press-heel-raise", "straight-knee-heel-raise",
    }  # fmt: skip
    assert all_slugs(client, category="balance") == {
        "heel-toe-walk", "single-leg-balance", "single-leg-balance-knee-forward",
        "single-leg-balance-leg-rotation",
    }  # fmt: skip
    assert all_slugs(client, muscle="core") == {
        "barbell-calf-raise", "duck-walk-weighted", "single-leg-balance-leg-rotation",
    }  # fmt: skip
    assert all_slugs(client, equipment="jump_rope") == {"jump-rope", "jump-rope-alternate-feet"}
    assert all_slugs(client, measurement="metres") == {
        "duck-walk", "duck-walk-backward", "duck-walk-side", "duck-walk-weighted", "heel-toe-walk",
    }  # fmt: skip
    assert all_slugs(client, measurement="contacts", scope="own") == {"harbour-hop"}
    assert all_slugs(client, organisation=club.id) == {"harbour-hop"}
    assert all_slugs(client, scope="global") == GLOBAL_SLUGS
    assert all_slugs(client, per_side="true", category="plyometric") == {
        "lateral-hops", "single-leg-hops", "small-box-step-downs",
    }  # fmt: skip
    assert client.get("/api/v1/exercises/", {"muscle": "biceps"}).status_code == 400


def test_outsider_gets_404_for_our_exercise_and_it_is_unchanged(as_user, outsider, our_exercise):
    client = as_user(outsider)
    url = f"/api/v1/exercises/{our_exercise.id}/"
    before = model_to_dict(our_exercise)

    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Stolen"}).status_code == 404
    assert (
        client.put(
            url, {"name": "Stolen", "category": "strength", "measurement": "reps"}
        ).status_code
        == 404
    )
    our_exercise.refresh_from_db()
    assert model_to_dict(our_exercise) == before
    assert "harbour-hop" not in all_slugs(client, search="harbour")


def test_staff_add_an_exercise_to_their_club(as_user, assistant_coach, club):
    response = as_user(assistant_coach).post(
        "/api/v1/exercises/",
        {
            "organisation": club.id,
            "name": "Pogo jumps",
            "category": "plyometric",
            "measurement": "contacts",
            "muscles": ["gastrocnemius", "soleus"],
            "cues": ["Stiff ankles"],
        },
    )

    assert response.status_code == 201, response.content
    exercise = Exercise.objects.get(pk=response.json()["id"])
    assert (exercise.organisation, exercise.slug, exercise.created_by) == (
        club, "pogo-jumps", assistant_coach,
    )  # fmt: skip
    assert exercise.muscles == ["gastrocnemius", "soleus"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organisation": "other_club"}, "organisation"),
        ({"organisation": None}, "organisation"),
        ({"category": "cardio"}, "category"),
        ({"muscles": ["biceps"]}, "muscles"),
        ({"equipment": ["kettlebell"]}, "equipment"),
        ({"measurement": "kg"}, "measurement"),
        ({"name": "HARBOUR HOP"}, "name"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_exercise_is_a_400_naming_the_field_and_nothing_is_created(
    as_user, head_coach, club, other_club, our_exercise, body, field
):
    payload = {"organisation": club.id, "name": "Pogo jumps", "category": "plyometric",
               "measurement": "contacts"}  # fmt: skip
    payload |= {"organisation": other_club.id} if body.get("organisation") == "other_club" else body
    before = Exercise.objects.count()

    response = as_user(head_coach).post("/api/v1/exercises/", payload)

    assert response.status_code == 400
    assert error_roots(response) == [field]
    assert Exercise.objects.count() == before


def test_athlete_cannot_add_exercises(as_user, athlete_user, club):
    response = as_user(athlete_user).post(
        "/api/v1/exercises/",
        {"organisation": club.id, "name": "Mine", "category": "strength", "measurement": "reps"},
    )

    assert response.status_code == 403
    assert not Exercise.objects.filter(name="Mine").exists()


def test_staff_change_their_clubs_exercise_but_not_the_global_library(
    as_user, physio, our_exercise
):
    client = as_user(physio)
    ankling = Exercise.objects.get(organisation=None, slug="ankling-drill")
    before = model_to_dict(ankling)

    changed = client.patch(f"/api/v1/exercises/{our_exercise.id}/", {"per_side": True})
    refused = client.patch(f"/api/v1/exercises/{ankling.id}/", {"name": "Renamed"})
    invalid = client.patch(f"/api/v1/exercises/{our_exercise.id}/", {"muscles": ["biceps"]})

    our_exercise.refresh_from_db()
    ankling.refresh_from_db()
    assert changed.status_code == 200
    assert our_exercise.per_side is True
    assert refused.status_code == 403
    assert model_to_dict(ankling) == before
    assert invalid.status_code == 400
    assert error_roots(invalid) == ["muscles"]
    assert our_exercise.muscles == ["soleus"]


def test_athlete_cannot_change_their_clubs_exercise(as_user, athlete_user, our_exercise):
    response = as_user(athlete_user).patch(f"/api/v1/exercises/{our_exercise.id}/", {"name": "X"})

    our_exercise.refresh_from_db()
    assert response.status_code == 403
    assert our_exercise.name == "Harbour hop"


def test_exercises_cannot_be_deleted_through_the_api(as_user, head_coach, our_exercise):
    response = as_user(head_coach).delete(f"/api/v1/exercises/{our_exercise.id}/")

    assert response.status_code == 405
    assert Exercise.objects.filter(pk=our_exercise.pk).exists()


@pytest.mark.parametrize("rows", [5, 50])
def test_exercise_list_query_count_does_not_grow(
    as_user, head_coach, club, rows, django_assert_num_queries
):
    for n in range(rows):
        club_exercise(club, f"Drill {n}", muscles=["soleus", "gastrocnemius"], cues=["Go"])
    client = as_user(head_coach)

    with django_assert_num_queries(4):
        response = client.get("/api/v1/exercises/", {"scope": "own"})

    assert response.json()["count"] == rows
    assert len(response.json()["results"]) == rows


def test_anonymous_requests_for_exercises_are_refused(api_client, our_exercise):
    assert api_client.get("/api/v1/exercises/").status_code in (401, 403)
    assert api_client.get(f"/api/v1/exercises/{our_exercise.id}/").status_code in (401, 403)
