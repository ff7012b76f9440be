"""The nightly sweep: re-evaluation after a rule changed, retests due, pain and load flags from
the logs, in set-based chunks that a re-run leaves alone, through a real Celery worker."""

import datetime
import itertools
import time
import uuid
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services
from assessments.models import Baseline, Flag, FlagEvent, FlagKind, FlagStatus, Result
from assessments.sweep import chunk_sweep, id_ranges, sweep_ranges
from assessments.tasks_sweep import sweep_start
from config.celery import app
from programs.models import Assignment, LoggedSet, ScheduledSession, SessionStatus
from tests.factories import AthleteFactory, library, program

TODAY = datetime.date(2026, 11, 11)  # a Wednesday, ISO week 46; last complete week is 45
LONDON = ZoneInfo("Europe/London")


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def sweep(today=TODAY):
    """Sweep one range holding every athlete of the test."""
    from athletes.models import Athlete

    ids = list(Athlete.objects.values_list("id", flat=True)) or [0]
    return chunk_sweep(lo_id=min(ids), hi_id=max(ids) + 1, today=today)


def logged_set(athlete, on: str, *, pain=None, contacts=None, session=None, hour=18):
    return LoggedSet.objects.create(
        athlete=athlete,
        client_uuid=uuid.uuid4(),
        session=session,
        exercise=library("jump-rope"),
        reps=None if contacts else 10,
        contacts=contacts,
        pain=pain,
        performed_at=datetime.datetime.combine(day(on), datetime.time(hour), tzinfo=LONDON),
        fingerprint="test",
    )


def scheduled_session(athlete, on: str, *, pain=None, completed=True):
    template = program(athlete.organisation)
    assignment = Assignment.objects.create(
        athlete=athlete, template=template, template_version=1, start_date=day(on)
    )
    return ScheduledSession.objects.create(
        assignment=assignment,
        athlete=athlete,
        sequence=1,
        week=1,
        date=day(on),
        name="Calf A",
        status=SessionStatus.COMPLETED if completed else SessionStatus.SCHEDULED,
        pain=pain,
    )


def weekly_contacts(athlete, per_week: dict[str, int]):
    """One set of `contacts` on the Tuesday of each week (given by its Monday)."""
    for monday, contacts in per_week.items():
        logged_set(
            athlete, (day(monday) + datetime.timedelta(days=1)).isoformat(), contacts=contacts
        )


USUAL_WEEKS = {"2026-10-05": 250, "2026-10-12": 250, "2026-10-19": 250, "2026-10-26": 250}


def flags(kind):
    return list(Flag.objects.filter(kind=kind).order_by("athlete_id", "key"))


# --- Pain ---------------------------------------------------------------------------------------


def test_two_consecutive_sessions_above_five_raise_one_pain_flag(forward):
    scheduled_session(forward, "2026-11-03", pain=7)
    session = scheduled_session(forward, "2026-11-06", pain=None, completed=False)
    logged_set(forward, "2026-11-06", pain=4, session=session)
    logged_set(forward, "2026-11-06", pain=6, session=session)

    report = sweep()

    [flag] = flags(FlagKind.PAIN)
    assert (flag.athlete, flag.status, flag.key, flag.test) == (
        forward,
        FlagStatus.OPEN,
        "pain-2026-11-06",
        None,
    )
    assert flag.reasons == ["Pain 7/10 and 6/10 in two consecutive sessions (3 Nov, 6 Nov)"]
    assert [(e.from_status, e.to_status, e.by, e.note) for e in flag.events.all()] == [
        ("", "open", None, "Pain 7/10 and 6/10 in two consecutive sessions (3 Nov, 6 Nov)")
    ]
    assert (report.pain_flags, report.load_flags) == (1, 0)


def test_ad_hoc_sets_of_one_day_count_as_one_session(forward):
    logged_set(forward, "2026-11-04", pain=8)
    logged_set(forward, "2026-11-04", pain=2, hour=19)
    logged_set(forward, "2026-11-07", pain=6)

    sweep()

    assert [(f.key, f.reasons) for f in flags(FlagKind.PAIN)] == [
        ("pain-2026-11-07", ["Pain 8/10 and 6/10 in two consecutive sessions (4 Nov, 7 Nov)"])
    ]


