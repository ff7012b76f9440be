"""The one-row scope checks (sees_athlete, sees_session, sees_exercise) that the set logger uses
instead of building a scoped queryset answer exactly as the scoped querysets do, for every
persona, archived athletes and another club's rows included."""

import datetime

import pytest
from django.utils import timezone

from athletes.models import Role
from athletes.selectors import athletes_visible_to, forget_memberships, sees_athlete
from programs import services
from programs.models import Exercise
from programs.selectors import (
    exercises_visible_to,
    sees_exercise,
    sees_session,
    sessions_visible_to,
)
from tests.factories import AthleteFactory, MembershipFactory, library, program

pytestmark = pytest.mark.django_db

PERSONAS = ["head_coach", "assistant_coach", "physio", "athlete_user", "outsider", "coach_athlete"]


@pytest.fixture
def coach_athlete(club, backs, forwards):
    """A coach of the forwards who also has an athlete profile, on the backs: a coach sees only
    the teams they coach, their own profile included."""
    membership = MembershipFactory(organisation=club, role=Role.COACH, teams=[forwards])
    AthleteFactory(organisation=club, teams=[backs], user=membership.user)
    return membership.user


@pytest.fixture
def athletes(club, forward, back, other_club, athlete_user, coach_athlete):
    archived = AthleteFactory(organisation=club, teams=[forward.teams.first()])
    archived.archived_at = timezone.now()
    archived.save()
    foreign = AthleteFactory(organisation=other_club)
    return [forward, back, archived, foreign, coach_athlete.athlete_profiles.get()]


@pytest.mark.parametrize("persona", PERSONAS)
def test_sees_athlete_answers_as_athletes_visible_to(request, persona, athletes):
    user = request.getfixturevalue(persona)
    for athlete in athletes:
        for archived_too in (False, True):
            forget_memberships(user)
            expected = (
                athletes_visible_to(user, include_archived=archived_too)
                .filter(pk=athlete.pk)
                .exists()
            )
            assert sees_athlete(user, athlete, include_archived=archived_too) == expected, (
                persona,
                athlete,
                archived_too,
            )


@pytest.mark.parametrize("persona", PERSONAS)
def test_sees_session_answers_as_sessions_visible_to(
    request, persona, club, other_club, head_coach, forward, back, athletes
):
    user = request.getfixturevalue(persona)
    start = timezone.localdate() + datetime.timedelta(days=1)
    calves = program(club, sessions={"Calf": [("bent-knee-heel-raise", {"target_min": 10})]})
    sessions = [
        a.sessions.get(sequence=1)
        for a in services.program_assign(
            template=calves, assigned_by=head_coach, athletes=[forward, back], start_date=start
        )
    ]
    for session in sessions:
        forget_memberships(user)
        expected = sessions_visible_to(user).filter(pk=session.pk).exists()
        assert sees_session(user, session) == expected, (persona, session)


@pytest.mark.parametrize("persona", PERSONAS)
def test_sees_exercise_answers_as_exercises_visible_to(request, persona, club, other_club):
    user = request.getfixturevalue(persona)
    shipped = library("bent-knee-heel-raise")
    copy = {
        "category": shipped.category,
        "measurement": shipped.measurement,
        "slug": "own-raise",
        "name": "Own raise",
    }
    own = Exercise.objects.create(organisation=club, **copy)
    foreign = Exercise.objects.create(organisation=other_club, **copy)
    for exercise in (shipped, own, foreign):
        expected = exercises_visible_to(user).filter(pk=exercise.pk).exists()
        assert sees_exercise(user, exercise) == expected, (persona, exercise)
