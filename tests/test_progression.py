"""Progression rules with pain gating (Silbernagel's pain-monitoring model)."""

import datetime

import pytest

from programs import services
from programs.progression import apply_level, levels_by_week, tempo_seconds
from programs.selectors import session_prescriptions
from tests.factories import program

MONDAY = datetime.date(2026, 11, 2)


def test_without_pain_the_level_rises_every_n_weeks():
    levels = levels_by_week(weeks=6, every_weeks=2, top=5, weekly_pain={})

    assert [levels[w].level for w in range(1, 7)] == [0, 0, 1, 1, 2, 2]
    assert levels[3].change == "progress"
    assert levels[3].reason == "Progressing: every 2 weeks."


def test_pain_above_five_steps_back_one_level_and_says_why():
    levels = levels_by_week(weeks=6, every_weeks=1, top=5, weekly_pain={1: 2, 2: 3, 3: 7})

    assert [levels[w].level for w in range(1, 6)] == [0, 1, 1, 0, 1]
    assert levels[4].change == "step_back"
    assert levels[4].reason == "Pain 7/10 in week 3 is above 5/10: one step back."


def test_pain_rising_week_on_week_holds_instead_of_progressing():
    levels = levels_by_week(weeks=4, every_weeks=1, top=5, weekly_pain={1: 1, 2: 3, 3: 3})

    assert [levels[w].level for w in range(1, 5)] == [0, 1, 1, 2]
    assert levels[3].change == "hold"
    assert levels[3].reason == (
        "Pain rose week on week (1/10 → 3/10): holding instead of progressing."
    )


def test_level_never_passes_the_last_step():
    levels = levels_by_week(weeks=10, every_weeks=1, top=2, weekly_pain={})

    assert levels[10].level == 2


def test_seed_001_sequence_two_by_ten_to_twelve_then_three_by_twelve_to_fifteen_then_tempo():
    item = {
        "sets": 2,
        "target_min": 10,
        "target_max": 12,
        "tempo": "",
        "load_value": None,
        "progression": {
            "kind": "steps",
            "every_weeks": 2,
            "steps": [
                {"sets": 3, "target_min": 12, "target_max": 15},
                {"tempo": "3-0-3"},
            ],
        },
    }

    assert (apply_level(item, 0)["sets"], apply_level(item, 0)["target_max"]) == (2, 12)
    assert (apply_level(item, 1)["sets"], apply_level(item, 1)["target_max"]) == (3, 15)
    assert apply_level(item, 2)["tempo"] == "3-0-3"
    assert apply_level(item, 2)["sets"] == 3


def test_add_load_and_add_set_rules():
    load = {
        "sets": 3,
        "load_value": "20.0",
        "progression": {"kind": "add_load", "load_step": "2.5"},
    }
    sets = {"sets": 2, "progression": {"kind": "add_set", "max_sets": 4}}

    assert apply_level(load, 2)["load_value"] == "25.0"
    assert [apply_level(sets, n)["sets"] for n in range(4)] == [2, 3, 4, 4]


@pytest.mark.parametrize(
    ("tempo", "seconds"), [("3-0-1", 4), ("3/1/3", 7), ("X-0-3", 4), ("", None), ("slow", None)]
)
def test_tempo_seconds_per_rep(tempo, seconds):
    assert tempo_seconds(tempo) == seconds


def test_logged_pain_holds_the_next_session_with_a_reason(head_coach, athlete_user, forward, club):
    template = program(
        club,
        weeks=4,
        sessions={
            "Calf": [
                (
                    "straight-knee-heel-raise",
                    {
                        "sets": 2,
                        "target_min": 10,
                        "target_max": 12,
                        "progression": "add_set",
                        "progression_every_weeks": 1,
                        "progression_max_sets": 5,
                    },
                )
            ]
        },
    )
    [assignment] = services.program_assign(
        template=template,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=MONDAY,
        weekdays=[0, 3],
    )
    sessions = list(assignment.sessions.order_by("sequence"))
    exercise = sessions[0].plan[0]["exercise_id"]
    from programs.models import Exercise

    calf = Exercise.objects.get(pk=exercise)
    for session, pain in ((sessions[0], 2), (sessions[2], 4)):  # week 1: 2/10, week 2: 4/10
        services.set_log(
            athlete=forward,
            logged_by=athlete_user,
            session=session,
            exercise=calf,
            client_uuid=f"00000000-0000-0000-0000-00000000000{session.sequence}",
            reps=10,
            pain=pain,
        )

    week2 = session_prescriptions(sessions[2])[0]
    week3 = session_prescriptions(sessions[4])[0]

    assert (week2["sets"], week2["progression_change"]) == (3, "progress")
    assert (week3["sets"], week3["progression_change"]) == (3, "hold")
    assert week3["progression_note"] == (
        "Pain rose week on week (2/10 → 4/10): holding instead of progressing."
    )
