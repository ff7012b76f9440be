"""The closed loop: a failing result flags the athlete, assigns the protocol and schedules the
retest; a passing retest resolves the flag and ends the protocol. Exactly once."""

import datetime
import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from assessments import services
from assessments.models import Baseline, Flag, FlagStatus, ProtocolRule, Result
from config.celery import app
from programs.models import Assignment, AssignmentStatus
from tests.factories import program

TODAY = datetime.date(2026, 11, 2)


def record(athlete, test, trials, by, **extra):
    result, _ = services.result_record(
        athlete=athlete, test=test, trials=trials, recorded_by=by, **extra
    )
    return result


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_failing_ankling_test_flags_athlete_and_assigns_protocol_after_commit(
    head_coach, forward, ankling
):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            result = record(forward, ankling, {"both": [240]}, head_coach)
            assert not Flag.objects.exists()  # nothing happens before the commit

        assert wait_for(lambda: Flag.objects.filter(status=FlagStatus.ON_PROTOCOL).exists())

    flag = Flag.objects.get()
    today = timezone.localdate()
    assert (flag.athlete, flag.test, flag.result) == (forward, ankling, result)
    assert flag.reasons == ["240 reps < 300"]
    assert flag.protocol.template.name == "Ankling strength protocol"
    assert flag.protocol.start_date == today + datetime.timedelta(days=1)
    assert flag.retest_due == today + datetime.timedelta(days=42)
    assert [(e.from_status, e.to_status, e.by) for e in flag.events.all()] == [
        ("", "open", None),
        ("open", "on_protocol", None),
    ]
    result.refresh_from_db()
    assert result.passed is False


