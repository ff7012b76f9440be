"""The demo programs `make run` loads: seed templates for both clubs, team assignments and
logged weeks, loaded once. The demo is loaded once for the module (it logs a few thousand sets);
each test runs inside its own savepoint, so nothing one test does leaks into the next."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from athletes.models import Athlete, Organisation
from programs.models import (
    Assignment,
    LoggedSet,
    ProgramTemplate,
    ScheduledSession,
    SessionStatus,
    TeamAssignment,
)
from programs.progression import apply_level
from programs.selectors import session_prescriptions, weekly_pain
from programs.services.assignments import plan_of

pytestmark = pytest.mark.django_db
D = datetime.timedelta

RUGBY_TEMPLATES = [
    "Alfredson eccentric protocol",
    "Ankle strength for runners",
    "Ankling strength protocol",
    "Heavy slow resistance (12 weeks)",
    "Lower-leg conditioning rotation",
    "Progressive calf strength & endurance",
]


def template(club: str, name: str) -> ProgramTemplate:
    return ProgramTemplate.objects.get(organisation__slug=club, name=name)


def sessions_of(template: ProgramTemplate) -> list:
    """[(session name, rotation week, [(slug, sets, min, max, load type, load, per side)])]"""
    return [
        (
            session.name,
            session.rotation_week,
            [
                (
                    p.exercise.slug,
                    p.sets,
                    p.target_min,
                    p.target_max,
                    p.load_type,
                    p.load_value,
                    p.per_side,
                )
                for p in session.prescriptions.select_related("exercise")
            ],
        )
        for session in template.sessions.all()
    ]


def athlete(email: str) -> Athlete:
    return Athlete.objects.get(email=email)


def test_the_rugby_club_gets_the_six_seed_templates(demo):
    names = ProgramTemplate.objects.filter(organisation__slug="harbour-rfc").values_list(
        "name", flat=True
    )

    assert sorted(names) == RUGBY_TEMPLATES


def test_every_demo_template_says_what_it_is_for_and_cites_its_source(demo):
    for program in ProgramTemplate.objects.all():
        assert program.goal
        assert "seed 00" in program.description or "Am J Sports Med" in program.description


def test_ankling_protocol_is_three_two_minute_sets_of_the_ankling_drill(demo):
    protocol = template("harbour-rfc", "Ankling strength protocol")
    [prescription] = protocol.sessions.get().prescriptions.select_related("exercise")

    assert sessions_of(protocol) == [
        ("Ankling", None, [("ankling-drill", 3, 120, None, "none", None, False)])
    ]
    assert prescription.exercise.measurement == "seconds"
    assert prescription.rest_seconds == 90
    assert "added to the running strength routine" in prescription.notes
    assert protocol.weeks == 6


def test_rotation_alternates_jump_rope_and_heavy_raises_with_mini_squats_and_light_raises(demo):
    rotation = template("harbour-rfc", "Lower-leg conditioning rotation")

    assert (rotation.weeks, rotation.rotation_weeks) == (8, 2)
    assert sessions_of(rotation) == [
        (
            "Workout 1",
            1,
            [
                ("jump-rope", 2, 25, 40, "none", None, False),
                ("bent-knee-heel-raise", 4, 5, None, "kg", Decimal("20.0"), True),
            ],
        ),
        (
            "Workout 2",
            2,
            [
                ("one-leg-mini-squat", 2, 60, None, "none", None, True),
                ("straight-knee-heel-raise", 2, 20, None, "none", None, True),
            ],
        ),
    ]


def test_progressive_calf_moves_to_3_x_12_15_then_tempo_and_adds_load(demo):
    calf = template("harbour-rfc", "Progressive calf strength & endurance")
    strength = calf.sessions.get(name="Calf strength")
    straight = strength.prescriptions.get(exercise__slug="straight-knee-heel-raise")
    bent = strength.prescriptions.get(exercise__slug="bent-knee-heel-raise")
    slugs = [
        (s.name, [p.exercise.slug for p in s.prescriptions.select_related("exercise")])
        for s in calf.sessions.all()
    ]

    assert (straight.sets, straight.target_min, straight.target_max, straight.per_side) == (
        2,
        10,
        12,
        True,
    )
    assert (straight.progression, straight.progression_every_weeks) == ("steps", 2)
    assert straight.progression_steps == [
        {"sets": 3, "target_min": 12, "target_max": 15},
        {"tempo": "3-0-3"},
    ]
    assert (bent.progression, bent.load_value, bent.progression_load_step) == (
        "add_load",
        Decimal("10.0"),
        Decimal("2.5"),
    )
    assert slugs == [
        (
            "Calf strength",
            [
                "straight-knee-heel-raise",
                "bent-knee-heel-raise",
                "continuous-calf-raise",
                "wall-gastrocnemius-stretch",
                "soleus-stretch",
            ],
        ),
        (
            "Plyometrics & mobility",
            ["skip-ups", "ankle-hops", "wall-gastrocnemius-stretch", "soleus-stretch"],
        ),
    ]
    continuous = strength.prescriptions.get(exercise__slug="continuous-calf-raise")
    assert (continuous.sets, continuous.target_min, continuous.target_max) == (1, 60, 90)


def test_ankle_strength_for_runners_has_the_seven_exercises_of_seed_003(demo):
    ankle = template("harbour-rfc", "Ankle strength for runners")
    [session] = sessions_of(ankle)

    assert ankle.weeks == 6
    assert [item[0] for item in session[2]] == [
        "ankle-alphabet",
        "single-leg-balance",
        "calf-raise",
        "resistance-band-plantar-flexion",
        "resistance-band-dorsiflexion",
        "resistance-band-inversion",
        "resistance-band-eversion",
        "lateral-hops",
        "duck-walk",
        "heel-toe-walk",
    ]


def test_heavy_slow_resistance_goes_from_15rm_to_6rm_at_3_0_3(demo):
    hsr = template("harbour-rfc", "Heavy slow resistance (12 weeks)")
    plan = plan_of(hsr.sessions.get())

    assert hsr.weeks == 12
    for item in plan:
        assert item["tempo"] == "3-0-3"
        levels = [apply_level(item, level) for level in range(5)]
        assert [level["target_min"] for level in levels] == [15, 12, 10, 8, 6]
        assert [level["sets"] for level in levels] == [3, 3, 4, 4, 4]


def test_alfredson_is_3_x_15_straight_and_bent_knee_drops_per_side_twice_daily(demo):
    alfredson = template("harbour-rfc", "Alfredson eccentric protocol")
    [session] = sessions_of(alfredson)

    assert alfredson.weeks == 12
    assert session[2] == [
        ("straight-knee-eccentric-heel-drop", 3, 15, None, "bodyweight", None, True),
        ("bent-knee-eccentric-heel-drop", 3, 15, None, "bodyweight", None, True),
    ]
    assert "twice daily, 7 days a week" in alfredson.description
    assert all(
        p.notes == "Twice daily, 7 days a week."
        for p in alfredson.sessions.get().prescriptions.all()
    )


def test_the_running_club_gets_its_own_three_templates(demo):
    names = ProgramTemplate.objects.filter(organisation__slug="riverside-running").values_list(
        "name", flat=True
    )

    assert sorted(names) == [
        "Ankle strength for runners",
        "Ankling strength protocol",
        "Progressive calf strength & endurance",
    ]


def test_each_team_has_its_program_twice_a_week(demo):
    today = timezone.localdate()
    rows = {
        (t.team.name, t.template.name, t.start_date, tuple(t.weekdays), t.sessions_per_week)
        for t in TeamAssignment.objects.select_related("team", "template")
    }

    assert rows == {
        ("Forwards", "Lower-leg conditioning rotation", today - D(21), (0, 3), 2),
        ("Backs", "Progressive calf strength & endurance", today - D(21), (0, 3), 2),
        ("Road squad", "Ankle strength for runners", today - D(14), (1, 5), 2),
    }
    for team_assignment in TeamAssignment.objects.select_related("team"):
        members = set(team_assignment.team.athletes.values_list("id", flat=True))
        assigned = set(team_assignment.assignments.values_list("athlete_id", flat=True))
        assert assigned == members


def test_sets_and_completed_sessions_are_logged_only_before_today(demo):
    today = timezone.localdate()
    completed = ScheduledSession.objects.filter(status=SessionStatus.COMPLETED)

    assert completed.count() > 100
    assert LoggedSet.objects.count() > 1000
    assert not completed.filter(date__gte=today).exists()
    assert all(
        timezone.localtime(at).date() < today
        for at in LoggedSet.objects.values_list("performed_at", flat=True)
    )
    assert not LoggedSet.objects.filter(session__isnull=True).exists()
    assert all(
        timezone.localtime(s.performed_at).date() == s.session.date
        for s in LoggedSet.objects.select_related("session")
    )


def test_most_past_sessions_are_done_and_the_rest_missed(demo):
    past = ScheduledSession.objects.filter(date__lt=timezone.localdate())
    done = past.filter(status=SessionStatus.COMPLETED).count()

    assert 0.75 <= done / past.count() <= 0.95
    assert set(past.values_list("status", flat=True)) == {"completed", "scheduled"}


def test_every_prescribed_set_of_a_done_session_is_logged_near_its_target(demo):
    sessions = ScheduledSession.objects.filter(status=SessionStatus.COMPLETED).select_related(
        "assignment__template"
    )
    pain_by_assignment = {}
    for session in sessions.prefetch_related("logged_sets"):
        logged = list(session.logged_sets.all())
        expected = 0
        if session.assignment_id not in pain_by_assignment:
            pain_by_assignment[session.assignment_id] = weekly_pain(session.assignment)
        pain = pain_by_assignment[session.assignment_id]
        for item in session_prescriptions(session, pain_by_week=pain):
            sides = 2 if item["per_side"] else 1
            expected += item["sets"] * sides
            high = item["target_max"] or item["target_min"]
            for s in (s for s in logged if s.exercise_id == item["exercise_id"]):
                done = getattr(s, item["measurement"])
                assert item["target_min"] * 0.7 <= done <= high
                assert 5 <= s.rpe <= 8
                if item["load_type"] == "kg":
                    assert s.load_value == Decimal(item["load_value"])
        assert len(logged) == expected
        assert 25 <= session.duration_minutes <= 50
        assert 5 <= session.session_rpe <= 8


def test_three_athletes_show_pain_that_the_progression_answers(demo):
    pain = {
        a.athlete.email: weekly_pain(a)
        for a in Assignment.objects.filter(team_assignment__isnull=False).select_related("athlete")
    }
    painful = {email for email, weeks in pain.items() if max(weeks.values(), default=0) > 5}

    assert painful == {"rhys.owen@rugby.example", "priya.shah@running.example"}
    assert [pain["marcus.bell@rugby.example"][week] for week in (1, 2, 3)] == [1, 3, 5]
    assert all(
        max(pain[e].values(), default=0) <= 3
        for e in pain
        if e not in painful | {"marcus.bell@rugby.example"}
    )


def test_rising_pain_holds_the_backs_progression(demo):
    week_3 = ScheduledSession.objects.filter(
        athlete__email="marcus.bell@rugby.example", week=3
    ).first()
    straight = session_prescriptions(week_3)[0]

    assert straight["progression_change"] == "hold"
    assert straight["progression_note"] == (
        "Pain rose week on week (1/10 → 3/10): holding instead of progressing."
    )


def test_pain_above_5_last_week_holds_the_runners_progression_this_week(demo):
    week_3 = ScheduledSession.objects.filter(athlete__email="priya.shah@running.example", week=3)
    balance = session_prescriptions(week_3.first())[1]

    assert balance["exercise_slug"] == "single-leg-balance"
    assert balance["progression_change"] == "hold"
    assert balance["progression_note"].endswith("in week 2 is above 5/10: holding.")
    assert balance["target_min"] == 15


def test_tom_harris_has_a_session_today_or_tomorrow(demo):
    today = timezone.localdate()
    tom = athlete("athlete@rugby.example")

    assert ScheduledSession.objects.filter(
        athlete=tom, status=SessionStatus.SCHEDULED, date__range=(today, today + D(1))
    ).exists()
    assert tom.assignments.filter(template__name="Alfredson eccentric protocol").exists()
    assert LoggedSet.objects.filter(athlete=tom, logged_by=tom.user).exists()


def test_a_rerun_creates_nothing(demo):
    models = (ProgramTemplate, TeamAssignment, Assignment, ScheduledSession, LoggedSet)
    before = [m.objects.count() for m in models]
    completed = ScheduledSession.objects.filter(status=SessionStatus.COMPLETED).count()

    call_command("demo_data", stdout=io.StringIO())

    assert [m.objects.count() for m in models] == before
    assert ScheduledSession.objects.filter(status=SessionStatus.COMPLETED).count() == completed


def test_the_running_club_data_never_references_rugby_athletes(demo):
    running = Organisation.objects.get(slug="riverside-running")
    running_athletes = set(running.athletes.values_list("id", flat=True))
    running_templates = ProgramTemplate.objects.filter(organisation=running)

    assigned = set(
        Assignment.objects.filter(template__in=running_templates).values_list(
            "athlete_id", flat=True
        )
    )
    logged = LoggedSet.objects.filter(session__assignment__template__in=running_templates)

    assert assigned == running_athletes
    assert set(logged.values_list("athlete_id", flat=True)) <= running_athletes
    assert set(logged.values_list("logged_by__email", flat=True)) == {"coach@running.example"}
    assert not Assignment.objects.filter(
        athlete_id__in=running_athletes, template__organisation__slug="harbour-rfc"
    ).exists()
