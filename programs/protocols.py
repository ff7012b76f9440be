"""The programs Baseline ships, built from the seed articles and papers in DOMAIN.md.

The demo loads them through the services; a failed test puts an athlete on one of them
(`protocol_template`) unless the organisation has chosen another program for that test
(assessments.models.ProtocolRule).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from athletes.models import Organisation

from .models import Exercise, ProgramTemplate, TemplateSession
from .services.templates import PRESETS

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

# The default protocol of a failed test, by key (assessments.services.DEFAULT_PROTOCOLS).
PROTOCOLS = {"ankling": ANKLING, "calf": PROGRESSIVE_CALF}


@transaction.atomic
def protocol_template(organisation: Organisation, key: str) -> ProgramTemplate:
    """The organisation's template for a shipped protocol, built the first time it is needed
    (by the system, on behalf of no coach)."""
    name = PROTOCOLS[key]
    existing = ProgramTemplate.objects.filter(
        organisation=organisation, name=name, archived_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    spec = TEMPLATES[name]
    template = ProgramTemplate.objects.create(
        organisation=organisation,
        name=name,
        goal=spec["goal"],
        description=spec["description"],
        weeks=spec["weeks"],
        rotation_weeks=spec.get("rotation_weeks", 1),
    )
    for order, (session_name, rotation_week, notes, items) in enumerate(spec["sessions"], 1):
        session = TemplateSession.objects.create(
            template=template,
            name=session_name,
            order=order,
            rotation_week=rotation_week,
            notes=notes,
        )
        for position, (slug, values) in enumerate(items, start=1):
            exercise = Exercise.objects.get(organisation=None, slug=slug)
            session.prescriptions.create(exercise=exercise, order=position, **values)
    return template
