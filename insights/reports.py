"""Team reports, read through the selectors and built in a fixed number of queries.

- the test report: each athlete's latest result on one test across a team (or every athlete the
  user sees), best first, with pass or fail and the reasons, and the distribution of the values;
  a leaderboard for tests where more is better;
- the training report: compliance and session load per athlete per week (programs.figures).

Pass or fail is the worker's stored evaluation of the result; a result it has not evaluated yet
is evaluated for the screen with the same rules (assessments.views.evaluate_for_display), as the
test-day grid does. Per-side tests are ranked by the weaker side.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from assessments.evaluation import combine
from assessments.models import Result, Test
from assessments.selectors import baselines_visible_to, results_visible_to
from assessments.views import evaluate_for_display, number, values_of, values_text
from athletes.exports_common import csv_stream
from athletes.models import Athlete, Organisation, Team, User
from athletes.selectors import athletes_visible_to
from programs.figures import Figures, totals_by_athlete, totals_by_week, week_start, weekly_figures

BINS = 8
MAX_WEEKS = 26
DEFAULT_WEEKS = 4
# What the reports read of an athlete and a result (the rules read sex and date of birth); the
# rest of a row is left in the database, a few hundred rows at a time.
ATHLETE_FIELDS = ("id", "organisation_id", "first_name", "last_name", "sex", "date_of_birth")
RESULT_FIELDS = (
    "id",
    "athlete_id",
    "test_id",
    "date",
    "left",
    "right",
    "both",
    "lsi",
    "passed",
    "reasons",
    "evaluated_at",
)


def report_athletes(
    user: User, *, organisation: Organisation, team: Team | None
) -> QuerySet[Athlete]:
    """The active athletes the user sees in the organisation (on `team` if given), by name."""
    athletes = athletes_visible_to(user, organisation=organisation)
    if team is not None:
        athletes = athletes.filter(pk__in=team.athletes.values("id"))
    return athletes.only(*ATHLETE_FIELDS).order_by("last_name", "first_name", "id")


# --- the test report ------------------------------------------------------------------------------


@dataclass
class TestRow:
    __test__ = False  # not a pytest test class

    athlete: Athlete
    result: Result | None = None
    score: Decimal | None = None
    passed: bool | None = None
    evaluated: bool = False
    reasons: list[str] = field(default_factory=list)
    position: int | None = None  # 1, 2, 2, 4 … (ties share a place); None: not tested
    values: str = ""
    score_text: str = ""
    lsi_text: str = ""
    url: str = ""  # the athlete's results
    date_html: str = ""  # <time> of the result's date
    outcome_html: str = ""  # the outcome's badge
    outcome_class: str = ""  # outcome-pass, outcome-not-tested …
    reasons_text: str = ""

    @property
    def outcome(self) -> str:
        if self.result is None:
            return "not tested"
        if self.passed is True:
            return "pass"
        if self.passed is False:
            return "fail"
        return "no rule" if self.evaluated else "awaiting evaluation"


@dataclass
class Bin:
    low: Decimal
    high: Decimal  # excluded, except for the last bin
    label: str
    count: int = 0
    passed: int = 0
    failed: int = 0

    @property
    def other(self) -> int:
        return self.count - self.passed - self.failed


@dataclass
class TestReport:
    __test__ = False

    test: Test
    team: Team | None
    rows: list[TestRow]
    bins: list[Bin]

    @property
    def tested(self) -> list[TestRow]:
        return [row for row in self.rows if row.result is not None]

    @property
    def leaderboard(self) -> list[TestRow]:
        """Tested athletes by place; only for tests where more is better."""
        return self.tested if self.test.higher_is_better else []

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


def score_of(test: Test, result: Result) -> Decimal | None:
    """The value a team is ranked by: the combined value, or the weaker side of a per-side test."""
    if not test.per_side:
        return result.both
    sides = [result.left, result.right]
    return combine(sides, "best", higher_is_better=not test.higher_is_better)


def test_report(
    user: User, *, organisation: Organisation, test: Test, team: Team | None = None
) -> TestReport:
    """Each athlete's latest result on `test`, best first, then the athletes not tested."""
    scoped = report_athletes(user, organisation=organisation, team=team)
    athletes = list(scoped)
    latest = {
        result.athlete_id: result
        for result in results_visible_to(user, organisation=organisation)
        .filter(test=test, athlete_id__in=scoped.order_by().values("id"))
        .only(*RESULT_FIELDS)
        .order_by("athlete_id", "-date", "-id")
        .distinct("athlete_id")
    }
    results_url = _url_maker("athlete_results")
    baselines = None
    unevaluated = {pk for pk, r in latest.items() if r.evaluated_at is None}
    if unevaluated:
        # The rules of a team apply to its athletes: their teams, for those evaluated here.
        prefetch_related_objects(
            [a for a in athletes if a.pk in unevaluated],
            Prefetch("teams", queryset=Team.objects.only("id")),
        )
        baselines = list(
            baselines_visible_to(user, organisation=organisation)
            .filter(test=test)
            .prefetch_related("norms")
            .order_by("id")
        )
    rows = []
    for athlete in athletes:
        row = TestRow(athlete=athlete)
        result = latest.get(athlete.pk)
        if result is not None:
            result.test = test
            row.result, row.score = result, score_of(test, result)
            row.values = values_text(test, values_of(result))
            row.score_text = number(row.score, test.decimals) if row.score is not None else ""
            row.lsi_text = f"{number(result.lsi)} %" if result.lsi is not None else ""
            if result.evaluated_at is not None:
                row.passed, row.reasons, row.evaluated = result.passed, list(result.reasons), True
            else:
                evaluation = evaluate_for_display(
                    test, athlete, values_of(result), result.date, baselines=baselines
                )
                # What the worker will store: the failures, else the rules met.
                row.passed = evaluation.passed
                row.reasons = evaluation.reasons or evaluation.notes
            row.date_html = format_html(
                '<time datetime="{}">{}</time>', result.date.isoformat(), day_text(result.date)
            )
        row.url = results_url(athlete.pk)
        row.outcome_html = _badge(row.outcome)
        row.outcome_class = "outcome-" + row.outcome.replace(" ", "-")
        row.reasons_text = "; ".join(str(reason) for reason in row.reasons)
        rows.append(row)
    ranked = sorted(
        (r for r in rows if r.score is not None),
        key=lambda r: -r.score if test.higher_is_better else r.score,
    )  # stable: ties keep the name order
    _place(ranked)
    rest = [r for r in rows if r.score is None]
    return TestReport(
        test=test, team=team, rows=ranked + rest, bins=histogram(ranked, decimals=test.decimals)
    )


