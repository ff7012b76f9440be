"""The athlete insight on the coach's athlete page: each test's results over time against the
baseline (left and right, LSI beneath), weekly pain and session load, weekly foot contacts with
their 4-week average, recent sessions and programs; scoped like the rest of the page.

Personas come from conftest: the head coach runs the club, the assistant coach has Forwards
only, the physio sees everyone (and medical notes), the outsider coaches another club.
"""

import datetime
import json
import re
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Baseline, Result, Test
from insights.athlete import athlete_insight, weekly_trends
from programs.figures import Figures, rolling_average
from programs.models import Assignment, AssignmentStatus, LoggedSet, ScheduledSession
from programs.models import SessionStatus as S
from tests.conftest import login
from tests.factories import library, program

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = datetime.date(2025, 6, 11)  # a Wednesday; its week starts on Monday 9 June
MEDICAL = "Left Achilles tendinopathy 2025"


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def html(response) -> str:
    return response.content.decode()


def page_url(athlete) -> str:
    return f"/athletes/{athlete.pk}/"


def record(athlete, test, trials, on, by):
    result, _ = assessment_services.result_record(
        athlete=athlete, test=test, trials=trials, recorded_by=by, date=day(on)
    )
    return result


def assignment_for(athlete, template=None):
    template = template or program(athlete.organisation, name=f"Plan {uuid.uuid4().hex[:6]}")
    return Assignment.objects.create(
        athlete=athlete, template=template, template_version=1, start_date=day("2025-05-01")
    )


def session(assignment, on, sequence, *, status=S.COMPLETED, rpe=None, minutes=None, pain=None):
    return ScheduledSession.objects.create(
        assignment=assignment,
        athlete=assignment.athlete,
        sequence=sequence,
        week=1,
        date=day(on),
        name="Calf A",
        status=status,
        session_rpe=rpe,
        duration_minutes=minutes,
        pain=pain,
    )


def logged_set(athlete, on, *, contacts=None, reps=None, pain=None, session=None):
    return LoggedSet.objects.create(
        athlete=athlete,
        client_uuid=uuid.uuid4(),
        session=session,
        exercise=library("jump-rope"),
        contacts=contacts,
        reps=reps if reps is not None else (None if contacts else 10),
        pain=pain,
        performed_at=datetime.datetime.combine(day(on), datetime.time(18), tzinfo=LONDON),
        fingerprint="test",
    )


def dataset(config, label):
    matches = [d for d in config["data"]["datasets"] if d["label"] == label]
    assert len(matches) == 1, [d["label"] for d in config["data"]["datasets"]]
    return matches[0]["data"]


def labels_of(config):
    return [d["label"] for d in config["data"]["datasets"]]


def panel_of(insight, slug):
    (panel,) = [p for p in insight["tests"] if p["slug"] == slug]
    return panel


# --- charts of test results -----------------------------------------------------------------------


def test_per_side_test_charts_left_and_right_against_the_baseline_with_lsi_beneath(
    head_coach, forward, heel_rise
):
    record(forward, heel_rise, {"left": [22], "right": [28]}, "2025-04-01", head_coach)
    record(forward, heel_rise, {"left": [27], "right": [28]}, "2025-05-01", head_coach)

    panel = panel_of(athlete_insight(user=head_coach, athlete=forward, today=TODAY), "heel-rise")

    config = panel["config"]
    assert config["type"] == "line"
    assert config["data"]["labels"] == ["1 Apr 2025", "1 May 2025"]
    assert labels_of(config) == ["Left", "Right", "Baseline ≥ 25 reps"]
    assert dataset(config, "Left") == [22.0, 27.0]
    assert dataset(config, "Right") == [28.0, 28.0]
    assert dataset(config, "Baseline ≥ 25 reps") == [25.0, 25.0]
    lsi = panel["lsi_config"]
    assert labels_of(lsi) == ["LSI", "Baseline LSI ≥ 90 %"]
    assert dataset(lsi, "LSI") == [78.6, 96.4]
    assert dataset(lsi, "Baseline LSI ≥ 90 %") == [90.0, 90.0]
    json.dumps(config), json.dumps(lsi)  # plain JSON: no callbacks, no Decimals
    # The table: newest first, the same numbers and the evaluation's reasons.
    newest, oldest = panel["rows"]
    assert (newest["left"], newest["right"], newest["lsi"], newest["passed"]) == (
        "27",
        "28",
        "96.4",
        True,
    )
    assert (oldest["left"], oldest["right"], oldest["lsi"]) == ("22", "28", "78.6")
    assert oldest["passed"] is False
    assert oldest["reasons"] == ["left 22 reps < 25", "LSI 79 % < 90 %"]
    assert oldest["limits"] == ["25"] and oldest["lsi_limits"] == ["90"]


