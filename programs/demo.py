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
from .protocols import (
    ALFREDSON,
    ANKLE_RUNNERS,
    ANKLING,
    HSR,
    PROGRESSIVE_CALF,
    ROTATION,
    TEMPLATES,
)
from .selectors import session_prescriptions
from .services import (
    prescription_add,
    program_assign,
    session_complete,
    sets_log,
    template_create,
    template_session_add,
)

NAMESPACE = uuid.UUID("6f1c2a52-0f0e-4d6c-9a59-2f1f3c1b7a10")

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
