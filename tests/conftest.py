"""Fixtures shared by the whole suite, and the named personas.

The home club has two teams, Forwards and Backs, and:
- `head_coach`: the owner; sees and changes everything in the club, medical notes included;
- `assistant_coach`: coaches Forwards only; sees Forwards' athletes, never medical notes;
- `physio`: sees every athlete of the club and writes medical notes;
- `athlete_user`: the login of `forward` (an athlete on Forwards); sees only themself.
`outsider` is the head coach of another club with an athlete of its own (`foreign_athlete`).
"""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from rest_framework.test import APIClient

from athletes.models import Role
from tests.factories import (
    AthleteFactory,
    MembershipFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
)

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def nothing_remembered():
    """Each test starts with no token or place remembered by the set lane
    (programs.api.own_sets), as a fresh worker would."""
    from programs.api import own_sets

    own_sets._remembered.clear()
    yield
    own_sets._remembered.clear()


@pytest.fixture(autouse=True)
def reference_data(request):
    """The exercise library and test catalogue come from data migrations; a transactional
    test's flush empties them, so such tests load them again (it is idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or "transactional_db" in request.fixturenames):
        from assessments.catalogue import load_catalogue
        from assessments.models import Baseline, Norm, Test
        from programs.library_data import load_exercises
        from programs.models import Exercise

        request.getfixturevalue("transactional_db")
        load_exercises(Exercise)
        load_catalogue(Test, Baseline, Norm)


@pytest.fixture
def club(db):
    return OrganisationFactory(name="Harbour RFC", slug="harbour-rfc")


@pytest.fixture
def forwards(club):
    return TeamFactory(organisation=club, name="Forwards")


@pytest.fixture
def backs(club):
    return TeamFactory(organisation=club, name="Backs")


@pytest.fixture
def head_coach(club):
    return MembershipFactory(
        organisation=club, role=Role.OWNER, user__email="head@harbour.example"
    ).user


@pytest.fixture
def assistant_coach(club, forwards):
    return MembershipFactory(
        organisation=club,
        role=Role.COACH,
        teams=[forwards],
        user__email="assistant@harbour.example",
    ).user


@pytest.fixture
def physio(club):
    return MembershipFactory(
        organisation=club, role=Role.PHYSIO, user__email="physio@harbour.example"
    ).user


@pytest.fixture
def forward(club, forwards):
    return AthleteFactory(
        organisation=club,
        teams=[forwards],
        first_name="Fin",
        last_name="Forward",
        medical_notes="Left Achilles tendinopathy 2025",
    )


@pytest.fixture
def back(club, backs):
    return AthleteFactory(organisation=club, teams=[backs], first_name="Bea", last_name="Back")


@pytest.fixture
def athlete_user(club, forward):
    user = UserFactory(email="fin@harbour.example")
    MembershipFactory(organisation=club, user=user, role=Role.ATHLETE)
    forward.user = user
    forward.save()
    return user


@pytest.fixture
def other_club(db):
    return OrganisationFactory(name="Riverside Runners", slug="riverside-runners")


@pytest.fixture
def outsider(other_club):
    return MembershipFactory(
        organisation=other_club, role=Role.OWNER, user__email="coach@riverside.example"
    ).user


@pytest.fixture
def foreign_team(other_club):
    return TeamFactory(organisation=other_club, name="Road squad")


@pytest.fixture
def foreign_athlete(other_club, foreign_team):
    return AthleteFactory(organisation=other_club, teams=[foreign_team], first_name="Otto")


@pytest.fixture
def personas(head_coach, assistant_coach, physio, athlete_user, outsider):
    return {
        "head_coach": head_coach,
        "assistant_coach": assistant_coach,
        "physio": physio,
        "athlete": athlete_user,
        "outsider": outsider,
    }


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data (`make run`), loaded once per module in a transaction rolled back after it;
    each test runs in its own savepoint inside, so nothing leaks from one test to the next."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("demo_data", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def calf(club):
    """A four-week program: heavy bent-knee raises (tempo 3-0-3) and jump rope."""
    from tests.factories import program

    return program(
        club,
        name="Calf strength",
        weeks=4,
        sessions={
            "Calf A": [
                ("bent-knee-heel-raise", {"sets": 3, "target_min": 10, "tempo": "3-0-3"}),
                ("jump-rope", {"sets": 2, "target_min": 50}),
            ]
        },
    )


@pytest.fixture
def as_user(api_client):
    """`as_user(user)`: the API client, authenticated as that user."""

    def authenticate(user):
        api_client.force_authenticate(user)
        return api_client

    return authenticate


@pytest.fixture
def ankling(db):
    """The shipped ankling test (300 reps)."""
    from assessments.models import Test

    return Test.objects.get(organisation=None, slug="ankling")


@pytest.fixture
def heel_rise(db):
    """The shipped single-leg heel-rise test."""
    from assessments.models import Test

    return Test.objects.get(organisation=None, slug="heel-rise")