def test_the_baseline_line_is_the_rule_that_applies_to_the_athlete(
    head_coach, forward, back, forwards, heel_rise, club
):
    """A Forwards rule beats the club's and the global one; a Back keeps the global rule."""
    Baseline.objects.create(
        test=heel_rise, organisation=club, team=forwards, kind="threshold", value=Decimal(30)
    )
    Baseline.objects.create(test=heel_rise, organisation=club, kind="lsi", active=False, value=90)
    for athlete in (forward, back):
        record(athlete, heel_rise, {"left": [28], "right": [29]}, "2025-05-01", head_coach)

    mine = panel_of(athlete_insight(user=head_coach, athlete=forward, today=TODAY), "heel-rise")
    theirs = panel_of(athlete_insight(user=head_coach, athlete=back, today=TODAY), "heel-rise")

    assert labels_of(mine["config"]) == ["Left", "Right", "Baseline ≥ 30 reps"]
    assert dataset(mine["config"], "Baseline ≥ 30 reps") == [30.0]
    assert labels_of(mine["lsi_config"]) == ["LSI"]  # the club switched the LSI rule off
    assert mine["rows"][0]["passed"] is False and mine["rows"][0]["reasons"] == [
        "left 28 reps < 30",
        "right 29 reps < 30",
    ]
    assert labels_of(theirs["config"]) == ["Left", "Right", "Baseline ≥ 25 reps"]
    assert theirs["rows"][0]["passed"] is True


def test_one_sided_test_has_one_series_and_the_worker_evaluation_in_the_table(
    head_coach, forward, ankling
):
    result = record(forward, ankling, {"both": [240]}, "2025-05-10", head_coach)
    assessment_services.result_evaluate(result_id=result.pk)

    panel = panel_of(athlete_insight(user=head_coach, athlete=forward, today=TODAY), "ankling")

    assert labels_of(panel["config"]) == ["Ankling test", "Baseline ≥ 300 reps"]
    assert dataset(panel["config"], "Ankling test") == [240.0]
    assert dataset(panel["config"], "Baseline ≥ 300 reps") == [300.0]
    assert panel["lsi_config"] is None
    assert Result.objects.get(pk=result.pk).evaluated_at is not None
    assert panel["rows"][0]["both"] == "240"
    assert panel["rows"][0]["passed"] is False
    assert panel["rows"][0]["reasons"] == ["240 reps < 300"]


def test_a_norm_line_follows_the_athletes_age_band(head_coach, forward, heel_rise):
    """The norm switched on for the club: the line is the athlete's band on each date."""
    forward.date_of_birth, forward.sex = day("1995-06-01"), "male"
    forward.save()
    norm = Baseline.objects.get(test=heel_rise, organisation=None, kind="norm")
    club_norm = Baseline.objects.create(
        test=heel_rise, organisation=forward.organisation, kind="norm", active=True
    )
    for row in norm.norms.all():
        club_norm.norms.create(
            sex=row.sex, age_min=row.age_min, age_max=row.age_max, value=row.value
        )
    record(forward, heel_rise, {"left": [36], "right": [36]}, "2025-05-01", head_coach)  # 29
    record(forward, heel_rise, {"left": [36], "right": [36]}, "2025-06-02", head_coach)  # 30

    panel = panel_of(athlete_insight(user=head_coach, athlete=forward, today=TODAY), "heel-rise")

    assert dataset(panel["config"], "Age and sex norm (≥)") == [37.0, 32.0]


# --- weekly trends --------------------------------------------------------------------------------


def test_rolling_average_waits_for_a_full_window():
    assert rolling_average([40, 0, 0, 0, 100, 200, 0, 300], 4) == [
        None,
        None,
        None,
        10.0,
        25.0,
        75.0,
        75.0,
        150.0,
    ]


