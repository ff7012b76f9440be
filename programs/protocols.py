"""The strengthening protocols Baseline ships, built into an organisation's templates on demand.

A failed test puts an athlete on one of these unless the organisation has chosen another
program for that test (assessments.models.ProtocolRule).
"""

from __future__ import annotations

from django.db import transaction

from athletes.models import Organisation

from .models import Exercise, ProgramTemplate, TemplateSession

PROTOCOLS = {
    "ankling": {
        "name": "Ankling strength protocol",
        "goal": "Calf strength-endurance after a failed ankling test",
        "description": (
            "3 sets × 2 minutes of the ankling drill, added to the running strength routine "
            "(a professional rugby club's protocol for players below 300 reps; seed 000)."
        ),
        "weeks": 6,
        "sessions": [
            (
                "Ankling",
                [
                    (
                        "ankling-drill",
                        {
                            "sets": 3,
                            "target_min": 120,
                            "rest_seconds": 90,
                            "notes": "Added to the running strength routine; heels never touch.",
                        },
                    )
                ],
            )
        ],
    },
    "calf": {
        "name": "Progressive calf strength & endurance",
        "goal": "Calf strength and endurance after a failed heel-rise test",
        "description": (
            "Single-leg raises 2×10–12 → 3×12–15 → tempo, small load increases every two weeks, "
            "continuous raises for endurance; back off with tendon pain (seed 001)."
        ),
        "weeks": 8,
        "sessions": [
            (
                "Calf strength & endurance",
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
                            "per_side": True,
                            "load_type": "kg",
                            "load_value": 10,
                            "rest_seconds": 60,
                            "progression": "add_load",
                            "progression_every_weeks": 2,
                            "progression_load_step": 2.5,
                        },
                    ),
                    ("continuous-calf-raise", {"sets": 1, "target_min": 60, "target_max": 90}),
                    ("wall-gastrocnemius-stretch", {"sets": 2, "target_min": 30, "per_side": True}),
                    ("soleus-stretch", {"sets": 2, "target_min": 30, "per_side": True}),
                ],
            )
        ],
    },
}


@transaction.atomic
def protocol_template(organisation: Organisation, key: str) -> ProgramTemplate:
    """The organisation's template for a shipped protocol, created the first time it is needed."""
    spec = PROTOCOLS[key]
    existing = ProgramTemplate.objects.filter(
        organisation=organisation, name=spec["name"], archived_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    template = ProgramTemplate.objects.create(
        organisation=organisation,
        name=spec["name"],
        goal=spec["goal"],
        description=spec["description"],
        weeks=spec["weeks"],
    )
    for order, (session_name, items) in enumerate(spec["sessions"], start=1):
        session = TemplateSession.objects.create(template=template, name=session_name, order=order)
        for position, (slug, values) in enumerate(items, start=1):
            exercise = Exercise.objects.get(organisation=None, slug=slug)
            session.prescriptions.create(exercise=exercise, order=position, **values)
    return template
