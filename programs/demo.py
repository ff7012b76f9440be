"""Demo programs for `make run`, built from the seed articles and papers in DOMAIN.md.

Both demo clubs get program templates; the rugby club's teams, the running club's road squad
and Tom Harris (the demo athlete login) get assignments; every past session of theirs is logged
the way athletes would log it: most sessions done, sets near the target, a few short, and three
athletes whose pain shows the pain gating at work. Everything goes through the services, so the
demo data obeys the same rules as real data. Deterministic: the same values on every machine,
relative to today's date.
"""

from __future__ import annotations

import datetime
import random
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from athletes.demo import RUGBY_SLUG, RUNNING_SLUG
from athletes.models import Athlete, Organisation, User

from .models import Exercise, ProgramTemplate, ScheduledSession
from .selectors import session_prescriptions
from .services import (
    PRESETS,
    prescription_add,
    program_assign,
    session_complete,
    sets_log,
    template_create,
    template_session_add,
)

NAMESPACE = uuid.UUID("6f1c2a52-0f0e-4d6c-9a59-2f1f3c1b7a10")

ANKLING = "Ankling strength protocol"
ROTATION = "Lower-leg conditioning rotation"
PROGRESSIVE_CALF = "Progressive calf strength & endurance"
ANKLE_RUNNERS = "Ankle strength for runners"
HSR = "Heavy slow resistance (12 weeks)"
ALFREDSON = "Alfredson eccentric protocol"

