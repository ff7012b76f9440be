"""Assignment to calendar: gaps, weekdays, rotation, rescheduling, pause and end, team joiners."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from programs import services
from programs.models import Assignment, AssignmentStatus, SessionStatus
from programs.scheduling import cascade, schedule_dates
from tests.factories import AthleteFactory, program

MONDAY = datetime.date(2026, 11, 2)
D = datetime.timedelta


def dates(schedule):
    return [(slot.week, slot.date) for slot in schedule.slots]


def test_two_sessions_a_week_on_preferred_weekdays():
    schedule = schedule_dates(
        start=MONDAY, weeks=2, sessions_per_week=2, weekdays=[0, 3], min_gap_hours=48
    )

    assert dates(schedule) == [
        (1, MONDAY),
        (1, MONDAY + D(3)),
        (2, MONDAY + D(7)),
        (2, MONDAY + D(10)),
    ]
    assert schedule.warnings == []


def test_without_weekdays_sessions_are_spread_over_the_week():
    schedule = schedule_dates(
        start=MONDAY, weeks=1, sessions_per_week=3, weekdays=[], min_gap_hours=48
    )

    assert [slot.date.weekday() for slot in schedule.slots] == [0, 2, 5]


def test_gap_is_kept_across_the_week_boundary():
    # Sunday of week 1 and Monday of week 2 would be 24 h apart: that Monday is skipped.
    schedule = schedule_dates(
        start=MONDAY, weeks=2, sessions_per_week=2, weekdays=[0, 6], min_gap_hours=48
    )

    assert [s.date for s in schedule.slots] == [MONDAY, MONDAY + D(6), MONDAY + D(13)]
    assert schedule.warnings == ["Week 2 fits 1 of 2 sessions with these weekdays and a 48 h gap."]


def test_a_week_that_cannot_fit_all_sessions_says_so():
    schedule = schedule_dates(
        start=MONDAY, weeks=1, sessions_per_week=3, weekdays=[0, 1, 2], min_gap_hours=48
    )

    assert [s.date for s in schedule.slots] == [MONDAY, MONDAY + D(2)]
    assert schedule.warnings == ["Week 1 fits 2 of 3 sessions with these weekdays and a 48 h gap."]


def test_cascade_moves_only_the_sessions_the_gap_requires():
    later = [MONDAY + D(3), MONDAY + D(7), MONDAY + D(10)]

    moved = cascade(later, moved_to=MONDAY + D(2), min_gap_hours=48, weekdays=[])

    assert moved == [MONDAY + D(4), MONDAY + D(7), MONDAY + D(10)]


@pytest.fixture
def rotation(club):
    """Seed 002: W1 jump rope + bent-knee heavy raises, W2 mini-squat + light straight-knee."""
    return program(
        club,
        name="Lower-leg conditioning",
        weeks=4,
        rotation_weeks=2,
        sessions={
            "Workout 1 @1": [
                ("jump-rope", {"sets": 2, "target_min": 50}),
                (
                    "bent-knee-heel-raise",
                    {"sets": 4, "target_min": 5, "load_type": "kg", "load_value": 20},
                ),
            ],
            "Workout 2 @2": [
                ("one-leg-mini-squat", {"sets": 2, "target_min": 60}),
                ("straight-knee-heel-raise", {"sets": 2, "target_min": 20}),
            ],
        },
    )


def test_rotation_alternates_workouts_week_to_week(rotation, head_coach, forward):
    [assignment] = services.program_assign(
        template=rotation,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=MONDAY,
        sessions_per_week=2,
        weekdays=[0, 3],
    )

    sessions = list(assignment.sessions.order_by("sequence"))
    assert [(s.week, s.date.weekday(), s.name) for s in sessions] == [
        (1, 0, "Workout 1"),
        (1, 3, "Workout 1"),
        (2, 0, "Workout 2"),
        (2, 3, "Workout 2"),
        (3, 0, "Workout 1"),
        (3, 3, "Workout 1"),
        (4, 0, "Workout 2"),
        (4, 3, "Workout 2"),
    ]
    assert [i["exercise_slug"] for i in sessions[0].plan] == ["jump-rope", "bent-knee-heel-raise"]
    assert sessions[0].plan[1]["load_value"] == "20.0"


def test_editing_the_template_does_not_change_what_athletes_have(rotation, head_coach, forward):
    [assignment] = services.program_assign(
        template=rotation, assigned_by=head_coach, athletes=[forward], start_date=MONDAY
    )
    prescription = rotation.sessions.get(name="Workout 1").prescriptions.first()

    services.prescription_update(prescription=prescription, updated_by=head_coach, sets=6)

    rotation.refresh_from_db()
    assert rotation.version == 2
    assert assignment.template_version == 1
    assert assignment.sessions.first().plan[0]["sets"] == 2


def test_rescheduling_moves_later_sessions_when_the_gap_requires(rotation, head_coach, forward):
    [assignment] = services.program_assign(
        template=rotation,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=MONDAY,
        weekdays=[0, 3],
    )
    first = assignment.sessions.get(sequence=1)

    moved = services.session_reschedule(session=first, moved_by=head_coach, date=MONDAY + D(2))

    by_sequence = dict(assignment.sessions.values_list("sequence", "date"))
    assert by_sequence[1] == MONDAY + D(2)
    assert by_sequence[2] == MONDAY + D(7)  # Thursday was too close: next Monday
    assert by_sequence[3] == MONDAY + D(10)  # Monday taken by 2 → Thursday
    assert {s.sequence for s in moved} >= {1, 2}


def test_rescheduling_too_close_to_the_session_before_is_refused(rotation, head_coach, forward):
    [assignment] = services.program_assign(
        template=rotation,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=MONDAY,
        weekdays=[0, 3],
    )
    second = assignment.sessions.get(sequence=2)

    with pytest.raises(ValidationError) as error:
        services.session_reschedule(session=second, moved_by=head_coach, date=MONDAY + D(1))

    assert "date" in error.value.message_dict
    assert assignment.sessions.get(sequence=2).date == MONDAY + D(3)


def test_pausing_and_ending_keep_what_was_logged(rotation, head_coach, forward):
    [assignment] = services.program_assign(
        template=rotation,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=MONDAY,
        weekdays=[0, 3],
    )
    first = assignment.sessions.get(sequence=1)
    services.session_complete(
        session=first, completed_by=head_coach, session_rpe=5, duration_minutes=30
    )

    services.assignment_pause(assignment=assignment, paused_by=head_coach, today=MONDAY + D(1))
    assert set(assignment.sessions.exclude(sequence=1).values_list("status", flat=True)) == {
        SessionStatus.ON_HOLD
    }
    services.assignment_resume(assignment=assignment, resumed_by=head_coach, on=MONDAY + D(14))
    resumed = assignment.sessions.get(sequence=2)
    assert resumed.status == SessionStatus.SCHEDULED
    assert resumed.date == MONDAY + D(14)

    services.assignment_end(assignment=assignment, ended_by=head_coach, today=MONDAY + D(15))
    statuses = dict(assignment.sessions.values_list("sequence", "status"))
    assert statuses[1] == SessionStatus.COMPLETED
    assert statuses[2] == SessionStatus.SCHEDULED  # before the end date: kept as it was
    assert set(statuses.values()) - {SessionStatus.COMPLETED, SessionStatus.SCHEDULED} == {
        SessionStatus.CANCELLED
    }


def test_team_assignment_reaches_joiners_and_leavers_stop(rotation, head_coach, forwards, forward):
    services.program_assign(
        template=rotation, assigned_by=head_coach, team=forwards, start_date=MONDAY
    )
    assert Assignment.objects.filter(athlete=forward).count() == 1

    from athletes import services as athlete_services

    joiner = athlete_services.athlete_create(
        organisation=forwards.organisation,
        created_by=head_coach,
        teams=[forwards],
        first_name="Late",
        last_name="Joiner",
    )
    [joined] = Assignment.objects.filter(athlete=joiner)
    assert joined.reason == "Joined Forwards"
    assert joined.sessions.count() == 8

    athlete_services.athlete_update(athlete=joiner, updated_by=head_coach, teams=[])
    joined.refresh_from_db()
    assert joined.status == AssignmentStatus.ENDED


def test_assigning_to_another_clubs_athlete_is_refused(rotation, head_coach, foreign_athlete):
    with pytest.raises(ValidationError) as error:
        services.program_assign(
            template=rotation,
            assigned_by=head_coach,
            athletes=[foreign_athlete],
            start_date=MONDAY,
        )

    assert "athletes" in error.value.message_dict
    assert not Assignment.objects.exists()


def test_assistant_coach_cannot_assign_to_a_backs_player(rotation, assistant_coach, back):
    with pytest.raises(ValidationError):
        services.program_assign(
            template=rotation, assigned_by=assistant_coach, athletes=[back], start_date=MONDAY
        )


def test_bad_options_name_the_field(rotation, head_coach, forward):
    with pytest.raises(ValidationError) as error:
        services.program_assign(
            template=rotation,
            assigned_by=head_coach,
            athletes=[forward],
            start_date=MONDAY,
            sessions_per_week=3,
            weekdays=[0, 7],
        )

    assert "weekdays" in error.value.message_dict


def test_athletes_on_several_teams_only_count_once(rotation, head_coach, forwards, backs):
    both = AthleteFactory(organisation=forwards.organisation, teams=[forwards, backs])

    services.program_assign(
        template=rotation, assigned_by=head_coach, team=forwards, start_date=MONDAY
    )

    assert Assignment.objects.filter(athlete=both).count() == 1