def test_painful_sessions_with_a_comfortable_one_between_raise_nothing(forward):
    scheduled_session(forward, "2026-11-02", pain=7)
    scheduled_session(forward, "2026-11-04", pain=3)
    scheduled_session(forward, "2026-11-06", pain=8)

    sweep()

    assert flags(FlagKind.PAIN) == []


def test_pain_of_five_is_acceptable(forward):
    scheduled_session(forward, "2026-11-03", pain=5)
    scheduled_session(forward, "2026-11-06", pain=9)

    sweep()

    assert flags(FlagKind.PAIN) == []


def test_painful_sessions_before_the_window_raise_nothing(forward):
    scheduled_session(forward, "2026-10-12", pain=7)
    scheduled_session(forward, "2026-10-15", pain=8)

    sweep()

    assert flags(FlagKind.PAIN) == []


def test_pain_rising_week_on_week_raises_a_flag(forward, back):
    logged_set(forward, "2026-11-03", pain=2)
    logged_set(forward, "2026-11-05", pain=1)
    logged_set(forward, "2026-11-10", pain=4)
    # Back: a rise that stays below 3/10, and one from no pain at all, are not flagged.
    logged_set(back, "2026-10-28", pain=1)
    logged_set(back, "2026-11-04", pain=2)
    logged_set(back, "2026-11-10", pain=0)

    sweep()

    [flag] = flags(FlagKind.PAIN)
    assert (flag.athlete, flag.key, flag.reasons) == (
        forward,
        "pain-rising-2026-W46",
        ["Pain rose week on week: 2/10 → 4/10"],
    )


def test_pain_rising_from_none_is_not_a_rise(forward):
    logged_set(forward, "2026-11-03", pain=0)
    logged_set(forward, "2026-11-10", pain=4)

    sweep()

    assert flags(FlagKind.PAIN) == []


def test_no_second_pain_flag_while_one_is_open_and_a_new_one_after_it_is_resolved(
    head_coach, forward
):
    scheduled_session(forward, "2026-11-03", pain=7)
    scheduled_session(forward, "2026-11-06", pain=6)
    sweep(today=day("2026-11-07"))
    scheduled_session(forward, "2026-11-09", pain=7)

    sweep()
    assert [f.key for f in flags(FlagKind.PAIN)] == ["pain-2026-11-06"]

    services.flag_resolve(flag=Flag.objects.get(), resolved_by=head_coach, note="Seen by physio")
    sweep()
    assert [(f.key, f.status) for f in flags(FlagKind.PAIN)] == [
        ("pain-2026-11-06", FlagStatus.RESOLVED),
        ("pain-2026-11-09", FlagStatus.OPEN),
    ]


def test_archived_athletes_are_not_flagged(forward):
    scheduled_session(forward, "2026-11-03", pain=7)
    scheduled_session(forward, "2026-11-06", pain=6)
    forward.archived_at = timezone.now()
    forward.save()

    sweep()

    assert not Flag.objects.exists()


# --- Load ---------------------------------------------------------------------------------------


def test_foot_contacts_above_one_and_a_half_times_the_four_week_average_raise_a_load_flag(
    forward,
):
    weekly_contacts(forward, {**USUAL_WEEKS, "2026-11-02": 420})

    report = sweep()

    [flag] = flags(FlagKind.LOAD)
    assert (flag.athlete, flag.key, flag.status) == (forward, "load-2026-W45", FlagStatus.OPEN)
    assert flag.reasons == [
        "Foot contacts 420 in the week of 2 Nov vs 4-week average 250 (×1.68 > ×1.5)"
    ]
    assert report.load_flags == 1