def _badge(outcome: str) -> str:
    # mark_safe on literals only: there is nothing to escape.
    if outcome == "pass":
        return mark_safe('<span class="badge badge-pass">Pass</span>')  # nosec B308
    if outcome == "fail":
        return mark_safe('<span class="badge badge-fail">Fail</span>')  # nosec B308
    return format_html('<span class="badge">{}</span>', outcome.capitalize())


def day_text(day: datetime.date) -> str:
    """A date as the pages show it (the `j M Y` of Django's date filter): 3 Nov 2026."""
    return f"{day.day} {day:%b %Y}"


_SENTINEL = 918273645


def _url_maker(name: str):
    """id -> the URL named `name` for that id: reversed once for a whole table, not per row."""
    pattern = reverse(name, args=[_SENTINEL])
    before, _, after = pattern.partition(str(_SENTINEL))
    return lambda pk: f"{before}{int(pk)}{after}"


def _place(rows: list[TestRow]) -> None:
    """Standard competition places: equal values share a place, the next one skips (1, 2, 2, 4)."""
    previous = None
    for index, row in enumerate(rows, start=1):
        row.position = previous.position if previous and previous.score == row.score else index
        previous = row


def histogram(rows: list[TestRow], *, decimals: int = 0, bins: int = BINS) -> list[Bin]:
    """Equal-width bins of a round width (1, 2, 2.5 or 5 × a power of ten) covering the scores;
    each counts its athletes and how many passed and failed."""
    scores = [row.score for row in rows if row.score is not None]
    if not scores:
        return []
    low, high = min(scores), max(scores)
    step = _round_step((high - low) / bins, decimals)
    start = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    count = int(((high - start) / step).to_integral_value(rounding=ROUND_FLOOR)) + 1
    integral = decimals == 0 and step == step.to_integral_value()
    integral = integral and all(s == s.to_integral_value() for s in scores)
    result = []
    for i in range(count):
        lower, upper = start + i * step, start + (i + 1) * step
        if integral:
            label = f"{number(lower)}–{number(upper - 1)}" if step > 1 else number(lower)
        else:
            label = f"{number(lower)} to under {number(upper)}"
        result.append(Bin(low=lower, high=upper, label=label))
    for row in rows:
        if row.score is None:
            continue
        item = result[min(int((row.score - start) // step), count - 1)]
        item.count += 1
        item.passed += row.passed is True
        item.failed += row.passed is False
    return result


def _round_step(raw: Decimal, decimals: int) -> Decimal:
    smallest = Decimal(1).scaleb(-decimals)
    if raw <= 0:
        return smallest
    magnitude = Decimal(1).scaleb(math.floor(math.log10(raw)))
    step = next(
        m * magnitude
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if m * magnitude >= raw
    )
    step = max(step, smallest)
    if decimals == 0:
        step = step.to_integral_value(rounding="ROUND_CEILING")
    return step


def distribution_chart(report: TestReport) -> dict:
    """A Chart.js stacked bar config: athletes per bin, passed / failed / other."""
    datasets = [
        ("Pass", "passed", "#1b7f3a"),
        ("Fail", "failed", "#b42318"),
        ("No outcome", "other", "#8a8f98"),
    ]
    unit = report.test.unit
    weaker = " (weaker side)" if report.test.per_side else ""
    return {
        "type": "bar",
        "data": {
            "labels": [b.label for b in report.bins],
            "datasets": [
                {
                    "label": label,
                    "data": [getattr(b, name) for b in report.bins],
                    "backgroundColor": colour,
                }
                for label, name, colour in datasets
            ],
        },
        "options": {
            "scales": {
                "x": {"stacked": True, "title": {"display": True, "text": f"{unit}{weaker}"}},
                "y": {
                    "stacked": True,
                    "beginAtZero": True,
                    "ticks": {"precision": 0},
                    "title": {"display": True, "text": "Athletes"},
                },
            },
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


TEST_COLUMNS = (
    "place",
    "athlete_id",
    "first_name",
    "last_name",
    "date",
    "left",
    "right",
    "both",
    "lsi",
    "score",
    "outcome",
    "reasons",
)
LEADERBOARD_COLUMNS = ("rank", "athlete_id", "first_name", "last_name", "value")


def _shown(value: Decimal | None, decimals: int) -> Decimal | None:
    """A value with the test's decimals, as the page shows it (300, not 300.00)."""
    return None if value is None else value.quantize(Decimal(1).scaleb(-decimals))


def test_report_lines(report: TestReport, *, leaderboard: bool = False) -> Iterator[str]:
    """The report's table as CSV lines (the leaderboard's when asked)."""
    places = report.test.decimals
    if leaderboard:
        return csv_stream(
            LEADERBOARD_COLUMNS,
            (
                (
                    r.position,
                    r.athlete.pk,
                    r.athlete.first_name,
                    r.athlete.last_name,
                    _shown(r.score, places),
                )
                for r in report.leaderboard
            ),
        )

    def rows():
        for row in report.rows:
            result = row.result
            yield (
                row.position,
                row.athlete.pk,
                row.athlete.first_name,
                row.athlete.last_name,
                result.date if result else None,
                _shown(result.left, places) if result else None,
                _shown(result.right, places) if result else None,
                _shown(result.both, places) if result else None,
                _shown(result.lsi, 1) if result else None,
                _shown(row.score, places),
                row.outcome,
                row.reasons,
            )

    return csv_stream(TEST_COLUMNS, rows())


# --- the training report --------------------------------------------------------------------------


@dataclass
class Cell:
    week: datetime.date
    figures: Figures

    @property
    def compliance_pct(self) -> int | None:
        compliance = self.figures.compliance
        return None if compliance is None else round(compliance * 100)

    @property
    def load(self) -> Decimal:
        return Decimal(str(self.figures.session_load)).normalize() + 0  # 150, not 1.5E+2

    @property
    def html(self) -> str:
        """The cell's two table cells: compliance (done/due) and load."""
        pct = self.compliance_pct
        return format_html(
            "<td>{} <small>({}/{})</small></td><td>{}</td>",
            "—" if pct is None else f"{pct} %",
            self.figures.completed,
            self.figures.scheduled,
            self.load,
        )


@dataclass
class TrainingRow:
    athlete: Athlete
    cells: list[Cell]
    total: Cell
    url: str = ""  # the athlete's page

    @property
    def cells_html(self) -> str:
        """Every week's cells then the total's, built here rather than one include per cell."""
        return format_html_join("", "{}", ((cell.html,) for cell in [*self.cells, self.total]))


@dataclass
class TrainingReport:
    team: Team | None
    weeks: list[datetime.date]
    rows: list[TrainingRow]
    team_cells: list[Cell]
    team_total: Cell

    @property
    def first_day(self) -> datetime.date:
        return self.weeks[0]

    @property
    def last_day(self) -> datetime.date:
        return self.weeks[-1] + datetime.timedelta(days=6)


def report_weeks(end: datetime.date, count: int) -> list[datetime.date]:
    """The Mondays of the `count` weeks up to the week of `end`, oldest first."""
    last = week_start(end)
    return [last - datetime.timedelta(weeks=i) for i in range(count - 1, -1, -1)]


def training_report(
    user: User,
    *,
    organisation: Organisation,
    team: Team | None = None,
    end: datetime.date,
    weeks: int = DEFAULT_WEEKS,
    today: datetime.date | None = None,
) -> TrainingReport:
    scoped = report_athletes(user, organisation=organisation, team=team)
    athletes = list(scoped)
    mondays = report_weeks(end, weeks)
    figures = weekly_figures(
        athlete_ids=scoped.order_by().values("id"),
        start=mondays[0],
        end=mondays[-1] + datetime.timedelta(days=6),
        today=today,
    )
    by_week, by_athlete = totals_by_week(figures), totals_by_athlete(figures)
    athlete_url = _url_maker("athlete_detail")
    rows = [
        TrainingRow(
            athlete=athlete,
            cells=[Cell(w, figures.get((athlete.pk, w), Figures())) for w in mondays],
            total=Cell(mondays[0], by_athlete.get(athlete.pk, Figures())),
            url=athlete_url(athlete.pk),
        )
        for athlete in athletes
    ]
    total = Figures()
    for item in by_week.values():
        total.add(item)
    return TrainingReport(
        team=team,
        weeks=mondays,
        rows=rows,
        team_cells=[Cell(w, by_week.get(w, Figures())) for w in mondays],
        team_total=Cell(mondays[0], total),
    )


TRAINING_COLUMNS = (
    "athlete_id",
    "first_name",
    "last_name",
    "week",
    "sessions_completed",
    "sessions_scheduled",
    "compliance_pct",
    "session_load",
)


def training_report_lines(report: TrainingReport) -> Iterator[str]:
    """One line per athlete and week, as in the table."""

    def rows():
        for row in report.rows:
            for cell in row.cells:
                yield (
                    row.athlete.pk,
                    row.athlete.first_name,
                    row.athlete.last_name,
                    cell.week,
                    cell.figures.completed,
                    cell.figures.scheduled,
                    cell.compliance_pct,
                    cell.load,
                )

    return csv_stream(TRAINING_COLUMNS, rows())


def training_chart(report: TrainingReport) -> dict:
    """The team's weekly compliance (bars, %) and session load (line, AU)."""
    return {
        "type": "bar",
        "data": {
            "labels": [f"{w:%d %b}" for w in report.weeks],
            "datasets": [
                {
                    "type": "bar",
                    "label": "Compliance (%)",
                    "data": [c.compliance_pct for c in report.team_cells],
                    "backgroundColor": "#1b7f3a",
                    "yAxisID": "y",
                },
                {
                    "type": "line",
                    "label": "Session load (AU)",
                    "data": [float(c.load) for c in report.team_cells],
                    "borderColor": "#b54708",
                    "backgroundColor": "#b54708",
                    "yAxisID": "load",
                },
            ],
        },
        "options": {
            "scales": {
                "y": {
                    "beginAtZero": True,
                    "max": 100,
                    "title": {"display": True, "text": "Compliance (%)"},
                },
                "load": {
                    "beginAtZero": True,
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": "Session load (AU)"},
                },
            },
            "plugins": {"legend": {"position": "bottom"}},
        },
    }