# name -> template fields and sessions: (session name, rotation week, notes, [(slug, fields)])
TEMPLATES: dict[str, dict] = {
    ANKLING: {
        "goal": "Calf strength endurance after a failed ankling test (300 reps)",
        "description": (
            "The strengthening protocol for athletes who fail the pre-season ankling test: "
            "3 sets of 2 minutes of the ankling drill (time-based sets, not reps), added to the "
            "running strength routine, 2–3 sessions a week, then retest. Source: Kinetic "
            "Revolution, 'Running Calf Strength Exercise: Ankling Drill' (London Irish RFC "
            "physios' baseline; seed 000)."
        ),
        "weeks": 6,
        "sessions": [
            (
                "Ankling",
                None,
                "Add to the running strength routine, 2–3 times a week.",
                [
                    (
                        "ankling-drill",
                        {
                            "sets": 3,
                            "target_min": 120,
                            "rest_seconds": 90,
                            "notes": "2-minute sets, heels never touch down; added to the "
                            "running strength routine.",
                        },
                    )
                ],
            )
        ],
    },
    ROTATION: {
        "goal": "Strong, stiff, fatigue-resistant lower legs for running",
        "description": (
            "Two workouts a week, 48–72 h apart, rotating week to week: week 1 jump rope "
            "(light plyometric volume, 50–80 foot contacts) and heavy bent-knee heel raises "
            "(3–6 reps); week 2 one-leg mini-squats (1 minute) and light straight-knee heel "
            "raises (8–20 reps); the heavy load rises 2.5 kg every two weeks unless pain says "
            "otherwise. Source: 'Guide to Lower Leg Conditioning' (seed 002)."
        ),
        "weeks": 8,
        "rotation_weeks": 2,
        "sessions": [
            (
                "Workout 1",
                1,
                "Jump rope, then heavy bent-knee heel raises.",
                [
                    ("jump-rope", dict(PRESETS["plyo_light"]["values"])),
                    (
                        "bent-knee-heel-raise",
                        {
                            "sets": 4,
                            "target_min": 5,
                            "load_type": "kg",
                            "load_value": Decimal("20"),
                            "rest_seconds": 120,
                            "notes": "Heavy: the most you can lift 5 times with the knee bent.",
                            "progression": "add_load",
                            "progression_every_weeks": 2,
                            "progression_load_step": Decimal("2.5"),
                        },
                    ),
                ],
            ),
            (
                "Workout 2",
                2,
                "One-leg mini-squats, then light straight-knee heel raises.",
                [
                    (
                        "one-leg-mini-squat",
                        {
                            "sets": 2,
                            "target_min": 60,
                            "rest_seconds": 60,
                            "notes": "Reach at different angles with the free foot.",
                        },
                    ),
                    (
                        "straight-knee-heel-raise",
                        {"sets": 2, "target_min": 20, "rest_seconds": 60},
                    ),
                ],
            ),
        ],
    },
    PROGRESSIVE_CALF: {
        "goal": "Progressive calf strength and endurance; lower Achilles loading",
        "description": (
            "The heel-rise protocol: 2 × 10–12 single-leg heel raises, then 3 × 12–15, then a "
            "3-second lowering tempo; small load increases every two weeks; 60–90 s continuous "
            "raises for endurance; gentle plyometrics; calf stretches to finish. Back off volume "
            "with tendon pain. Source: 'How to build progressive calf strength and endurance' "
            "(seed 001)."
        ),
        "weeks": 8,
        "sessions": [
            (
                "Calf strength",
                None,
                "Non-consecutive days; record every set.",
                [
                    (
                        "straight-knee-heel-raise",
                        {
                            "sets": 2,
                            "target_min": 10,
                            "target_max": 12,
                            "per_side": True,
                            "rest_seconds": 60,
                            "progression": "steps",
                            "progression_every_weeks": 2,
                            "progression_steps": [
                                {"sets": 3, "target_min": 12, "target_max": 15},
                                {"tempo": "3-0-3"},
                            ],
                        },
                    ),
                    (
                        "bent-knee-heel-raise",
                        {
                            "sets": 3,
                            "target_min": 10,
                            "target_max": 12,
                            "load_type": "kg",
                            "load_value": Decimal("10"),
                            "rest_seconds": 90,
                            "progression": "add_load",
                            "progression_every_weeks": 2,
                            "progression_load_step": Decimal("2.5"),
                        },
                    ),
                    (
                        "continuous-calf-raise",
                        {
                            "sets": 1,
                            "target_min": 60,
                            "target_max": 90,
                            "notes": "Light, no bounce.",
                        },
                    ),
                    ("wall-gastrocnemius-stretch", {"sets": 1, "target_min": 30, "target_max": 45}),
                    ("soleus-stretch", {"sets": 1, "target_min": 30, "target_max": 45}),
                ],
            ),
            (
                "Plyometrics & mobility",
                None,
                "Soft surface, quiet landings; build contacts only as tolerance allows.",
                [
                    ("skip-ups", {"sets": 2, "target_min": 20, "rest_seconds": 60}),
                    (
                        "ankle-hops",
                        {
                            "sets": 2,
                            "target_min": 20,
                            "rest_seconds": 60,
                            "progression": "add_set",
                            "progression_every_weeks": 2,
                            "progression_max_sets": 4,
                        },
                    ),
                    ("wall-gastrocnemius-stretch", {"sets": 1, "target_min": 30, "target_max": 45}),
                    ("soleus-stretch", {"sets": 1, "target_min": 30, "target_max": 45}),
                ],
            ),
        ],
    },
    ANKLE_RUNNERS: {
        "goal": "Ankle strength and stability for runners",
        "description": (
            "The seven exercises of ASICS' 'The Top Ankle Strengthening Exercises For Runners': "
            "ankle alphabet, single-leg balance, calf raises, resistance-band ankle work in all "
            "four directions, lateral hops, duck walks and heel-toe walks; at least one strength "
            "session a week, little or no equipment (seed 003)."
        ),
        "weeks": 6,
        "sessions": [
            (
                "Ankle strength",
                None,
                "Fits in a running warm-up or cool-down.",
                [
                    (
                        "ankle-alphabet",
                        {"sets": 1, "target_min": 26, "notes": "A to Z, big letters."},
                    ),
                    (
                        "single-leg-balance",
                        {
                            "sets": 2,
                            "target_min": 15,
                            "progression": "steps",
                            "progression_every_weeks": 2,
                            "progression_steps": [{"target_min": 30}, {"target_min": 45}],
                        },
                    ),
                    ("calf-raise", {"sets": 2, "target_min": 15, "target_max": 20}),
                    (
                        "resistance-band-plantar-flexion",
                        {"sets": 1, "target_min": 12, "target_max": 15},
                    ),
                    (
                        "resistance-band-dorsiflexion",
                        {"sets": 1, "target_min": 12, "target_max": 15},
                    ),
                    ("resistance-band-inversion", {"sets": 1, "target_min": 12, "target_max": 15}),
                    ("resistance-band-eversion", {"sets": 1, "target_min": 12, "target_max": 15}),
                    (
                        "lateral-hops",
                        {
                            "sets": 1,
                            "target_min": 20,
                            "notes": "20 side-to-side hops on one leg, then the other; "
                            "no more than 1 m.",
                        },
                    ),
                    ("duck-walk", {"sets": 1, "target_min": 10, "target_max": 20}),
                    ("heel-toe-walk", {"sets": 1, "target_min": 10, "target_max": 20}),
                ],
            )
        ],
    },
    HSR: {
        "goal": "Achilles tendinopathy: heavy slow resistance",
        "description": (
            "Three sessions a week, 3–4 sets, 3 s up and 3 s down; the load rises as the "
            "repetition maximum falls: 15RM → 12RM → 10RM → 8RM → 6RM over 12 weeks. Source: "
            "Beyer et al., Am J Sports Med 2015;43(7):1704–11."
        ),
        "weeks": 12,
        "sessions": [
            (
                "Heavy slow resistance",
                None,
                "Three times a week, 2–3 minutes between sets.",
                [
                    (
                        "seated-calf-raise",
                        {
                            "sets": 3,
                            "target_min": 15,
                            "load_type": "kg",
                            "load_value": Decimal("40"),
                            "tempo": "3-0-3",
                            "rest_seconds": 150,
                            "notes": "The heaviest load you can lift for the target reps (RM).",
                            "progression": "steps",
                            "progression_every_weeks": 2,
                            "progression_steps": [
                                {"target_min": 12, "load_value": "45"},
                                {"sets": 4, "target_min": 10, "load_value": "50"},
                                {"target_min": 8, "load_value": "55"},
                                {"target_min": 6, "load_value": "60"},
                            ],
                        },
                    ),
                    (
                        "barbell-calf-raise",
                        {
                            "sets": 3,
                            "target_min": 15,
                            "load_type": "kg",
                            "load_value": Decimal("60"),
                            "tempo": "3-0-3",
                            "rest_seconds": 150,
                            "notes": "Knees straight; the leg press heel raise works as well.",
                            "progression": "steps",
                            "progression_every_weeks": 2,
                            "progression_steps": [
                                {"target_min": 12, "load_value": "70"},
                                {"sets": 4, "target_min": 10, "load_value": "80"},
                                {"target_min": 8, "load_value": "90"},
                                {"target_min": 6, "load_value": "100"},
                            ],
                        },
                    ),
                ],
            )
        ],
    },
    ALFREDSON: {
        "goal": "Achilles tendinopathy: eccentric loading",
        "description": (
            "3 × 15 straight-knee and 3 × 15 bent-knee eccentric heel drops on each leg, twice "
            "daily, 7 days a week, for 12 weeks; lower on the affected leg, rise on both. "
            "Source: Alfredson et al., Am J Sports Med 1998;26(3):360–6."
        ),
        "weeks": 12,
        "sessions": [
            (
                "Eccentric heel drops",
                None,
                "Twice daily, 7 days a week: log the morning session, repeat it in the evening.",
                [
                    (
                        "straight-knee-eccentric-heel-drop",
                        {
                            "sets": 3,
                            "target_min": 15,
                            "per_side": True,
                            "load_type": "bodyweight",
                            "notes": "Twice daily, 7 days a week.",
                        },
                    ),
                    (
                        "bent-knee-eccentric-heel-drop",
                        {
                            "sets": 3,
                            "target_min": 15,
                            "per_side": True,
                            "load_type": "bodyweight",
                            "notes": "Twice daily, 7 days a week.",
                        },
                    ),
                ],
            )
        ],
    },
}
RUGBY_TEMPLATES = [ANKLING, ROTATION, PROGRESSIVE_CALF, ANKLE_RUNNERS, HSR, ALFREDSON]
RUNNING_TEMPLATES = [ANKLE_RUNNERS, PROGRESSIVE_CALF, ANKLING]

