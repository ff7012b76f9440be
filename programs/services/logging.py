"""Logging sets and completing sessions, safe to replay.

Each logged set carries a UUID made on the phone. The database's unique constraint on
(athlete, client_uuid) decides: the first insert wins, a replay with the same content returns
the stored set, and the same UUID with different content is refused (IdempotencyConflict, 422).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from contextlib import nullcontext
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from athletes.models import Athlete, User
from athletes.selectors import athletes_writable_by
from webhooks import emit as webhooks

from ..models import Exercise, LoadType, LoggedSet, ScheduledSession, SessionStatus
from ..progression import tempo_seconds

SET_FIELDS = (
    "set_number",
    "side",
    "reps",
    "seconds",
    "contacts",
    "metres",
    "load_type",
    "load_value",
    "rpe",
    "pain",
    "notes",
)
MEASURES = ("reps", "seconds", "contacts", "metres")
UUID_CONSTRAINT = "logged_set_client_uuid_once_per_athlete"


class IdempotencyConflict(Exception):
    """The same client UUID was sent before with different content."""

    def __init__(self, original):
        self.original = original
        super().__init__("This client_uuid was already used with different values.")


def may_log_for(user: User, athlete: Athlete) -> bool:
    """The athlete themself, or staff who may change the athlete."""
    if athlete.user_id and athlete.user_id == user.id:
        return True
    return (
        athletes_writable_by(user, organisation=athlete.organisation_id)
        .filter(pk=athlete.pk)
        .exists()
    )


def _normal(value):
    """Numbers as canonical text, so 7, 7.0 and Decimal("7.0") compare equal."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return format(Decimal(str(value)).normalize(), "f")