def test_foot_contacts_at_one_point_four_times_the_average_raise_nothing(forward):
    weekly_contacts(forward, {**USUAL_WEEKS, "2026-11-02": 350})

    sweep()

    assert flags(FlagKind.LOAD) == []


def test_load_ratio_comes_from_the_settings(settings, forward):
    settings.LOAD_FLAG_RATIO = "1.3"
    weekly_contacts(forward, {**USUAL_WEEKS, "2026-11-02": 350})

    sweep()

    [flag] = flags(FlagKind.LOAD)
    assert flag.reasons == [
        "Foot contacts 350 in the week of 2 Nov vs 4-week average 250 (×1.4 > ×1.3)"
    ]


def test_average_counts_weeks_without_contacts_as_zero_but_needs_two_weeks(forward, back):
    weekly_contacts(forward, {"2026-10-19": 200, "2026-10-26": 200, "2026-11-02": 160})
    weekly_contacts(back, {"2026-10-26": 100, "2026-11-02": 400})  # one usual week only

    sweep()

    [flag] = flags(FlagKind.LOAD)
    assert (flag.athlete, flag.reasons) == (
        forward,
        ["Foot contacts 160 in the week of 2 Nov vs 4-week average 100 (×1.6 > ×1.5)"],
    )


def test_the_current_week_is_not_compared_until_it_is_complete(forward):
    weekly_contacts(forward, {**USUAL_WEEKS, "2026-11-02": 250, "2026-11-09": 900})

    sweep()

    assert flags(FlagKind.LOAD) == []


# --- Re-evaluation and retests ------------------------------------------------------------------


@pytest.fixture
def settled_rules(db):
    """The shipped rules last changed a month ago (update() leaves auto_now alone)."""
    Baseline.objects.update(updated_at=timezone.now() - datetime.timedelta(days=30))


def evaluated(result, at):
    Result.objects.filter(pk=result.pk).update(evaluated_at=at)
    result.refresh_from_db()
    return result


def test_club_raising_a_threshold_reevaluates_results_evaluated_before_the_change(
    settled_rules, head_coach, club, forward, back, ankling
):
    before, _ = services.result_record(
        athlete=forward, test=ankling, trials={"both": [310]}, recorded_by=head_coach
    )
    services.result_evaluate(result_id=before.id, today=TODAY)
    evaluated(before, timezone.now() - datetime.timedelta(days=1))
    raised = Baseline.objects.create(test=ankling, organisation=club, kind="threshold", value=320)
    after, _ = services.result_record(
        athlete=back, test=ankling, trials={"both": [310]}, recorded_by=head_coach
    )
    Result.objects.filter(pk=after.pk).update(passed=True, reasons=[])
    after = evaluated(after, raised.updated_at + datetime.timedelta(minutes=1))

    report = sweep()

    before.refresh_from_db()
    assert (before.passed, before.reasons) == (False, ["310 reps < 320"])
    flag = Flag.objects.get(kind=FlagKind.BASELINE)
    assert (flag.athlete, flag.result, flag.status) == (forward, before, FlagStatus.ON_PROTOCOL)
    untouched = Result.objects.get(pk=after.pk)
    assert (untouched.passed, untouched.evaluated_at) == (True, after.evaluated_at)
    assert report.reevaluated == 1


def test_team_rule_reevaluates_only_that_teams_athletes(
    settled_rules, head_coach, club, backs, forward, back, ankling
):
    results = {}
    for athlete in (forward, back):
        result, _ = services.result_record(
            athlete=athlete, test=ankling, trials={"both": [310]}, recorded_by=head_coach
        )
        services.result_evaluate(result_id=result.id, today=TODAY)
        results[athlete] = evaluated(result, timezone.now() - datetime.timedelta(days=1))
    Baseline.objects.create(
        test=ankling, organisation=club, team=backs, kind="threshold", value=320
    )

    sweep()

    assert Result.objects.get(pk=results[back].pk).passed is False
    assert Result.objects.get(pk=results[forward].pk).evaluated_at == (
        results[forward].evaluated_at
    )
    assert [f.athlete for f in Flag.objects.filter(kind=FlagKind.BASELINE)] == [back]


