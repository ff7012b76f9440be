"""Team reports: a test's latest results across a team (sorted, pass or fail, distribution,
leaderboard), the training report (compliance and load per athlete per week), their CSV files,
printing, scoping and a query count that does not grow with the team.

A small hand-made dataset: Forwards are Fin Forward (ankling 240, fails), Ann Ahead (320) and
Cal Centre (320, evaluated only for the screen); Backs have Bea Back (310).
"""

import csv
import datetime
import html as entities
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import baselines
from assessments import services as assessments
from programs import services as programs
from programs.figures import week_start
from tests.conftest import login
from tests.factories import AthleteFactory
from tests.program_pages import TODAY, D, assigned, table_row, text

pytestmark = pytest.mark.django_db

DAY = TODAY - D(days=7)


def html(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response.content.decode()


def record(athlete, test, trials, by, *, date=DAY, evaluate=True):
    result, _ = assessments.result_record(
        athlete=athlete, test=test, trials=trials, recorded_by=by, date=date
    )
    if evaluate:
        assessments.result_evaluate(result_id=result.id, today=date)
    return result


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def table(page: str, table_id: str) -> list[list[str]]:
    """The body rows of the table with this id, as the text of their cells."""
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    return [
        [
            entities.unescape(text(cell))
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def report_url(test, **query) -> str:
    url = reverse("report_test", args=[test.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def squad(club, forwards, backs, forward, back, head_coach, ankling):
    ahead = AthleteFactory(organisation=club, teams=[forwards], first_name="Ann", last_name="Ahead")
    centre = AthleteFactory(
        organisation=club, teams=[forwards], first_name="Cal", last_name="Centre"
    )
    record(ahead, ankling, {"both": [200]}, head_coach, date=DAY - D(days=30))  # older
    record(ahead, ankling, {"both": [320]}, head_coach)
    record(forward, ankling, {"both": [240]}, head_coach)
    record(centre, ankling, {"both": [320]}, head_coach, evaluate=False)
    record(back, ankling, {"both": [310]}, head_coach)
    return {"ahead": ahead, "centre": centre, "forward": forward, "back": back}


# --- the test report ------------------------------------------------------------------------------


def test_report_lists_the_latest_result_per_athlete_best_first_with_pass_or_fail(
    client, head_coach, forwards, ankling, squad
):
    page = html(login(client, head_coach).get(report_url(ankling, team=forwards.pk)))

    rows = table(page, "results")
    assert [row[:4] for row in rows] == [
        ["1", "Ann Ahead", f"{DAY:%-d %b %Y}", "320 reps"],
        ["1", "Cal Centre", f"{DAY:%-d %b %Y}", "320 reps"],
        ["3", "Fin Forward", f"{DAY:%-d %b %Y}", "240 reps"],
    ]
    assert [row[4:] for row in rows] == [
        ["Pass", "320 reps ≥ 300"],
        ["Pass", "320 reps ≥ 300"],  # not yet evaluated by the worker: evaluated for the screen
        ["Fail", "240 reps < 300"],
    ]
    assert "Bea Back" not in page
    assert "1 failed" in text(page) and "2 passed" in text(page)


def test_athletes_without_a_result_come_last_as_not_tested(
    client, head_coach, club, forwards, ankling, squad
):
    AthleteFactory(organisation=club, teams=[forwards], first_name="Ned", last_name="New")

    rows = table(
        html(login(client, head_coach).get(report_url(ankling, team=forwards.pk))), "results"
    )

    assert rows[-1] == ["", "Ned New", "", "–", "Not tested", ""]
    assert len(rows) == 4


def test_lower_is_better_tests_sort_fastest_first_and_have_no_leaderboard(
    client, club, head_coach, forwards, forward, squad
):
    sprint = baselines.test_create(
        organisation=club,
        created_by=head_coach,
        name="Sprint 20 m",
        protocol="20 m from a standing start.",
        unit="s",
        per_side=False,
        higher_is_better=False,
        plausible_min=1,
        plausible_max=10,
        decimals=2,
    )
    baselines.baseline_set(
        test=sprint, organisation=club, kind="threshold", comparator="lte", value=3,
        note="", set_by=head_coach,
    )  # fmt: skip
    record(forward, sprint, {"both": [3.25]}, head_coach)
    record(squad["ahead"], sprint, {"both": [2.95]}, head_coach)
    login(client, head_coach)

    rows = table(html(client.get(report_url(sprint, team=forwards.pk))), "results")
    leaderboard = client.get(report_url(sprint, view="leaderboard"))

    assert [(r[0], r[1], r[3], r[4]) for r in rows[:2]] == [
        ("1", "Ann Ahead", "2.95 s", "Pass"),
        ("2", "Fin Forward", "3.25 s", "Fail"),
    ]
    assert leaderboard.status_code == 400
    assert leaderboard.content.decode().startswith("view:")


def test_per_side_tests_rank_by_the_weaker_side_and_show_the_lsi(
    client, head_coach, forwards, forward, heel_rise, squad
):
    record(forward, heel_rise, {"left": [30], "right": [20]}, head_coach)
    record(squad["ahead"], heel_rise, {"left": [26], "right": [27]}, head_coach)

    rows = table(
        html(login(client, head_coach).get(report_url(heel_rise, team=forwards.pk))), "results"
    )

    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows[:2]] == [
        ("1", "Ann Ahead", "left 26 · right 27 reps", "96.3 %", "Pass"),
        ("2", "Fin Forward", "left 30 · right 20 reps", "66.7 %", "Fail"),
    ]
    assert "right 20 reps < 25" in rows[1][6] and "LSI 67 % < 90 %" in rows[1][6]


def test_distribution_counts_each_range_with_passes_and_fails(client, head_coach, ankling, squad):
    page = html(login(client, head_coach).get(report_url(ankling)))

    # 240 … 320 in 8 bins → width 10: 240–249, …, 320–329.
    bins = {row[0]: row[1:] for row in table(page, "distribution")}
    assert list(bins) == [f"{low}–{low + 9}" for low in range(240, 330, 10)]
    assert bins["240–249"] == ["1", "0", "1", "0"]
    assert bins["310–319"] == ["1", "1", "0", "0"]
    assert bins["320–329"] == ["2", "2", "0", "0"]
    assert sum(int(v[0]) for v in bins.values()) == 4
    assert '<canvas data-chart="distribution-chart"' in page
    chart = page.split('id="distribution-chart" type="application/json">', 1)[1].split(
        "</script>", 1
    )[0]
    assert '"data": [0, 0, 0, 0, 0, 0, 0, 1, 2]' in chart  # passes per bin


def test_leaderboard_ranks_the_tested_athletes_for_a_more_is_better_test(
    client, head_coach, ankling, squad
):
    page = html(login(client, head_coach).get(report_url(ankling, view="leaderboard")))

    assert table(page, "leaderboard") == [
        ["1", "Ann Ahead", "320"],
        ["1", "Cal Centre", "320"],
        ["3", "Bea Back", "310"],
        ["4", "Fin Forward", "240"],
    ]


def test_test_report_csv_holds_the_rows_of_the_table(client, head_coach, forwards, ankling, squad):
    login(client, head_coach)
    page = html(client.get(report_url(ankling, team=forwards.pk)))

    lines = csv_rows(
        client.get(reverse("report_test_csv", args=[ankling.pk]) + f"?team={forwards.pk}")
    )

    header, *rows = lines
    assert header[:4] == ["place", "athlete_id", "first_name", "last_name"]
    shown = [
        [r["place"], f"{r['first_name']} {r['last_name']}", f"{r['both']} reps",
         r["outcome"].capitalize(), r["reasons"]]
        for r in (dict(zip(header, row, strict=True)) for row in rows)
    ]  # fmt: skip
    assert shown == [[r[0], r[1], r[3], r[4], r[5]] for r in table(page, "results")]
    assert rows[0][1] == str(squad["ahead"].pk)


def test_leaderboard_csv_has_rank_name_and_value(client, head_coach, forwards, ankling, squad):
    url = reverse("report_test_csv", args=[ankling.pk]) + f"?team={forwards.pk}&view=leaderboard"

    lines = csv_rows(login(client, head_coach).get(url))

    assert lines == [
        ["rank", "athlete_id", "first_name", "last_name", "value"],
        ["1", str(squad["ahead"].pk), "Ann", "Ahead", "320"],
        ["1", str(squad["centre"].pk), "Cal", "Centre", "320"],
        ["3", str(squad["forward"].pk), "Fin", "Forward", "240"],
    ]


def test_csv_escapes_names_a_spreadsheet_would_run(client, club, forwards, head_coach, ankling):
    athlete = AthleteFactory(organisation=club, teams=[forwards], first_name="=cmd", last_name="X")
    record(athlete, ankling, {"both": [300]}, head_coach)

    lines = csv_rows(login(client, head_coach).get(reverse("report_test_csv", args=[ankling.pk])))

    assert lines[1][2] == "'=cmd"


# --- the training report --------------------------------------------------------------------------


@pytest.fixture
def trained(club, forwards, forward, back, head_coach, calf):
    """Fin Forward did the first of last week's two sessions (RPE 5 × 30 min); Tom Tight, also
    on Forwards, has no program; Bea Back does the same program on Backs."""
    last_monday = week_start(TODAY) - D(days=7)
    teammate = AthleteFactory(
        organisation=club, teams=[forwards], first_name="Tom", last_name="Tight"
    )
    for athlete in (forward, back):
        session = assigned(calf, athlete, head_coach, start=last_monday).sessions.get(sequence=1)
        programs.session_complete(
            session=session, completed_by=head_coach, session_rpe=5, duration_minutes=30
        )
    return {"last_monday": last_monday, "teammate": teammate}


def test_training_report_shows_compliance_and_load_per_athlete_per_week(
    client, head_coach, forwards, forward, trained
):
    last_monday = trained["last_monday"]
    url = reverse("report_training") + f"?team={forwards.pk}&weeks=2&end={last_monday}"

    page = html(login(client, head_coach).get(url))

    earlier = last_monday - D(days=7)
    assert table_row(page, "Fin Forward") == [
        "Fin Forward",
        "— (0/0)",
        "0",
        "50 % (1/2)",
        "150",
        "50 % (1/2)",
        "150",
    ]
    assert table_row(page, "Tom Tight") == [
        "Tom Tight",
        "— (0/0)",
        "0",
        "— (0/0)",
        "0",
        "— (0/0)",
        "0",
    ]
    assert table_row(page, f"{last_monday:%d %b}") == [
        f"{last_monday:%d %b}",
        "1",
        "50 %",
        "1/2",
        "150",
    ]
    assert table_row(page, f"{earlier:%d %b}") == [f"{earlier:%d %b}", "0", "—", "0/0", "0"]
    assert "Bea Back" not in page
    assert '<canvas data-chart="training-chart"' in page


def test_training_report_defaults_to_the_last_four_weeks(client, head_coach):
    page = html(login(client, head_coach).get(reverse("report_training")))

    first = week_start(TODAY) - D(weeks=3)
    assert f"{first:%-d %b %Y} to {week_start(TODAY) + D(days=6):%-d %b %Y}" in page


def test_training_csv_holds_the_rows_of_the_table(client, head_coach, forwards, forward, trained):
    last_monday = trained["last_monday"]
    query = f"?team={forwards.pk}&weeks=2&end={last_monday}"
    login(client, head_coach)
    page = html(client.get(reverse("report_training") + query))

    header, *rows = csv_rows(client.get(reverse("report_training_csv") + query))

    assert header == [
        "athlete_id", "first_name", "last_name", "week", "sessions_completed",
        "sessions_scheduled", "compliance_pct", "session_load",
    ]  # fmt: skip
    assert len(rows) == 4  # 2 athletes × 2 weeks
    for athlete in (forward, trained["teammate"]):
        cells = table_row(page, athlete.full_name)[1:]
        mine = [r for r in rows if r[0] == str(athlete.pk)]
        shown = []
        for row in mine:
            compliance = f"{row[6]} %" if row[6] else "—"
            shown += [f"{compliance} ({row[4]}/{row[5]})", row[7]]
        assert shown == cells[:4], athlete
    assert [r[3] for r in rows if r[0] == str(forward.pk)] == [
        (last_monday - D(days=7)).isoformat(),
        last_monday.isoformat(),
    ]


@pytest.mark.parametrize(
    ("query", "param"),
    [("weeks=0", "weeks"), ("weeks=x", "weeks"), ("end=2026-13-01", "end"), ("team=x", "team")],
)
def test_bad_parameters_get_a_400_naming_them(client, head_coach, query, param):
    login(client, head_coach)
    for name in ("report_training", "report_training_csv"):
        response = client.get(reverse(name) + "?" + query)

        assert response.status_code == 400
        assert response.content.decode().startswith(f"{param}:")


# --- printing, charts, navigation -----------------------------------------------------------------


def test_pages_link_the_print_stylesheet_and_load_charts_without_inline_script(
    client, head_coach, ankling, squad
):
    login(client, head_coach)
    for url in (reverse("report_index"), report_url(ankling), reverse("report_training")):
        page = html(client.get(url))

        assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in page
        assert 'href="/reports/" aria-current="page">Reports</a>' in page
        assert " style=" not in page and " onclick=" not in page
        for tag in re.findall(r"<script[^>]*>", page):
            assert " src=" in tag or 'type="application/json"' in tag, tag
    for url in (report_url(ankling), reverse("report_training")):
        page = html(client.get(url))
        assert "/static/vendor/chartjs-4.5.1/chart.umd.min.js" in page
        assert "/static/js/charts.js" in page


def test_print_stylesheet_hides_navigation_and_filters_and_fits_a4():
    sheet = (Path(settings.BASE_DIR) / "static" / "css" / "print.css").read_text()

    assert "size: A4" in sheet
    hidden = sheet.split("display: none")[0]
    for selector in (".site-header", "nav", "button", ".report-filters", ".csv-link"):
        assert selector in hidden
    assert ".chart-box { height: 70mm" in sheet


def test_index_lists_the_teams_and_tests(client, head_coach, forwards, backs, ankling, squad):
    page = html(login(client, head_coach).get(reverse("report_index")))

    assert f'href="{reverse("report_training")}?team={forwards.pk}">Forwards</a>' in page
    assert f'href="{reverse("report_training")}?team={backs.pk}">Backs</a>' in page
    assert f'href="{report_url(ankling)}">Ankling' in page
    assert f'{report_url(ankling)}?view=leaderboard">leaderboard</a>' in page


# --- scoping --------------------------------------------------------------------------------------


def test_assistant_coach_sees_only_forwards(client, assistant_coach, backs, ankling, squad):
    login(client, assistant_coach)

    page = html(client.get(report_url(ankling)))
    lines = csv_rows(client.get(reverse("report_test_csv", args=[ankling.pk])))
    index = html(client.get(reverse("report_index")))

    assert "Fin Forward" in page and "Bea Back" not in page
    assert {row[3] for row in lines[1:]} == {"Ahead", "Centre", "Forward"}
    assert "Backs" not in index
    for name in ("report_training", "report_training_csv"):
        assert client.get(reverse(name) + f"?team={backs.pk}").status_code == 404
    assert client.get(report_url(ankling, team=backs.pk)).status_code == 404


def test_outsider_gets_404_for_our_teams_and_tests(
    client, outsider, club, head_coach, forwards, ankling, squad
):
    ours = baselines.test_create(
        organisation=club, created_by=head_coach, name="Harbour hop", protocol="Hop.",
        unit="cm", per_side=False, plausible_min=1, plausible_max=300,
    )  # fmt: skip
    login(client, outsider)

    assert client.get(report_url(ours)).status_code == 404
    assert client.get(reverse("report_test_csv", args=[ours.pk])).status_code == 404
    assert client.get(report_url(ankling, team=forwards.pk)).status_code == 404
    assert client.get(reverse("report_training") + f"?team={forwards.pk}").status_code == 404
    page = html(client.get(report_url(ankling)))  # the shipped test, their own club
    assert "Forward" not in page and "Ahead" not in page


def test_athletes_are_denied_the_reports(client, athlete_user, forwards, ankling):
    login(client, athlete_user)

    for url in (
        reverse("report_index"),
        report_url(ankling),
        reverse("report_test_csv", args=[ankling.pk]),
        reverse("report_training"),
        reverse("report_training_csv") + f"?team={forwards.pk}",
    ):
        assert client.get(url).status_code == 403, url


# --- queries --------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def test_reports_run_the_same_number_of_queries_for_a_bigger_team(
    client, club, head_coach, calf, forwards, forward, ankling, heel_rise, squad
):
    last_monday = week_start(TODAY) - D(days=7)
    assigned(calf, forward, head_coach, start=last_monday)
    record(forward, heel_rise, {"left": [30], "right": [20]}, head_coach, evaluate=False)
    urls = [
        reverse("report_index"),
        report_url(ankling, team=forwards.pk),
        report_url(ankling, team=forwards.pk, view="leaderboard"),
        reverse("report_test_csv", args=[ankling.pk]) + f"?team={forwards.pk}",
        report_url(heel_rise, team=forwards.pk),
        reverse("report_training") + f"?team={forwards.pk}",
        reverse("report_training_csv") + f"?team={forwards.pk}",
    ]
    login(client, head_coach)
    for url in urls:
        client.get(url)  # warm caches (session, content types)
    small = [_queries(client, url) for url in urls]
    for number in range(8):
        athlete = AthleteFactory(organisation=club, teams=[forwards], first_name=f"Extra{number}")
        record(athlete, ankling, {"both": [250 + number * 10]}, head_coach, evaluate=number % 2)
        record(athlete, heel_rise, {"left": [20], "right": [26]}, head_coach, evaluate=False)
        assigned(calf, athlete, head_coach, start=last_monday)

    big = [_queries(client, url) for url in urls]

    assert big == small
    assert datetime.date.today()  # the dataset is dated relative to today