def fingerprint(content: dict) -> str:
    canonical = json.dumps({k: _normal(v) for k, v in sorted(content.items())}, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_refusals(load_type: str, load_value) -> dict:
    if load_type not in LoadType.values:
        return {"load_type": f"Load is given in {', '.join(LoadType.values)}, not {load_type!r}."}
    if load_type in (LoadType.NONE, LoadType.BODYWEIGHT):
        return {"load_value": "No load value goes with this load type."} if load_value else {}
    if load_value is None:
        return {"load_value": "Give the load for this load type."}
    limit = 200 if load_type == LoadType.PERCENT_BODY_MASS else 500
    if not 0 <= Decimal(str(load_value)) <= limit:
        unit = "% body mass" if load_type == LoadType.PERCENT_BODY_MASS else "kg"
        return {"load_value": f"The load must be between 0 and {limit} {unit}."}
    return {}


def rep_seconds_of(plan: list | None, exercise_id: int) -> int | None:
    """Seconds per rep of the exercise from the session's plan (its tempo), if it has one."""
    item = next((i for i in plan or () if i.get("exercise_id") == exercise_id), None)
    return tempo_seconds(item["tempo"]) if item and item.get("tempo") else None


def set_fingerprint(exercise_id: int, session_id: int | None, values: dict) -> str:
    """What a replay must match: the exercise, the session and the set's values."""
    content = {
        "exercise": exercise_id,
        "session": session_id,
        **{field: values.get(field) for field in SET_FIELDS},
    }
    content["load_type"] = content["load_type"] or LoadType.NONE
    return fingerprint(content)


def too_late(performed_at: datetime.datetime | None, now: datetime.datetime) -> bool:
    """A set cannot be logged for more than a day ahead (a phone's clock may be off)."""
    return performed_at is not None and performed_at > now + datetime.timedelta(days=1)


def has_a_measure(values: dict) -> bool:
    return any(values.get(field) is not None for field in MEASURES)


def set_log(
    *,
    athlete: Athlete,
    logged_by: User,
    client_uuid: uuid.UUID | str,
    exercise: Exercise,
    session: ScheduledSession | None = None,
    performed_at: datetime.datetime | None = None,
    **values,
) -> tuple[LoggedSet, bool]:
    """Store one set. Returns (the set, whether it was new)."""
    unknown = set(values) - set(SET_FIELDS)
    if unknown:
        raise TypeError(f"unknown set fields: {sorted(unknown)}")
    if not may_log_for(logged_by, athlete):
        raise PermissionDenied("You may not log sets for this athlete.")
    errors = {}
    try:
        client_uuid = uuid.UUID(str(client_uuid))
    except ValueError:
        errors["client_uuid"] = "Send a UUID made on the device, e.g. from crypto.randomUUID()."
    if too_late(performed_at, timezone.now()):
        errors["performed_at"] = "A set cannot be logged in the future."
    if session is not None and session.athlete_id != athlete.id:
        errors["session"] = "That session is not one of this athlete's."
    if exercise.organisation_id not in (None, athlete.organisation_id):
        errors["exercise"] = "Choose an exercise from the club's library."
    errors.update(load_refusals(values.get("load_type", LoadType.NONE), values.get("load_value")))
    if errors:
        raise ValidationError(errors)

    logged = LoggedSet(
        athlete=athlete,
        client_uuid=client_uuid,
        session=session,
        exercise=exercise,
        performed_at=performed_at or timezone.now(),
        logged_by=logged_by,
        fingerprint=set_fingerprint(exercise.id, session.id if session else None, values),
        rep_seconds=rep_seconds_of(session.plan, exercise.id) if session else None,
        **{k: v for k, v in values.items() if v is not None},
    )
    if not has_a_measure(values):
        raise ValidationError(
            {exercise.measurement: "Give the reps, seconds, foot contacts or metres done."}
        )
    # Field validators name the field; the database enforces the constraints again on insert.
    # (Checking each constraint here would cost a savepoint and a query apiece.)
    logged.full_clean(
        exclude=["client_uuid", "logged_by", "athlete", "exercise", "session"],
        validate_unique=False,
        validate_constraints=False,
    )
    # Inside a transaction a savepoint keeps a lost race (the unique constraint) from aborting
    # it; outside one (a single set from the API) the INSERT is atomic by itself, and a BEGIN
    # and COMMIT would only add two round trips.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            logged.save(force_insert=True)
    except IntegrityError as error:
        if UUID_CONSTRAINT not in str(error):
            raise
        original = LoggedSet.objects.get(athlete=athlete, client_uuid=client_uuid)
        if original.fingerprint != logged.fingerprint:
            raise IdempotencyConflict(original) from None
        return original, False
    return logged, True


@transaction.atomic
def sets_log(
    *, athlete: Athlete, logged_by: User, sets: list[dict]
) -> list[tuple[LoggedSet, bool]]:
    """Several sets at once: all are stored, or (on any error) none."""
    return [set_log(athlete=athlete, logged_by=logged_by, **entry) for entry in sets]


@transaction.atomic
def session_complete(
    *,
    session: ScheduledSession,
    completed_by: User,
    session_rpe=None,
    duration_minutes: int | None = None,
    pain: int | None = None,
    notes: str = "",
    client_uuid: uuid.UUID | str | None = None,
) -> tuple[ScheduledSession, bool]:
    """Mark the session done with its RPE, minutes and pain. A replay returns it unchanged."""
    session = ScheduledSession.objects.select_for_update().get(pk=session.pk)
    if not may_log_for(completed_by, session.athlete):
        raise PermissionDenied("You may not complete sessions for this athlete.")
    if session.status == SessionStatus.COMPLETED:
        same = client_uuid is not None and str(session.completion_uuid) == str(client_uuid)
        unchanged = (
            _normal(session.session_rpe) == _normal(session_rpe)
            and session.duration_minutes == duration_minutes
            and session.pain == pain
        )
        if same or unchanged:
            return session, False
        raise IdempotencyConflict(session)
    if session.status in (SessionStatus.CANCELLED, SessionStatus.ON_HOLD):
        raise ValidationError({"status": f"The session is {session.get_status_display()}."})
    session.status = SessionStatus.COMPLETED
    session.completed_at = timezone.now()
    session.completed_by = completed_by
    session.completion_uuid = client_uuid
    session.session_rpe = session_rpe
    session.duration_minutes = duration_minutes
    session.pain = pain
    session.notes = notes
    session.full_clean(
        exclude=["assignment", "athlete", "completed_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    session.save()
    webhooks.session_completed(session)
    return session, True


def set_delete(*, logged_set: LoggedSet, deleted_by: User) -> None:
    """Remove a set logged by mistake: the athlete themself or their staff."""
    if not may_log_for(deleted_by, logged_set.athlete):
        raise PermissionDenied("Only the athlete and their staff may delete their sets.")
    logged_set.delete()
