"""The demo data `make run` loads: two clubs, fixed logins, loaded once."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from athletes.demo import DEMO_LOGINS, DEMO_PASSWORD
from athletes.models import Athlete, Membership, Organisation, Role, Team, User
from athletes.selectors import athletes_visible_to
from programs.models import Assignment, LoggedSet, ProgramTemplate

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    models = (User, Organisation, Team, Membership, Athlete, ProgramTemplate, Assignment, LoggedSet)
    return tuple(m.objects.count() for m in models)


def test_demo_data_loads_once_and_a_rerun_changes_nothing(demo):
    first = counts()
    output = io.StringIO()

    call_command("demo_data", stdout=output)

    assert counts() == first
    assert "Demo data already present." in output.getvalue()
    assert "coach@rugby.example" in output.getvalue()


def test_demo_clubs_have_the_people_the_docs_promise(demo):
    rugby = Organisation.objects.get(slug="harbour-rfc")
    running = Organisation.objects.get(slug="riverside-running")

    assert sorted(t.name for t in rugby.teams.all()) == ["Backs", "Forwards"]
    assert rugby.athletes.count() == 30
    assert running.athletes.count() == 10
    roles = dict(rugby.memberships.values_list("user__email", "role"))
    assert roles["coach@rugby.example"] == Role.OWNER
    assert roles["forwards.coach@rugby.example"] == Role.COACH
    assert roles["physio@rugby.example"] == Role.PHYSIO
    assert roles["athlete@rugby.example"] == Role.ATHLETE
    assert running.memberships.get().user.email == "coach@running.example"


def test_every_demo_login_works_with_the_demo_password(demo):
    for email, _ in DEMO_LOGINS:
        assert Client().login(email=email, password=DEMO_PASSWORD), email


def test_demo_clubs_are_isolated_from_each_other(demo):
    running_coach = User.objects.get(email="coach@running.example")
    rugby_coach = User.objects.get(email="coach@rugby.example")

    assert {a.organisation.slug for a in athletes_visible_to(running_coach)} == {
        "riverside-running"
    }
    assert athletes_visible_to(rugby_coach).count() == 30
    athlete = User.objects.get(email="athlete@rugby.example")
    assert [a.full_name for a in athletes_visible_to(athlete)] == ["Tom Harris"]