@pytest.mark.django_db(transaction=True)
def test_rolled_back_result_enqueues_nothing(head_coach, forward, ankling):
    from assessments.tasks import evaluate_result

    with (
        mock.patch.object(evaluate_result, "apply_async") as send,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record(forward, ankling, {"both": [100]}, head_coach)
        raise RuntimeError("the request failed")

    send.assert_not_called()
    assert not Result.objects.exists()


def test_evaluating_the_same_result_twice_gives_one_flag(head_coach, forward, ankling):
    result = record(forward, ankling, {"both": [240]}, head_coach)

    services.result_evaluate(result_id=result.id, today=TODAY)
    services.result_evaluate(result_id=result.id, today=TODAY)

    assert Flag.objects.count() == 1
    assert Assignment.objects.filter(athlete=forward).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_evaluation_gives_one_flag_and_one_protocol(head_coach, forward, ankling):
    result = record(forward, ankling, {"both": [240]}, head_coach)
    barrier = threading.Barrier(3)
    errors = []

    def evaluate():
        try:
            barrier.wait()
            services.result_evaluate(result_id=result.id, today=TODAY)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Flag.objects.count() == 1
    assert Assignment.objects.filter(athlete=forward).count() == 1


def test_worker_killed_mid_task_leaves_nothing_and_a_rerun_completes(head_coach, forward, ankling):
    result = record(forward, ankling, {"both": [240]}, head_coach)

    with (
        mock.patch("programs.services.program_assign", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        services.result_evaluate(result_id=result.id, today=TODAY)
    assert not Flag.objects.exists()

    services.result_evaluate(result_id=result.id, today=TODAY)
    assert Flag.objects.get().status == FlagStatus.ON_PROTOCOL
    assert Assignment.objects.filter(athlete=forward).count() == 1


def test_celery_rejects_and_requeues_a_task_whose_worker_died():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


def test_passing_retest_resolves_the_flag_and_ends_the_protocol(head_coach, forward, heel_rise):
    first = record(
        forward,
        heel_rise,
        {"left": [20], "right": [30]},
        head_coach,
        date=TODAY - datetime.timedelta(days=42),
    )
    services.result_evaluate(result_id=first.id, today=TODAY - datetime.timedelta(days=42))
    flag = Flag.objects.get()
    assert flag.reasons == ["left 20 reps < 25", "LSI 67 % < 90 %"]
    assert flag.protocol.template.name == "Progressive calf strength & endurance"

    retest = record(forward, heel_rise, {"left": [29], "right": [31]}, head_coach, date=TODAY)
    services.result_evaluate(result_id=retest.id, today=TODAY)

    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolved_by == retest
    assert flag.resolution == (
        "Passed the retest. Change since the flagged result: left +9 reps, right +1 reps "
        "(within the measurement error of ±6: no real change)."
    )
    assert flag.protocol.status == AssignmentStatus.ENDED
    assert flag.events.last().to_status == "resolved"


def test_failing_retest_keeps_the_athlete_on_protocol_with_a_new_retest_date(
    head_coach, forward, ankling
):
    first = record(forward, ankling, {"both": [240]}, head_coach, date=TODAY)
    services.result_evaluate(result_id=first.id, today=TODAY)
    later = TODAY + datetime.timedelta(days=43)
    retest = record(forward, ankling, {"both": [280]}, head_coach, date=TODAY)
    Result.objects.filter(pk=retest.pk).update(date=later)

    services.result_evaluate(result_id=retest.id, today=later)

    flag = Flag.objects.get()
    assert flag.status == FlagStatus.ON_PROTOCOL
    assert flag.retest_due == later + datetime.timedelta(days=42)
    assert flag.events.last().note.startswith("Retest failed: 280 reps < 300.")
    assert Assignment.objects.filter(athlete=forward).count() == 1


def test_organisation_and_team_override_the_global_baseline(
    head_coach, forward, back, forwards, club, ankling
):
    Baseline.objects.create(test=ankling, organisation=club, kind="threshold", value=250)
    Baseline.objects.create(
        test=ankling, organisation=club, team=forwards, kind="threshold", value=320
    )

    for_back = record(back, ankling, {"both": [260]}, head_coach)
    for_forward = record(forward, ankling, {"both": [300]}, head_coach)
    services.result_evaluate(result_id=for_back.id, today=TODAY)
    services.result_evaluate(result_id=for_forward.id, today=TODAY)

    for_back.refresh_from_db()
    for_forward.refresh_from_db()
    assert (for_back.passed, for_back.reasons) == (True, ["260 reps ≥ 250"])
    assert (for_forward.passed, for_forward.reasons) == (False, ["300 reps < 320"])


def test_norm_rule_switched_on_by_the_club_uses_the_athletes_age_and_sex(
    head_coach, forward, club, heel_rise
):
    norm = Baseline.objects.get(test=heel_rise, organisation=None, kind="norm")
    override = Baseline.objects.create(test=heel_rise, organisation=club, kind="norm", active=True)
    for row in norm.norms.all():
        override.norms.create(
            sex=row.sex, age_min=row.age_min, age_max=row.age_max, value=row.value
        )
    forward.date_of_birth = datetime.date(1992, 1, 1)
    forward.sex = "male"
    forward.save()

    result = record(forward, heel_rise, {"left": [30], "right": [31]}, head_coach, date=TODAY)
    services.result_evaluate(result_id=result.id, today=TODAY)

    result.refresh_from_db()
    assert result.reasons == ["left 30 reps < 32 for men 30–39", "right 31 reps < 32 for men 30–39"]


def test_club_rule_puts_the_athlete_on_the_clubs_own_protocol(head_coach, forward, club, ankling):
    own = program(club, name="Our ankling block", weeks=3)
    ProtocolRule.objects.create(organisation=club, test=ankling, template=own, retest_after_days=21)

    result = record(forward, ankling, {"both": [100]}, head_coach)
    services.result_evaluate(result_id=result.id, today=TODAY)

    flag = Flag.objects.get()
    assert flag.protocol.template == own
    assert flag.retest_due == TODAY + datetime.timedelta(days=21)


@pytest.mark.parametrize(
    ("trials", "field"),
    [
        ({"both": [5000]}, "both"),
        ({"both": ["many"]}, "both"),
        ({"left": [300]}, "trials"),
        ({}, "both"),
        ({"both": [-1]}, "both"),
    ],
)
def test_implausible_values_are_rejected_naming_the_field(
    head_coach, forward, ankling, trials, field
):
    with pytest.raises(ValidationError) as error:
        record(forward, ankling, trials, head_coach)

    assert field in error.value.message_dict
    assert not Result.objects.exists()


def test_outsider_cannot_record_or_dismiss(outsider, head_coach, forward, ankling):
    with pytest.raises(PermissionDenied):
        record(forward, ankling, {"both": [300]}, outsider)
    result = record(forward, ankling, {"both": [200]}, head_coach)
    services.result_evaluate(result_id=result.id, today=TODAY)
    flag = Flag.objects.get()

    with pytest.raises(PermissionDenied):
        services.flag_dismiss(flag=flag, dismissed_by=outsider, reason="no")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.ON_PROTOCOL


def test_dismissing_needs_a_reason_and_ends_the_protocol(head_coach, physio, forward, ankling):
    result = record(forward, ankling, {"both": [200]}, head_coach)
    services.result_evaluate(result_id=result.id, today=TODAY)
    flag = Flag.objects.get()

    with pytest.raises(ValidationError):
        services.flag_dismiss(flag=flag, dismissed_by=physio, reason="  ")
    services.flag_dismiss(flag=flag, dismissed_by=physio, reason="Tested with a calf strain")

    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED
    assert flag.events.last().by == physio
    assert flag.protocol.status == AssignmentStatus.ENDED


def test_retest_due_is_marked_when_its_date_comes(head_coach, forward, ankling):
    result = record(forward, ankling, {"both": [200]}, head_coach)
    services.result_evaluate(result_id=result.id, today=TODAY)

    assert services.flags_mark_retest_due(today=TODAY + datetime.timedelta(days=41)) == 0
    assert services.flags_mark_retest_due(today=TODAY + datetime.timedelta(days=42)) == 1
    flag = Flag.objects.get()
    assert flag.status == FlagStatus.RETEST_DUE
    assert flag.events.last().note == "The retest date has come."


def test_replayed_result_uuid_stores_one_result(head_coach, forward, ankling):
    key = "6f1c2f43-1b7a-4b39-9f3b-0c9a2d0e8a11"
    first, created = services.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": [310]},
        recorded_by=head_coach,
        client_uuid=key,
    )
    again, created_again = services.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": ["310"]},
        recorded_by=head_coach,
        client_uuid=key,
    )

    assert (created, created_again, again.pk) == (True, False, first.pk)
    with pytest.raises(services.ResultConflict):
        services.result_record(
            athlete=forward,
            test=ankling,
            trials={"both": [200]},
            recorded_by=head_coach,
            client_uuid=key,
        )
    assert Result.objects.get().both == Decimal("310")