def test_result_never_evaluated_is_evaluated_and_older_results_are_left_alone(
    head_coach, forward, ankling
):
    older, _ = services.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": [200]},
        recorded_by=head_coach,
        date=day("2026-09-01"),
    )
    latest, _ = services.result_record(
        athlete=forward, test=ankling, trials={"both": [250]}, recorded_by=head_coach
    )
    assert (older.evaluated_at, latest.evaluated_at) == (None, None)  # the enqueue was lost

    report = sweep()

    assert Result.objects.get(pk=older.pk).evaluated_at is None
    latest.refresh_from_db()
    assert (latest.passed, latest.reasons) == (False, ["250 reps < 300"])
    assert Flag.objects.get(kind=FlagKind.BASELINE).result == latest
    assert report.reevaluated == 1


def test_past_the_inline_budget_the_rest_are_sent_to_the_workers(
    settings, settled_rules, head_coach, forward, back, ankling, django_capture_on_commit_callbacks
):
    from assessments.tasks import evaluate_result

    settings.SWEEP_INLINE_EVALUATIONS = 1
    results = sorted(
        (
            services.result_record(
                athlete=athlete, test=ankling, trials={"both": [250]}, recorded_by=head_coach
            )[0]
            for athlete in (forward, back)
        ),
        key=lambda r: r.athlete_id,
    )

    with (
        mock.patch.object(evaluate_result, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = sweep()

    assert (report.reevaluated, report.evaluations_sent) == (1, 1)
    assert Result.objects.get(pk=results[0].pk).passed is False
    assert Result.objects.get(pk=results[1].pk).evaluated_at is None
    assert [c.kwargs["args"] for c in send.call_args_list] == [(results[1].id,)]


def test_retests_whose_date_has_come_are_marked_due(forward, back, ankling):
    due = Flag.objects.create(
        athlete=forward,
        kind=FlagKind.BASELINE,
        test=ankling,
        status=FlagStatus.ON_PROTOCOL,
        retest_due=TODAY,
    )
    later = Flag.objects.create(
        athlete=back,
        kind=FlagKind.BASELINE,
        test=ankling,
        status=FlagStatus.ON_PROTOCOL,
        retest_due=TODAY + datetime.timedelta(days=1),
    )

    report = sweep()

    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (FlagStatus.RETEST_DUE, FlagStatus.ON_PROTOCOL)
    assert [(e.from_status, e.to_status) for e in due.events.all()] == [
        ("on_protocol", "retest_due")
    ]
    assert report.retests_due == 1


# --- Exactly once, chunks, queries --------------------------------------------------------------


def test_running_the_sweep_again_adds_no_flags_and_no_events(head_coach, forward, back, ankling):
    scheduled_session(forward, "2026-11-03", pain=7)
    scheduled_session(forward, "2026-11-06", pain=6)
    weekly_contacts(back, {**USUAL_WEEKS, "2026-11-02": 600})
    logged_set(back, "2026-11-03", pain=2)
    logged_set(back, "2026-11-10", pain=3)
    services.result_record(
        athlete=forward, test=ankling, trials={"both": [250]}, recorded_by=head_coach
    )
    Flag.objects.create(
        athlete=back,
        kind=FlagKind.BASELINE,
        test=ankling,
        status=FlagStatus.ON_PROTOCOL,
        retest_due=TODAY,
    )

    first = sweep()
    counts = (Flag.objects.count(), FlagEvent.objects.count())
    second = sweep()

    assert (first.reevaluated, first.retests_due, first.pain_flags, first.load_flags) == (
        1,
        1,
        2,
        1,
    )
    assert (second.reevaluated, second.retests_due, second.pain_flags, second.load_flags) == (
        0,
        0,
        0,
        0,
    )
    assert (Flag.objects.count(), FlagEvent.objects.count()) == counts
    assert sorted(Flag.objects.filter(kind__in=["pain", "load"]).values_list("key", flat=True)) == [
        "load-2026-W45",
        "pain-2026-11-06",
        "pain-rising-2026-W46",
    ]


def test_ranges_are_contiguous_and_cover_every_athlete_exactly_once(club):
    athletes = AthleteFactory.create_batch(7, organisation=club)
    athletes[3].delete()  # a gap in the ids
    ids = sorted(a.id for a in athletes if a.id)

    ranges = sweep_ranges(size=2)

    assert ranges[0][0] == ids[0] and ranges[-1][1] == ids[-1] + 1
    assert all(hi == next_lo for (_, hi), (next_lo, _) in itertools.pairwise(ranges))
    covered = [i for i in ids for lo, hi in ranges if lo <= i < hi]
    assert covered == ids
    assert [sum(1 for i in ids if lo <= i < hi) for lo, hi in ranges] == [2, 2, 2]


def test_id_ranges_are_half_open_and_end_after_the_last_id():
    assert id_ranges([1, 5, 9], 12) == [(1, 5), (5, 9), (9, 13)]
    assert id_ranges([4], 4) == [(4, 5)]


def test_no_athletes_means_no_chunks(db):
    assert sweep_ranges(size=10) == []


def flagged_athletes(club, count):
    athletes = AthleteFactory.create_batch(count, organisation=club)
    for athlete in athletes:
        logged_set(athlete, "2026-11-03", pain=7)
        logged_set(athlete, "2026-11-06", pain=6)
        weekly_contacts(athlete, {**USUAL_WEEKS, "2026-11-02": 500})
    return athletes


def test_queries_per_chunk_do_not_grow_with_the_athletes_in_it(club, django_assert_num_queries):
    small = flagged_athletes(club, 1)
    with CaptureQueriesContext(connection) as one:
        report = chunk_sweep(lo_id=small[0].id, hi_id=small[-1].id + 1, today=TODAY)
    assert (report.pain_flags, report.load_flags, report.queries) == (1, 1, len(one))

    large = flagged_athletes(club, 6)
    with django_assert_num_queries(len(one)):
        report = chunk_sweep(lo_id=large[0].id, hi_id=large[-1].id + 1, today=TODAY)
    assert (report.pain_flags, report.load_flags) == (6, 6)
    # stale results 1; the chunk's savepoint 2 (a transaction in production); retests 3 (its
    # savepoint, the select; none due); pain 2; load 1; flags 3 (insert, select back, events)
    assert len(one) == 12


# --- A real worker ------------------------------------------------------------------------------


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_nightly_sweep_in_chunks_and_a_second_run_adds_nothing(
    settings, club, forward, back
):
    settings.SWEEP_CHUNK_SIZE = 2
    athletes = [forward, back, *AthleteFactory.create_batch(3, organisation=club)]
    for athlete in athletes:
        logged_set(athlete, "2026-11-03", pain=7)
        logged_set(athlete, "2026-11-06", pain=6)
    chunks = []

    def finished(task=None, args=None, retval=None, **_):
        if task.name == "assessments.sweep_chunk":
            chunks.append((tuple(args[:2]), retval))

    task_postrun.connect(finished, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            sweep_start.delay(TODAY.isoformat())
            assert wait_for(lambda: len(chunks) == 3)
            sweep_start.delay(TODAY.isoformat())  # the same night again
            assert wait_for(lambda: len(chunks) == 6)
    finally:
        task_postrun.disconnect(finished)

    ids = sorted(a.id for a in athletes)
    ranges = [lo_hi for lo_hi, _ in chunks[:3]]
    assert sorted(ranges) == [(ids[0], ids[2]), (ids[2], ids[4]), (ids[4], ids[4] + 1)]
    assert sorted(report["pain_flags"] for _, report in chunks[:3]) == [1, 2, 2]
    assert sum(report["pain_flags"] for _, report in chunks[3:]) == 0
    assert sorted(Flag.objects.values_list("athlete_id", "key")) == [
        (i, "pain-2026-11-06") for i in ids
    ]
    assert FlagEvent.objects.count() == 5