COMPLETION_RATE = 0.85
# Athletes whose logs show pain: "spike" is 6–7/10 in the last seven days, "rising" climbs
# week on week (1 → 3 → 5), so the coach's pages show the pain gating hold or step back.
PAIN_PROFILES = {
    "rhys.owen@rugby.example": "spike",
    "marcus.bell@rugby.example": "rising",
    "priya.shah@running.example": "spike",
}


def _key(*parts) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "|".join(str(p) for p in parts))


def _build(organisation: Organisation, staff: User, names: list[str], library: dict) -> dict:
    built = {}
    for name in names:
        spec = TEMPLATES[name]
        template = template_create(
            organisation=organisation,
            created_by=staff,
            name=name,
            goal=spec["goal"],
            description=spec["description"],
            weeks=spec["weeks"],
            rotation_weeks=spec.get("rotation_weeks", 1),
        )
        for session_name, rotation_week, notes, items in spec["sessions"]:
            session = template_session_add(
                template=template,
                added_by=staff,
                name=session_name,
                rotation_week=rotation_week,
                notes=notes,
            )
            for slug, fields in items:
                prescription_add(session=session, added_by=staff, exercise=library[slug], **fields)
        built[name] = template
    return built


def _pain(profile: str | None, rng: random.Random, day: datetime.date, week: int, today) -> int:
    if profile == "spike":
        return rng.choice([6, 7]) if (today - day).days <= 7 else rng.choice([1, 2])
    if profile == "rising":
        return min(2 * week - 1, 5)
    return rng.choice([0, 0, 0, 1, 1, 2, 2, 3])


