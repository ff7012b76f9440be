"""An athlete's teams, date of birth and sex choose and judge their baselines: a change has
their latest results evaluated again at once, and by the nightly sweep if that was lost."""

import datetime
from unittest import mock

from django.utils import timezone

from assessments import services
from assessments.models import Baseline, Flag, FlagKind, Result
from athletes import services as athlete_services
from tests.test_sweep import TODAY, evaluated, sweep


def test_an_athlete_moved_onto_a_team_with_a_stricter_rule_is_evaluated_again(
    head_coach, club, backs, forward, ankling, heel_rise
):
    Baseline.objects.create(
        test=ankling, organisation=club, team=backs, kind="threshold", value=320
    )
    Baseline.objects.update(updated_at=timezone.now() - datetime.timedelta(days=30))  # settled
    older, _ = services.result_record(
        athlete=forward, test=ankling, trials={"both": [250]}, recorded_by=head_coach,
        date=TODAY - datetime.timedelta(days=60),
    )  # fmt: skip
    latest, _ = services.result_record(
        athlete=forward, test=ankling, trials={"both": [310]}, recorded_by=head_coach
    )
    other, _ = services.result_record(
        athlete=forward,
        test=heel_rise,
        trials={"left": [30], "right": [30]},
        recorded_by=head_coach,
    )
    for result in (older, latest, other):
        services.result_evaluate(result_id=result.id, today=TODAY)
        evaluated(result, timezone.now() - datetime.timedelta(days=1))
    assert Result.objects.get(pk=latest.pk).passed is True  # 310 ≥ 300 on Forwards

    with mock.patch("assessments.services.enqueue_on_commit") as enqueue:  # the broker is down
        athlete_services.athlete_update(athlete=forward, updated_by=head_coach, teams=[backs])
    assert sorted(call.args[1] for call in enqueue.call_args_list) == sorted([latest.id, other.id])
    forward.refresh_from_db()
    assert forward.rules_changed_at is not None

    report = sweep()  # the sweep finds what the lost messages would have done

    latest.refresh_from_db()
    assert (latest.passed, latest.reasons) == (False, ["310 reps < 320"])
    flag = Flag.objects.get(kind=FlagKind.BASELINE)
    assert (flag.athlete, flag.result) == (forward, latest)
    assert Result.objects.get(pk=older.pk).evaluated_at == older.evaluated_at  # older: left alone
    assert report.reevaluated == 2  # the latest ankling and heel-rise results
    assert sweep().reevaluated == 0


def test_a_new_date_of_birth_or_sex_has_results_evaluated_again_other_edits_do_not(
    head_coach, forward, ankling
):
    result, _ = services.result_record(
        athlete=forward, test=ankling, trials={"both": [310]}, recorded_by=head_coach
    )
    with mock.patch("assessments.services.enqueue_on_commit") as enqueue:
        athlete_services.athlete_update(athlete=forward, updated_by=head_coach, notes="Left calf")
        athlete_services.athlete_update(athlete=forward, updated_by=head_coach, teams=list(
            forward.teams.all()
        ))  # fmt: skip
        assert enqueue.call_count == 0
        forward.refresh_from_db()
        assert forward.rules_changed_at is None

        athlete_services.athlete_update(
            athlete=forward, updated_by=head_coach, date_of_birth=datetime.date(1990, 5, 1)
        )
        athlete_services.athlete_update(athlete=forward, updated_by=head_coach, sex="female")
    assert [call.args[1] for call in enqueue.call_args_list] == [result.id, result.id]
    forward.refresh_from_db()
    assert forward.rules_changed_at is not None