def test_weekly_pain_load_and_contacts_with_their_four_week_average(head_coach, forward):
    plan = assignment_for(forward)
    session(plan, "2025-06-02", 1, rpe=Decimal(6), minutes=50, pain=3)
    session(plan, "2025-06-04", 2, rpe=Decimal(7), minutes=60, pain=6)
    session(plan, "2025-06-05", 3, status=S.SKIPPED, rpe=Decimal(9), minutes=90)
    logged_set(forward, "2025-06-10", contacts=120, pain=7)
    logged_set(forward, "2025-06-11", contacts=180)
    logged_set(forward, "2025-05-27", contacts=200)
    logged_set(forward, "2025-05-20", contacts=100)
    logged_set(forward, "2025-03-11", contacts=40)  # before the weeks shown: feeds the average

    trends = athlete_insight(user=head_coach, athlete=forward, today=TODAY)["trends"]

    rows = trends["rows"]
    assert len(rows) == 12
    assert [r["week"] for r in (rows[0], rows[-1])] == [day("2025-03-24"), day("2025-06-09")]
    assert [(r["label"], r["contacts"], r["average"]) for r in rows[0:1] + rows[-4:]] == [
        ("24 Mar", 0, "10"),
        ("19 May", 100, "25"),
        ("26 May", 200, "75"),
        ("2 Jun", 0, "75"),
        ("9 Jun", 300, "150"),
    ]
    assert [(r["load"], r["pain"]) for r in rows[-2:]] == [("720", 6), ("0", 7)]
    assert rows[-3]["pain"] == "–"
    contacts = trends["contacts"]
    assert labels_of(contacts) == ["Foot contacts", "4-week average"]
    assert dataset(contacts, "Foot contacts")[-4:] == [100, 200, 0, 300]
    assert dataset(contacts, "4-week average")[-4:] == [25.0, 75.0, 75.0, 150.0]
    assert dataset(contacts, "4-week average")[0] == 10.0
    pain_load = trends["pain_load"]
    assert dataset(pain_load, "Session load (sRPE × min)")[-2:] == [720.0, 0.0]
    assert dataset(pain_load, "Highest pain (0–10)")[-3:] == [None, 6, 7]
    assert dataset(pain_load, "Acceptable pain ≤ 5") == [5] * 12
    json.dumps(pain_load), json.dumps(contacts)


def test_weekly_trends_is_pure_over_figures():
    weeks = [day("2025-05-19") + datetime.timedelta(weeks=i) for i in range(5)]
    figures = {weeks[1]: Figures(contacts=80, session_load=300.0, pain=2), weeks[4]: Figures()}

    trends = weekly_trends(weeks, figures, window=2)

    assert [r["contacts"] for r in trends["rows"]] == [80, 0, 0, 0]
    assert [r["average"] for r in trends["rows"]] == ["40", "40", "0", "0"]
    assert [r["pain"] for r in trends["rows"]] == [2, "–", "–", "–"]


def test_recent_sessions_show_their_figures_and_active_programs_are_listed(head_coach, forward):
    plan = assignment_for(forward, program(forward.organisation, name="Calf strength"))
    done = session(plan, "2025-06-04", 1, rpe=Decimal("6.5"), minutes=40, pain=2)
    logged_set(forward, "2025-06-04", contacts=60, pain=4, session=done)
    logged_set(forward, "2025-06-04", reps=12, session=done)
    session(plan, "2025-06-20", 2, status=S.SCHEDULED)  # in the future: not recent
    ended = assignment_for(forward, program(forward.organisation, name="Old plan"))
    ended.status = AssignmentStatus.ENDED
    ended.save()

    insight = athlete_insight(user=head_coach, athlete=forward, today=TODAY)

    (row,) = insight["sessions"]
    assert (row["date"], row["program"], row["status"]) == (
        day("2025-06-04"),
        "Calf strength",
        "Completed",
    )
    assert (row["rpe"], row["minutes"], row["load"], row["pain"]) == ("6.5", 40, "260", 4)
    assert (row["sets"], row["reps"], row["contacts"]) == (2, 12, 60)
    assert [a.template.name for a in insight["assignments"]] == ["Calf strength"]
    grid_days = {d["date"]: d for week in insight["calendar"]["grid"] for d in week}
    assert [s.name for s in grid_days[day("2025-06-20")]["sessions"]] == ["Calf A"]
    assert grid_days[TODAY]["today"] is True


# --- the page -------------------------------------------------------------------------------------


