"""Writes for assessments: recording results, the flag → protocol → retest loop, flag changes.

The loop (`result_evaluate`) runs in a Celery worker after a result commits. It is safe to run
twice or concurrently: it locks the athlete's row, and the database allows one open baseline
flag per athlete and test, so one failure gives one flag and one protocol assignment.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from athletes.models import Athlete, Team, User
from athletes.selectors import athletes_writable_by, is_staff_in
from config.celery import enqueue_on_commit
from webhooks import emit as webhooks

from .evaluation import Evaluation, Person, TestSpec, change_note, combine, evaluate, lsi
from .models import (
    CLOSED,
    Flag,
    FlagEvent,
    FlagKind,
    FlagStatus,
    ProtocolRule,
    Result,
    Test,
    TestDay,
)
from .selectors import rules_for

# Without an organisation rule, failing these tests assigns these shipped protocols.
DEFAULT_PROTOCOLS = {"ankling": "ankling", "heel-rise": "calf"}
DEFAULT_RETEST_DAYS = 42


class ResultConflict(Exception):
    """The same client UUID was sent before with a different result."""

    def __init__(self, original: Result):
        self.original = original
        self.row: str | None = None
        super().__init__("This client_uuid was already used with a different result.")


def spec_of(test: Test) -> TestSpec:
    return TestSpec(
        unit=test.unit,
        per_side=test.per_side,
        higher_is_better=test.higher_is_better,
        decimals=test.decimals,
        measurement_error=test.measurement_error,
    )


def _clean_trials(test: Test, trials: dict) -> dict[str, list[Decimal]]:
    """Check the trials per side against the test; errors name the side ("left", "both")."""
    if not isinstance(trials, dict):
        raise ValidationError(
            {"trials": 'Send trials per side, e.g. {"left": [22], "right": [25]}.'}
        )
    errors, clean = {}, {}
    unknown = set(trials) - set(test.sides)
    if unknown:
        errors["trials"] = f"{test.name} takes {' and '.join(test.sides)}, not {sorted(unknown)}."
    for side in test.sides:
        raw = trials.get(side)
        if raw in (None, "", []):
            errors[side] = f"Enter the {side} result." if side != "both" else "Enter the result."
            continue
        values = raw if isinstance(raw, list) else [raw]
        values = [v for v in values if v not in (None, "")]
        if len(values) > test.trials:
            errors[side] = f"At most {test.trials} trial{'s' if test.trials > 1 else ''}."
            continue
        numbers = []
        for value in values:
            try:
                number = Decimal(str(value).replace(",", "."))
            except InvalidOperation:
                errors[side] = f"{value!r} is not a number."
                break
            if not number.is_finite() or not test.plausible_min <= number <= test.plausible_max:
                errors[side] = (
                    f"{value} {test.unit} is outside the plausible range "
                    f"{test.plausible_min.normalize():f}–{test.plausible_max.normalize():f} "
                    f"{test.unit}."
                )
                break
            numbers.append(number)
        clean[side] = numbers
    if errors:
        raise ValidationError(errors)
    return clean


def _fingerprint(test: Test, date: datetime.date, trials: dict[str, list[Decimal]]) -> str:
    content = {
        "test": test.id,
        "date": date.isoformat(),
        "trials": {
            side: [format(v.normalize(), "f") for v in values] for side, values in trials.items()
        },
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def may_record_for(user: User, athlete: Athlete) -> bool:
    return (
        athletes_writable_by(user, organisation=athlete.organisation_id)
        .filter(pk=athlete.pk)
        .exists()
    )


def result_record(
    *,
    athlete: Athlete,
    test: Test,
    trials: dict,
    recorded_by: User,
    date: datetime.date | None = None,
    test_day: TestDay | None = None,
    notes: str = "",
    client_uuid: uuid.UUID | str | None = None,
) -> tuple[Result, bool]:
    """Store a result and have a worker evaluate it once committed. Returns (result, created)."""
    if not may_record_for(recorded_by, athlete):
        raise PermissionDenied("You may not record results for this athlete.")
    if test.organisation_id not in (None, athlete.organisation_id):
        raise ValidationError({"test": "Choose a test from the catalogue or your club's tests."})
    if test_day is not None and (
        test_day.organisation_id != athlete.organisation_id or test_day.test_id != test.id
    ):
        raise ValidationError({"test_day": "That test day is for another test or club."})
    date = date or (test_day.date if test_day else timezone.localdate())
    if date > timezone.localdate() + datetime.timedelta(days=1):
        raise ValidationError({"date": "A result cannot be dated in the future."})
    clean = _clean_trials(test, trials)
    values = {side: combine(v, test.combine, test.higher_is_better) for side, v in clean.items()}
    if client_uuid is not None:
        try:
            client_uuid = uuid.UUID(str(client_uuid))
        except ValueError:
            raise ValidationError({"client_uuid": "Send a UUID made on the device."}) from None
    result = Result(
        athlete=athlete,
        test=test,
        test_day=test_day,
        client_uuid=client_uuid,
        date=date,
        trials={side: [float(v) for v in numbers] for side, numbers in clean.items()},
        left=values.get("left"),
        right=values.get("right"),
        both=values.get("both"),
        lsi=lsi(values.get("left"), values.get("right"), test.higher_is_better),
        notes=notes,
        recorded_by=recorded_by,
        fingerprint=_fingerprint(test, date, clean),
    )
    try:
        with transaction.atomic():
            result.save(force_insert=True)
            from .tasks import evaluate_result

            enqueue_on_commit(evaluate_result, result.id)
            webhooks.result_recorded(result)
    except IntegrityError as error:
        if "result_client_uuid_once_per_athlete" not in str(error):
            raise
        original = Result.objects.get(athlete=athlete, client_uuid=client_uuid)
        if original.fingerprint != result.fingerprint:
            raise ResultConflict(original) from None
        return original, False
    return result, True


class BatchRowsInvalid(ValidationError):
    """Some rows of a batch are invalid; `rows` maps the row index to its field errors."""

    def __init__(self, rows: dict[str, dict[str, list[str]]]):
        self.rows = rows
        super().__init__(
            {
                "rows": [
                    f"Row {index}: "
                    + "; ".join(m for messages in fields.values() for m in messages)
                    for index, fields in rows.items()
                ]
            }
        )


@transaction.atomic
def results_record_batch(
    *, test_day: TestDay, recorded_by: User, rows: list[dict]
) -> list[tuple[Result, bool]]:
    """A test day's rows ({"athlete", "trials", "notes", "client_uuid"}): all stored or none.
    Invalid rows raise BatchRowsInvalid; a reused client_uuid raises ResultConflict with `row`."""
    stored, errors = [], {}
    for index, row in enumerate(rows):
        try:
            with transaction.atomic():
                stored.append(
                    result_record(
                        athlete=row["athlete"],
                        test=test_day.test,
                        trials=row.get("trials") or {},
                        recorded_by=recorded_by,
                        test_day=test_day,
                        notes=row.get("notes", ""),
                        client_uuid=row.get("client_uuid"),
                    )
                )
        except ValidationError as error:
            errors[str(index)] = error.message_dict
        except ResultConflict as conflict:
            conflict.row = str(index)
            raise
    if errors:
        raise BatchRowsInvalid(errors)
    return stored


def test_day_create(
    *, test: Test, created_by: User, date: datetime.date, team: Team | None = None, notes=""
) -> TestDay:
    organisation_id = team.organisation_id if team else None
    if organisation_id is None:
        raise ValidationError({"team": "Choose the team being tested."})
    if not is_staff_in(created_by, organisation_id):
        raise PermissionDenied("Only the club's staff run test days.")
    if test.organisation_id not in (None, organisation_id):
        raise ValidationError({"test": "Choose a test from the catalogue or your club's tests."})
    return TestDay.objects.create(
        organisation_id=organisation_id,
        team=team,
        test=test,
        date=date,
        notes=notes,
        created_by=created_by,
    )


# --- The loop ----------------------------------------------------------------------------------


def _event(flag: Flag, to_status: str, *, by: User | None, note: str, from_status=None) -> None:
    FlagEvent.objects.create(
        flag=flag,
        from_status=flag.status if from_status is None else from_status,
        to_status=to_status,
        by=by,
        note=note[:300],
    )


def _values(result: Result) -> dict[str, Decimal | None]:
    return {"left": result.left, "right": result.right, "both": result.both}


def _person(athlete: Athlete, day: datetime.date) -> Person:
    return Person(sex=athlete.sex, age=athlete.age_on(day))


def _newer(result: Result, than: Result | None) -> bool:
    return than is None or (result.date, result.id) > (than.date, than.id)


def _protocol_for(athlete: Athlete, test: Test):
    """(template, sessions per week, weekdays, retest days) or None."""
    rule = (
        ProtocolRule.objects.filter(organisation_id=athlete.organisation_id, test=test, active=True)
        .select_related("template")
        .first()
    )
    if rule is not None:
        return rule.template, rule.sessions_per_week, rule.weekdays, rule.retest_after_days
    if ProtocolRule.objects.filter(organisation_id=athlete.organisation_id, test=test).exists():
        return None  # the organisation switched the default off
    key = DEFAULT_PROTOCOLS.get(test.slug) if test.organisation_id is None else None
    if key is None:
        return None
    from programs.protocols import protocol_template

    return protocol_template(athlete.organisation, key), 2, [], DEFAULT_RETEST_DAYS


def _put_on_protocol(flag: Flag, athlete: Athlete, test: Test, today: datetime.date) -> None:
    from programs.services import program_assign

    protocol = _protocol_for(athlete, test)
    if protocol is None:
        _event(flag, FlagStatus.OPEN, by=None, note="No protocol is set for this test.")
        return
    template, per_week, weekdays, retest_days = protocol
    [assignment] = program_assign(
        template=template,
        assigned_by=None,
        check_access=False,
        athletes=[athlete],
        start_date=today + datetime.timedelta(days=1),
        sessions_per_week=per_week,
        weekdays=weekdays,
        reason=f"Failed {test.name}: {'; '.join(flag.reasons)}"[:200],
    )
    flag.protocol = assignment
    flag.retest_due = today + datetime.timedelta(days=retest_days)
    _event(
        flag,
        FlagStatus.ON_PROTOCOL,
        by=None,
        note=f"{template.name} from {assignment.start_date:%d %b}; retest {flag.retest_due:%d %b}.",
    )
    flag.status = FlagStatus.ON_PROTOCOL
    flag.save(update_fields=["protocol", "retest_due", "status", "updated_at"])


def athlete_results_reevaluate(*, athlete: Athlete) -> int:
    """After the athlete's teams, date of birth or sex changed: the latest result of each test
    is evaluated again by a worker once this commits, against the rules and norms that now
    apply (a team's stricter override, another age band). Returns how many were sent. If the
    messages are lost, the nightly sweep finds the same results by `Athlete.rules_changed_at`."""
    from .tasks import evaluate_result

    latest = (
        Result.objects.filter(athlete=athlete)
        .order_by("test_id", "-date", "-id")
        .distinct("test_id")
        .values_list("id", flat=True)
    )
    ids = list(latest)
    for result_id in ids:
        enqueue_on_commit(evaluate_result, result_id)
    return len(ids)


@transaction.atomic
def result_evaluate(*, result_id: int, today: datetime.date | None = None) -> Evaluation | None:
    """Evaluate a committed result against its baselines and move its flag along."""
    today = today or timezone.localdate()
    result = Result.objects.filter(pk=result_id).select_related("test").first()
    if result is None:
        return None  # deleted before the worker got to it
    athlete = Athlete.objects.select_for_update().get(pk=result.athlete_id)
    result = Result.objects.select_for_update().select_related("test").get(pk=result_id)
    test = result.test
    evaluation = evaluate(
        test=spec_of(test),
        rules=rules_for(test, athlete),
        values=_values(result),
        person=_person(athlete, result.date),
    )
    result.passed = evaluation.passed
    result.reasons = evaluation.reasons or evaluation.notes
    result.evaluated_at = timezone.now()
    result.save(update_fields=["passed", "reasons", "evaluated_at"])

    latest = Result.objects.filter(athlete=athlete, test=test).order_by("-date", "-id").first()
    if latest.id != result.id or evaluation.passed is None:
        return evaluation  # an older result, or nothing to compare with: no flag changes
    flag = (
        Flag.objects.select_for_update(of=("self",))
        .filter(athlete=athlete, test=test, kind=FlagKind.BASELINE)
        .exclude(status__in=CLOSED)
        .select_related("result")
        .first()
    )
    if evaluation.passed is False:
        if flag is None:
            flag = Flag.objects.create(
                athlete=athlete,
                kind=FlagKind.BASELINE,
                test=test,
                result=result,
                reasons=evaluation.reasons,
            )
            _event(flag, FlagStatus.OPEN, by=None, from_status="", note="; ".join(flag.reasons))
            _put_on_protocol(flag, athlete, test, today)
            _announce(flag, "flag.raised")
        elif flag.result_id != result.id and _newer(result, flag.result):
            note = "Retest failed: " + "; ".join(evaluation.reasons)
            change = change_note(
                test=spec_of(test), before=_values(flag.result), after=_values(result)
            )
            protocol = _protocol_for(athlete, test)
            retest_days = protocol[3] if protocol else DEFAULT_RETEST_DAYS
            _event(flag, FlagStatus.ON_PROTOCOL, by=None, note=f"{note}. {change}".strip())
            flag.status = FlagStatus.ON_PROTOCOL if flag.protocol_id else FlagStatus.OPEN
            flag.retest_due = today + datetime.timedelta(days=retest_days)
            flag.save(update_fields=["status", "retest_due", "updated_at"])
    elif flag is not None and _newer(result, flag.result):
        change = change_note(test=spec_of(test), before=_values(flag.result), after=_values(result))
        _flag_close(
            flag,
            FlagStatus.RESOLVED,
            by=None,
            note=f"Passed the retest. {change}".strip(),
            resolved_by=result,
        )
    return evaluation


def _flag_close(
    flag: Flag, status: str, *, by: User | None, note: str, resolved_by: Result | None = None
) -> Flag:
    from programs.services import assignment_end

    _event(flag, status, by=by, note=note)
    flag.status = status
    flag.resolution = note[:300]
    flag.resolved_by = resolved_by
    flag.save(update_fields=["status", "resolution", "resolved_by", "updated_at"])
    if flag.protocol_id and flag.protocol.status != "ended":
        assignment_end(assignment=flag.protocol, ended_by=by)
    _announce(flag, "flag.resolved" if status == FlagStatus.RESOLVED else "flag.dismissed")
    return flag


def _announce(flag: Flag, event: str) -> None:
    from .tasks import notify_flag

    enqueue_on_commit(notify_flag, flag.id, event)
    webhooks.flag_changed(flag, event)


def _require_flag_staff(flag: Flag, user: User) -> None:
    if not may_record_for(user, flag.athlete):
        raise PermissionDenied("Only the athlete's coaches and physios change flags.")


@transaction.atomic
def flag_dismiss(*, flag: Flag, dismissed_by: User, reason: str) -> Flag:
    """Close a flag without a passing retest; the reason is required and kept."""
    flag = (
        Flag.objects.select_for_update(of=("self",))
        .select_related("athlete", "protocol")
        .get(pk=flag.pk)
    )
    _require_flag_staff(flag, dismissed_by)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the flag is dismissed."})
    if flag.is_closed:
        raise ValidationError(
            {"status": f"The flag is already {flag.get_status_display().lower()}."}
        )
    return _flag_close(flag, FlagStatus.DISMISSED, by=dismissed_by, note=reason.strip())


@transaction.atomic
def flag_resolve(*, flag: Flag, resolved_by: User, note: str = "") -> Flag:
    """Resolve a flag by hand (e.g. a pain flag once the athlete is fine)."""
    flag = (
        Flag.objects.select_for_update(of=("self",))
        .select_related("athlete", "protocol")
        .get(pk=flag.pk)
    )
    _require_flag_staff(flag, resolved_by)
    if flag.is_closed:
        raise ValidationError(
            {"status": f"The flag is already {flag.get_status_display().lower()}."}
        )
    return _flag_close(
        flag, FlagStatus.RESOLVED, by=resolved_by, note=note.strip() or "Resolved by hand."
    )


@transaction.atomic
def flags_mark_retest_due(*, today: datetime.date | None = None, athlete_ids=None) -> int:
    """On protocol → retest due once the retest date has come (set-based)."""
    today = today or timezone.localdate()
    due = Flag.objects.select_for_update(skip_locked=True).filter(
        status=FlagStatus.ON_PROTOCOL, retest_due__lte=today
    )
    if athlete_ids is not None:
        due = due.filter(athlete_id__in=athlete_ids)
    ids = list(due.values_list("id", flat=True))
    if not ids:
        return 0
    Flag.objects.filter(id__in=ids).update(status=FlagStatus.RETEST_DUE, updated_at=timezone.now())
    FlagEvent.objects.bulk_create(
        FlagEvent(
            flag_id=i,
            from_status=FlagStatus.ON_PROTOCOL,
            to_status=FlagStatus.RETEST_DUE,
            note="The retest date has come.",
        )
        for i in ids
    )
    return len(ids)