def _done(measurement: str, low: int, high: int, rng: random.Random, short: bool) -> int:
    """What an athlete does against a target of low–high: on target, or now and then short."""
    if measurement == "seconds":
        value = rng.choice(range(low, high + 1, 5)) if high > low else low
        return max(1, round(low * rng.uniform(0.75, 0.95))) if short else value
    value = rng.randint(low, high)
    return max(1, low - rng.randint(1, max(1, low // 5))) if short else value


def _log_session(
    session, *, by: User, exercises: dict, rng: random.Random, pain: int, pain_by_week: dict
) -> int:
    """Log every prescribed set of the session and complete it, the way the phone sends them:
    the session's sets in one batch, then the completion. Returns the sets logged."""
    athlete, program = session.athlete, session.assignment.template.name
    start = timezone.make_aware(datetime.datetime.combine(session.date, datetime.time(18, 0)))
    session_rpe = rng.randint(5, 8)
    sets = []
    for index, item in enumerate(session_prescriptions(session, pain_by_week=pain_by_week)):
        measurement, low = item["measurement"], item["target_min"]
        high = item["target_max"] or low
        load_type = item["load_type"]
        load = Decimal(item["load_value"]) if load_type in ("kg", "percent_bm") else None
        sides = ("left", "right") if item["per_side"] else ("both",)
        for number in range(1, item["sets"] + 1):
            for side in sides:
                short = number > 1 and rng.random() < 0.1
                sets.append(
                    {
                        "client_uuid": _key(
                            "set", athlete.email, program, session.sequence, index, number, side
                        ),
                        "exercise": exercises[item["exercise_id"]],
                        "session": session,
                        "performed_at": start + datetime.timedelta(minutes=2 * len(sets)),
                        "set_number": number,
                        "side": side,
                        measurement: _done(measurement, low, high, rng, short),
                        "load_type": load_type,
                        "load_value": load,
                        "rpe": max(5, min(8, session_rpe + rng.choice([-1, 0, 0, 1]))),
                        "pain": max(0, pain - rng.choice([0, 0, 0, 1])),
                    }
                )
    sets_log(athlete=athlete, logged_by=by, sets=sets)
    session_complete(
        session=session,
        completed_by=by,
        session_rpe=session_rpe,
        duration_minutes=rng.randint(25, 50),
        pain=pain,
        notes="Calf sore afterwards." if pain > 5 else "",
        client_uuid=_key("complete", athlete.email, program, session.sequence),
    )
    pain_by_week[session.week] = max(pain_by_week.get(session.week, 0), pain)
    return len(sets)


def _log_past_weeks(assignments, *, staff_of: dict[int, User], exercises: dict, today, rng) -> int:
    """Complete about 85 % of each assignment's past sessions, every set logged."""
    count = 0
    sessions = (
        ScheduledSession.objects.filter(assignment__in=[a.id for a in assignments], date__lt=today)
        .select_related("assignment__template", "athlete__user")
        .order_by("assignment_id", "sequence")
    )
    pain_by_assignment: dict[int, dict[int, int]] = {}
    for session in sessions:
        athlete = session.athlete
        profile = PAIN_PROFILES.get(athlete.email)
        pain = _pain(profile, rng, session.date, session.week, today)
        forced = profile is not None and (profile == "rising" or pain > 5)
        if not forced and rng.random() >= COMPLETION_RATE:
            continue  # missed: stays on the calendar, counts against compliance
        by = athlete.user or staff_of[athlete.organisation_id]
        pain_by_week = pain_by_assignment.setdefault(session.assignment_id, {})
        count += _log_session(
            session, by=by, exercises=exercises, rng=rng, pain=pain, pain_by_week=pain_by_week
        )
    return count


@transaction.atomic
def demo_programs_load() -> bool:
    """Templates, assignments and logged weeks for the demo clubs, once. Returns whether it
    created anything (False when the demo people are missing or the programs exist)."""
    rugby = Organisation.objects.filter(slug=RUGBY_SLUG).first()
    running = Organisation.objects.filter(slug=RUNNING_SLUG).first()
    if rugby is None or running is None:
        return False
    if ProgramTemplate.objects.filter(organisation=rugby, name=ANKLING).exists():
        return False
    rng = random.Random(2026)
    today = timezone.localdate()
    days = datetime.timedelta

    library = {e.slug: e for e in Exercise.objects.filter(organisation__isnull=True)}
    head = User.objects.get(email="coach@rugby.example")
    physio = User.objects.get(email="physio@rugby.example")
    running_coach = User.objects.get(email="coach@running.example")

    rugby_programs = _build(rugby, head, RUGBY_TEMPLATES, library)
    running_programs = _build(running, running_coach, RUNNING_TEMPLATES, library)

    forwards = rugby.teams.get(name="Forwards")
    backs = rugby.teams.get(name="Backs")
    road = running.teams.get(name="Road squad")
    team_options = {"sessions_per_week": 2, "weekdays": [0, 3], "min_gap_hours": 48}
    assignments = program_assign(
        template=rugby_programs[ROTATION],
        assigned_by=head,
        team=forwards,
        start_date=today - days(21),
        reason="Pre-season lower-leg conditioning",
        **team_options,
    )
    assignments += program_assign(
        template=rugby_programs[PROGRESSIVE_CALF],
        assigned_by=head,
        team=backs,
        start_date=today - days(21),
        reason="Pre-season calf strength and endurance",
        **team_options,
    )
    assignments += program_assign(
        template=running_programs[ANKLE_RUNNERS],
        assigned_by=running_coach,
        team=road,
        start_date=today - days(14),
        sessions_per_week=2,
        weekdays=[1, 5],
        min_gap_hours=48,
        reason="Ankle strength block for the road squad",
    )
    tom = Athlete.objects.get(organisation=rugby, user__email="athlete@rugby.example")
    assignments += program_assign(
        template=rugby_programs[ALFREDSON],
        assigned_by=physio,
        athletes=[tom],
        start_date=today - days(10),
        sessions_per_week=7,
        min_gap_hours=0,
        reason="Extra calf loading agreed with the physio",
    )

    staff_of = {rugby.id: head, running.id: running_coach}
    exercises = {e.id: e for e in library.values()}
    _log_past_weeks(assignments, staff_of=staff_of, exercises=exercises, today=today, rng=rng)
    return True