def test_page_shows_the_ankling_chart_and_its_table_after_a_failing_result(
    client, head_coach, forward, ankling
):
    result = record(forward, ankling, {"both": [240]}, timezone.localdate().isoformat(), head_coach)
    assessment_services.result_evaluate(result_id=result.pk)

    response = login(client, head_coach).get(page_url(forward))

    page = html(response)
    assert response.status_code == 200
    figure = re.search(r'<figure class="chart" data-test="ankling">(.*?)</figure>', page, re.S)
    assert figure, "no chart for the ankling test"
    chart_id = f"chart-test-{ankling.pk}"
    assert f'<canvas data-chart="{chart_id}"' in figure.group(1)
    config = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>', figure.group(1), re.S
    )
    assert json.loads(config.group(1))["data"]["datasets"][0]["data"] == [240.0]
    table = re.search(r"<table.*?</table>", figure.group(1), re.S).group(0)
    assert "<td>240</td>" in table and "<td>300</td>" in table
    assert "Fail" in table and "240 reps &lt; 300" in table
    assert "<figcaption>" in figure.group(1)
    assert 'src="/static/vendor/chartjs-4.5.1/chart.umd.min.js"' in page
    assert 'src="/static/js/charts.js"' in page
    assert 'href="/static/css/insights.css"' in page
    assert 'data-chart="chart-pain-load"' in page and 'data-chart="chart-contacts"' in page
    assert 'id="weekly-trends"' in page


def test_page_carries_no_inline_script_or_style(client, head_coach, forward, heel_rise):
    record(forward, heel_rise, {"left": [20], "right": [26]}, "2025-05-01", head_coach)

    page = html(login(client, head_coach).get(page_url(forward)))

    assert " style=" not in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    for attributes, body in scripts:
        assert 'type="application/json"' in attributes or (
            body.strip() == "" and "src=" in attributes
        )
    assert not re.search(r"\son[a-z]+=", page)


def test_outsider_gets_404(client, outsider, forward, ankling, head_coach):
    record(forward, ankling, {"both": [240]}, "2025-05-01", head_coach)

    assert login(client, outsider).get(page_url(forward)).status_code == 404


def test_assistant_coach_cannot_see_a_back(
    client, assistant_coach, back, forward, ankling, head_coach
):
    record(back, ankling, {"both": [250]}, "2025-05-01", head_coach)
    login(client, assistant_coach)

    assert client.get(page_url(back)).status_code == 404
    response = client.get(page_url(forward))
    assert response.status_code == 200
    assert "<td>250</td>" not in html(response)


def test_athlete_cannot_open_the_coach_page(client, athlete_user, forward):
    assert login(client, athlete_user).get(page_url(forward)).status_code == 403


def test_medical_notes_stay_with_physio_and_head_coach(
    client, head_coach, physio, assistant_coach, forward
):
    forward.medical_notes = MEDICAL
    forward.save()

    assert MEDICAL in html(login(client, physio).get(page_url(forward)))
    assert MEDICAL in html(login(client, head_coach).get(page_url(forward)))
    response = login(client, assistant_coach).get(page_url(forward))
    assert response.status_code == 200
    assert MEDICAL not in html(response)


def _page_queries(client, athlete) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page_url(athlete))
    assert response.status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_results_sessions_and_sets(
    client, head_coach, forward, back, ankling, heel_rise
):
    today = timezone.localdate()
    record(forward, ankling, {"both": [240]}, today.isoformat(), head_coach)
    record(back, ankling, {"both": [240]}, today.isoformat(), head_coach)
    login(client, head_coach)
    _page_queries(client, forward)  # warm caches (sessions, content types)
    few = _page_queries(client, forward)

    tests = list(
        Test.objects.filter(organisation=None, slug__in=["heel-rise", "knee-to-wall", "single-hop"])
    )
    for weeks_ago in range(1, 9):
        on = (today - datetime.timedelta(weeks=weeks_ago)).isoformat()
        record(back, ankling, {"both": [250 + weeks_ago]}, on, head_coach)
        for test in tests:
            record(back, test, {"left": [8 + weeks_ago], "right": [12]}, on, head_coach)
    plan = assignment_for(back)
    for n in range(1, 12):
        on = (today - datetime.timedelta(days=3 * n)).isoformat()
        done = session(plan, on, n, rpe=Decimal(5), minutes=30, pain=n % 4)
        logged_set(back, on, contacts=50, session=done, pain=2)
    assignment_for(back)
    _page_queries(client, back)
    many = _page_queries(client, back)

    assert many == few
