"""The fixtures of the own-set tests: the club's heel raise, a session of it for the forward
and the back (tempo 3-0-3), and the forward's phone with a read-write token."""

import datetime

import pytest

from programs import services
from tests.factories import library, program
from tests.own_sets.support import with_token


@pytest.fixture
def raise_(db):
    return library("bent-knee-heel-raise")


@pytest.fixture
def sessions(head_coach, club, forward, back, raise_):
    calves = program(
        club, sessions={"Calf": [("bent-knee-heel-raise", {"tempo": "3-0-3", "target_min": 10})]}
    )
    assignments = services.program_assign(
        template=calves, assigned_by=head_coach, athletes=[forward, back],
        start_date=datetime.date.today(), weekdays=[0, 1, 2, 3, 4, 5, 6],
    )  # fmt: skip
    return {a.athlete_id: a.sessions.get(sequence=1) for a in assignments}


@pytest.fixture
def phone(athlete_user):
    return with_token(athlete_user)
