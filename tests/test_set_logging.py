"""Logging sets: validation, replays store nothing new, concurrency, completion."""

import datetime
import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from programs import services
from programs.models import LoggedSet
from tests.factories import library, program

MONDAY = datetime.date(2026, 11, 2)


@pytest.fixture
def session(club, head_coach, forward):
    template = program(club, sessions={"Calf": [("bent-knee-heel-raise", {"tempo": "3-0-3"})]})
    [assignment] = services.program_assign(
        template=template, assigned_by=head_coach, athletes=[forward], start_date=MONDAY
    )
    return assignment.sessions.get(sequence=1)


@pytest.fixture
def raise_(db):
    return library("bent-knee-heel-raise")


def test_athlete_logs_a_set_against_their_session(athlete_user, forward, session, raise_):
    logged, created = services.set_log(
        athlete=forward,
        logged_by=athlete_user,
        session=session,
        exercise=raise_,
        client_uuid=uuid.uuid4(),
        reps=12,
        load_type="kg",
        load_value=20,
        rpe=7,
        pain=2,
        side="left",
    )

    assert created
    assert (logged.reps, logged.rep_seconds, logged.logged_by) == (12, 6, athlete_user)


def test_replay_of_the_same_uuid_returns_the_original(athlete_user, forward, session, raise_):
    key = uuid.uuid4()
    first, _ = services.set_log(
        athlete=forward,
        logged_by=athlete_user,
        session=session,
        exercise=raise_,
        client_uuid=key,
        reps=12,
        rpe=7,
    )

    again, created = services.set_log(
        athlete=forward,
        logged_by=athlete_user,
        session=session,
        exercise=raise_,
        client_uuid=str(key),
        reps=12,
        rpe=7.0,
    )

    assert not created
    assert again.pk == first.pk
    assert LoggedSet.objects.count() == 1


def test_same_uuid_with_a_different_body_is_a_conflict(athlete_user, forward, session, raise_):
    key = uuid.uuid4()
    services.set_log(
        athlete=forward,
        logged_by=athlete_user,
        session=session,
        exercise=raise_,
        client_uuid=key,
        reps=12,
    )

    with pytest.raises(services.IdempotencyConflict):
        services.set_log(
            athlete=forward,
            logged_by=athlete_user,
            session=session,
            exercise=raise_,
            client_uuid=key,
            reps=15,
        )

    assert LoggedSet.objects.get().reps == 12


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"reps": 100000}, "reps"),
        ({"reps": 10, "pain": 11}, "pain"),
        ({"reps": 10, "rpe": 12}, "rpe"),
        ({"reps": 10, "load_type": "lb", "load_value": 40}, "load_type"),
        ({"reps": 10, "load_type": "kg", "load_value": 900}, "load_value"),
        ({"reps": 10, "load_type": "bodyweight", "load_value": 5}, "load_value"),
        ({}, "reps"),
    ],
)
def test_absurd_values_are_rejected_naming_the_field(
    athlete_user, forward, session, raise_, values, field
):
    with pytest.raises(ValidationError) as error:
        services.set_log(
            athlete=forward,
            logged_by=athlete_user,
            session=session,
            exercise=raise_,
            client_uuid=uuid.uuid4(),
            **values,
        )

    assert field in error.value.message_dict
    assert not LoggedSet.objects.exists()


def test_negative_reps_are_rejected(athlete_user, forward, session, raise_):
    with pytest.raises(ValidationError) as error:
        services.set_log(
            athlete=forward,
            logged_by=athlete_user,
            session=session,
            exercise=raise_,
            client_uuid=uuid.uuid4(),
            reps=-3,
        )

    assert "reps" in error.value.message_dict


def test_a_set_for_someone_elses_session_is_rejected(athlete_user, back, forward, session, raise_):
    with pytest.raises((ValidationError, PermissionDenied)):
        services.set_log(
            athlete=back,
            logged_by=athlete_user,
            session=session,
            exercise=raise_,
            client_uuid=uuid.uuid4(),
            reps=10,
        )
    with pytest.raises(ValidationError) as error:
        services.set_log(
            athlete=back,
            logged_by=back_coach(back),
            session=session,
            exercise=raise_,
            client_uuid=uuid.uuid4(),
            reps=10,
        )

    assert "session" in error.value.message_dict
    assert not LoggedSet.objects.exists()


def back_coach(back):
    from athletes.models import Membership

    return Membership.objects.filter(organisation=back.organisation, role="owner").first().user


def test_coach_logs_on_behalf_but_outsider_cannot(head_coach, outsider, forward, session, raise_):
    logged, _ = services.set_log(
        athlete=forward,
        logged_by=head_coach,
        session=session,
        exercise=raise_,
        client_uuid=uuid.uuid4(),
        reps=8,
    )
    assert logged.logged_by == head_coach

    with pytest.raises(PermissionDenied):
        services.set_log(
            athlete=forward,
            logged_by=outsider,
            session=session,
            exercise=raise_,
            client_uuid=uuid.uuid4(),
            reps=8,
        )


def test_multi_set_submission_is_all_or_nothing(athlete_user, forward, session, raise_):
    good = {"exercise": raise_, "session": session, "client_uuid": uuid.uuid4(), "reps": 10}
    bad = {
        "exercise": raise_,
        "session": session,
        "client_uuid": uuid.uuid4(),
        "reps": 10,
        "pain": 14,
    }

    with pytest.raises(ValidationError):
        services.sets_log(athlete=forward, logged_by=athlete_user, sets=[good, bad])

    assert not LoggedSet.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_same_uuid_posted_concurrently_from_two_threads_stores_one_row(
    athlete_user, forward, session, raise_
):
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def post():
        try:
            barrier.wait()
            results.append(
                services.set_log(
                    athlete=forward,
                    logged_by=athlete_user,
                    session=session,
                    exercise=raise_,
                    client_uuid=key,
                    reps=12,
                )[1]
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False, True]
    assert LoggedSet.objects.filter(client_uuid=key).count() == 1


def test_completing_a_session_is_idempotent(athlete_user, session):
    key = uuid.uuid4()
    done, created = services.session_complete(
        session=session,
        completed_by=athlete_user,
        session_rpe=6,
        duration_minutes=35,
        pain=2,
        client_uuid=key,
    )
    _, created_again = services.session_complete(
        session=session,
        completed_by=athlete_user,
        session_rpe=6,
        duration_minutes=35,
        pain=2,
        client_uuid=key,
    )

    assert (created, created_again) == (True, False)
    assert done.session_load == 210.0
    with pytest.raises(services.IdempotencyConflict):
        services.session_complete(
            session=session,
            completed_by=athlete_user,
            session_rpe=9,
            duration_minutes=35,
            client_uuid=uuid.uuid4(),
        )
