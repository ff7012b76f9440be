"""Writing check-ins, safe to replay.

`checkin_record` stores the athlete's check-in of a day. The first submission of the day creates
it; another one for the same day (a new UUID) edits it, as the athlete expects when they change
this morning's answers. Every submission's UUID is kept with a hash of what it sent, so:

- the same UUID with the same values again (a replay) changes nothing and returns the check-in;
- the same UUID with other values is refused (`IdempotencyConflict`, shown as a 422).

The athlete's day is locked while it is written, so two phones racing on the same morning
leave one check-in with the last values and every submission accounted for.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from athletes.models import Athlete, User
from programs.services.logging import IdempotencyConflict, fingerprint
from programs.services.logging import may_log_for as may_check_in_for

from .models import VALUE_FIELDS, CheckIn, CheckInSubmission

# A replay is told apart from a conflict, and who may write for an athlete decided, exactly as
# for logged sets (programs.services.logging).
__all__ = ["IdempotencyConflict", "checkin_record", "may_check_in_for"]

MAX_DAYS_BACK = 14  # an offline phone may send a check-in days later, not months


def _validated(
    *, athlete: Athlete, client_uuid, date: datetime.date | None, values: dict
) -> tuple[uuid.UUID, datetime.date, dict]:
    """The UUID, the date and the values, or a ValidationError naming every bad field."""
    unknown = set(values) - set(VALUE_FIELDS)
    if unknown:
        raise TypeError(f"unknown check-in fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    try:
        client_uuid = uuid.UUID(str(client_uuid))
    except ValueError:
        errors["client_uuid"] = "Send a UUID made on the device, e.g. from crypto.randomUUID()."
    today = timezone.localdate()
    date = date or today
    if date > today + datetime.timedelta(days=1):
        errors["date"] = "A check-in cannot be about a day still to come."
    elif date < today - datetime.timedelta(days=MAX_DAYS_BACK):
        errors["date"] = f"A check-in can be sent up to {MAX_DAYS_BACK} days later."
    clean = {field: values.get(field) for field in VALUE_FIELDS}
    clean["note"] = (clean["note"] or "").strip()
    if clean["sleep_hours"] is not None:
        try:
            clean["sleep_hours"] = Decimal(str(clean["sleep_hours"]))
        except InvalidOperation:
            errors["sleep_hours"] = "Give the hours slept as a number, e.g. 7.5."
    candidate = CheckIn(athlete=athlete, date=date, **clean)
    try:
        candidate.full_clean(
            exclude=["athlete", "client_uuid", "date", "created_by", "updated_by", *errors],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        errors.update({field: " ".join(msgs) for field, msgs in exc.message_dict.items()})
    if clean["readiness"] is None and "readiness" not in errors:
        errors["readiness"] = "Choose how ready you feel, 1 to 5."
    if errors:
        raise ValidationError(errors)
    return client_uuid, date, clean


@transaction.atomic
def checkin_record(
    *,
    athlete: Athlete,
    recorded_by: User,
    client_uuid: uuid.UUID | str,
    date: datetime.date | None = None,
    **values,
) -> tuple[CheckIn, bool]:
    """Store the athlete's check-in of `date` (default today). Returns (the check-in, whether
    this submission created it). A replay returns the check-in as it stands, unchanged."""
    if not may_check_in_for(recorded_by, athlete):
        raise PermissionDenied("You may not check in for this athlete.")
    client_uuid, date, clean = _validated(
        athlete=athlete, client_uuid=client_uuid, date=date, values=values
    )
    sent = fingerprint({"date": date.isoformat(), **clean})
    # Lock the athlete: one writer per athlete at a time, so the day's row and its
    # submissions are decided without races.
    Athlete.objects.select_for_update().filter(pk=athlete.pk).first()
    earlier = (
        CheckInSubmission.objects.select_related("checkin")
        .filter(athlete=athlete, client_uuid=client_uuid)
        .first()
    )
    if earlier is not None:
        if earlier.fingerprint != sent:
            raise IdempotencyConflict(earlier.checkin)
        return earlier.checkin, False
    checkin = CheckIn.objects.filter(athlete=athlete, date=date).first()
    created = checkin is None
    if created:
        checkin = CheckIn(
            athlete=athlete,
            date=date,
            client_uuid=client_uuid,
            created_by=recorded_by,
            updated_by=recorded_by,
            **clean,
        )
    else:
        for field, value in clean.items():
            setattr(checkin, field, value)
        checkin.updated_by = recorded_by
    try:
        with transaction.atomic():
            checkin.save()
            CheckInSubmission.objects.create(
                athlete=athlete,
                checkin=checkin,
                client_uuid=client_uuid,
                fingerprint=sent,
                submitted_by=recorded_by,
            )
    except IntegrityError as error:
        # The athlete's row lock makes this unreachable but for a UUID that created another
        # day's check-in before submissions were kept; name the field rather than fail.
        raise ValidationError(
            {"client_uuid": "This UUID was already used for another check-in."}
        ) from error
    return checkin, created
