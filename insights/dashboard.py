"""The coach's dashboard: the state of a club, or one of its teams, in one read.

`dashboard_for(user=, organisation=, team=None)` builds every section for the requesting staff
member, scoped through athletes.selectors (a coach of the Forwards sees the Forwards only):

- open flags (status "open": pain, load, and failed tests without a protocol) with their
  reasons, for one-click resolve/dismiss through the flag inbox's actions;
- athletes on a protocol (flags on protocol or with their retest due) and their retest dates;
- retests due or overdue (an active flag whose retest date is within `RETEST_SOON_DAYS`);
- this week's compliance per team (programs.figures);
- athletes who reported pain above 5/10 this week or last week, or pain rising week on week
  (the sweep's rules: assessments.sweep.PAIN_LIMIT and RISING_PAIN_FLOOR; a week's pain is its
  highest, from sessions and logged sets, from programs.figures);
- recent test days with their results and fails.

Reads only, and a constant number of queries whatever the size of the club: every section is
one query (or two: a prefetch, the two figure queries) over the scoped athletes, aggregated in
the database; lists are cut at `LIST_LIMIT` rows (open flags at `FLAG_CARDS` cards), with their
full counts.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import CLOSED, Flag, FlagStatus, Result, TestDay
from assessments.selectors import flags_visible_to, test_days_visible_to
from assessments.sweep import PAIN_LIMIT, RISING_PAIN_FLOOR
from athletes.models import Athlete, Organisation, Role, Team, User
from athletes.selectors import athletes_visible_to, membership_in, teams_visible_to
from programs.figures import Figures, team_figures, week_start, weekly_pain

LIST_LIMIT = 25
FLAG_CARDS = 10  # open flags shown as cards; the flag inbox has them all
RETEST_SOON_DAYS = 7
PAIN_WEEKS = 3  # this week and the two before: a rise last week counts too
RECENT_TEST_DAYS = 8
PROTOCOL_STATUSES = [FlagStatus.ON_PROTOCOL, FlagStatus.RETEST_DUE]
# What the flag lists show: not the athlete's notes, the test's protocol text or the program's
# description, which would travel with every row of a select_related.
FLAG_FIELDS = (
    "kind",
    "status",
    "reasons",
    "retest_due",
    "created_at",
    "athlete",
    "athlete__first_name",
    "athlete__last_name",
    "test",
    "test__name",
)
PROTOCOL_FIELDS = ("protocol", "protocol__start_date", "protocol__template__name")


@dataclass
class TeamCompliance:
    team: Team | None  # None: athletes on no team
    figures: Figures = field(default_factory=Figures)

    @property
    def athletes(self) -> int:
        return len(self.figures.athletes)

    @property
    def percent(self) -> int | None:
        value = self.figures.compliance
        return None if value is None else round(value * 100)


@dataclass
class PainReport:
    athlete_id: int
    name: str
    highest: int | None = None  # the week's highest pain, when above the limit
    highest_in: datetime.date | None = None  # the Monday of that week
    rising_from: int | None = None  # the week before's pain, when the week's is higher
    rising_to: int | None = None
    rising_in: datetime.date | None = None
    morning: int | None = None  # the highest morning check-in pain or stiffness, when above
    morning_on: datetime.date | None = None  # the limit this week or last week, and its day
    morning_area: str = ""  # e.g. "Achilles stiffness"


@dataclass
class Retest:
    flag: Flag
    days: int  # days until the retest; negative when overdue

    @property
    def overdue(self) -> bool:
        return self.days < 0

    @property
    def label(self) -> str:
        if self.days < 0:
            return f"overdue by {-self.days} day{'s' if self.days != -1 else ''}"
        if self.days == 0:
            return "due today"
        return f"due in {self.days} day{'s' if self.days != 1 else ''}"


@dataclass
class Dashboard:
    organisation: Organisation
    team: Team | None
    today: datetime.date
    week: datetime.date
    teams: list[Team]
    athlete_count: int
    open_flags: list[Flag]
    open_flag_count: int
    protocols: list[Flag]
    protocol_count: int
    retests: list[Retest]
    retest_count: int
    compliance: list[TeamCompliance]
    pain: list[PainReport]
    test_days: list[TestDay]


def scoped_athletes(user: User, *, organisation, team: Team | None = None) -> QuerySet[Athlete]:
    """The active athletes the user sees in the organisation, on `team` if given."""
    athletes = athletes_visible_to(user, organisation=organisation)
    if team is not None:
        athletes = athletes.filter(
            id__in=Athlete.teams.through.objects.filter(team=team).values("athlete_id")
        )
    return athletes


def dashboard_for(
    *,
    user: User,
    organisation: Organisation,
    team: Team | None = None,
    today: datetime.date | None = None,
) -> Dashboard:
    """Every section of the dashboard. `team` must be one of teams_visible_to(user) (the
    caller turns anything else into a 404)."""
    today = today or timezone.localdate()
    athletes = scoped_athletes(user, organisation=organisation, team=team)
    athlete_ids = athletes.values("id")
    visible_teams = teams_visible_to(user, organisation=organisation)
    teams = [team] if team is not None else list(visible_teams)
    flags = flags_visible_to(user, organisation=organisation).filter(athlete_id__in=athlete_ids)

    counts = flags.aggregate(
        open=Count("id", filter=Q(status=FlagStatus.OPEN)),
        protocol=Count("id", filter=Q(status__in=PROTOCOL_STATUSES)),
        retests=Count(
            "id",
            filter=Q(retest_due__lte=today + datetime.timedelta(days=RETEST_SOON_DAYS))
            & ~Q(status__in=CLOSED),
        ),
    )
    return Dashboard(
        organisation=organisation,
        team=team,
        today=today,
        week=week_start(today),
        teams=teams,
        athlete_count=athletes.count(),
        open_flags=open_flags(flags, visible_teams),
        open_flag_count=counts["open"],
        protocols=protocol_flags(flags),
        protocol_count=counts["protocol"],
        retests=retests_due(flags, today=today),
        retest_count=counts["retests"],
        compliance=compliance_by_team(athletes, teams=teams, today=today),
        pain=pain_reports(athletes, pain=weekly_pains(athletes, today=today), today=today),
        test_days=recent_test_days(
            user, organisation=organisation, team=team, athletes=athletes, today=today
        ),
    )


def open_flags(flags: QuerySet[Flag], teams: QuerySet[Team]) -> list[Flag]:
    """The newest FLAG_CARDS open flags, with what their cards show (two queries)."""
    return list(
        flags.filter(status=FlagStatus.OPEN)
        .select_related("athlete", "test", "protocol__template")
        .only(*FLAG_FIELDS, *PROTOCOL_FIELDS)
        .prefetch_related(Prefetch("athlete__teams", queryset=teams.only("id", "name")))
        .order_by("-created_at", "-id")[:FLAG_CARDS]
    )


def protocol_flags(flags: QuerySet[Flag]) -> list[Flag]:
    """Flags whose athlete is on a protocol, soonest retest first (one query)."""
    return list(
        flags.filter(status__in=PROTOCOL_STATUSES)
        .select_related("athlete", "test", "protocol__template")
        .only(*FLAG_FIELDS, *PROTOCOL_FIELDS)
        .order_by("retest_due", "athlete__last_name", "athlete__first_name", "id")[:LIST_LIMIT]
    )


def retests_due(flags: QuerySet[Flag], *, today: datetime.date) -> list[Retest]:
    """Active flags whose retest date has passed or comes within RETEST_SOON_DAYS (one query)."""
    rows = (
        flags.exclude(status__in=CLOSED)
        .filter(retest_due__lte=today + datetime.timedelta(days=RETEST_SOON_DAYS))
        .select_related("athlete", "test")
        .only(*FLAG_FIELDS)
        .order_by("retest_due", "athlete__last_name", "athlete__first_name", "id")[:LIST_LIMIT]
    )
    return [Retest(flag=flag, days=(flag.retest_due - today).days) for flag in rows]


def weekly_pains(athletes: QuerySet[Athlete], *, today: datetime.date) -> dict:
    """{(athlete id, Monday): the week's highest pain} for this week and the two before, weeks
    with pain only (programs.figures.weekly_pain; one query)."""
    return weekly_pain(
        athlete_ids=athletes.values("id"),
        start=week_start(today) - datetime.timedelta(days=7 * (PAIN_WEEKS - 1)),
        end=today,
        today=today,
    )


def compliance_by_team(
    athletes: QuerySet[Athlete], *, teams: list[Team], today: datetime.date
) -> list[TeamCompliance]:
    """This week's compliance (Monday to today) per team, added up in the database
    (programs.figures.team_figures; two queries). An athlete on two teams counts in both;
    athletes on none of the teams listed are left out."""
    figures = team_figures(
        athlete_ids=athletes.values("id"),
        team_ids=[team.id for team in teams],
        start=week_start(today),
        end=today,
        today=today,
    )
    return [TeamCompliance(team=team, figures=figures[team.id]) for team in teams]


def pain_reports(
    athletes: QuerySet[Athlete], *, pain: dict, today: datetime.date
) -> list[PainReport]:
    """Athletes whose highest pain this week or last week was above PAIN_LIMIT (5/10), or whose
    weekly pain rose (this week's or last week's highest above the week before's, which was
    above 0, and at least RISING_PAIN_FLOOR), as the nightly sweep judges it. A week's pain is
    its highest, from completed sessions and logged sets (programs.figures, as in
    programs.selectors.weekly_pain). Also athletes whose morning check-in had pain or stiffness
    above 5/10 in any area this week or last week. Two queries: the painful check-ins, the
    names of the athletes found."""
    monday = week_start(today)
    weeks = [monday - datetime.timedelta(days=7 * n) for n in range(PAIN_WEEKS)]
    weekly: dict[int, dict[datetime.date, int]] = defaultdict(dict)
    for (athlete_id, week), most in pain.items():
        weekly[athlete_id][week] = most
    reports: dict[int, PainReport] = {}
    for athlete_id, pains in weekly.items():
        report = PainReport(athlete_id, "")
        for week in weeks[:2]:  # this week, then last week
            if (pains.get(week) or 0) > PAIN_LIMIT and report.highest is None:
                report.highest, report.highest_in = pains[week], week
        for week in weeks[:2]:  # the latest rise counts
            now, before = pains.get(week), pains.get(week - datetime.timedelta(days=7))
            if now and before and now > before > 0 and now >= RISING_PAIN_FLOOR:
                report.rising_from, report.rising_to, report.rising_in = before, now, week
                break
        if report.highest is not None or report.rising_to is not None:
            reports[athlete_id] = report
    for checkin in morning_pain(athletes, since=weeks[1], today=today):
        report = reports.setdefault(checkin.athlete_id, PainReport(checkin.athlete_id, ""))
        if report.morning is None or checkin.worst_pain > report.morning:
            report.morning, report.morning_on = checkin.worst_pain, checkin.date
            report.morning_area = checkin.worst_area
    names = Athlete.objects.filter(id__in=list(reports)).values_list(
        "id", "first_name", "last_name"
    )
    for athlete_id, first, last in names if reports else []:
        reports[athlete_id].name = f"{first} {last}".strip()
    return sorted(
        reports.values(),
        key=lambda r: (
            -max(r.highest or 0, r.morning or 0),
            -(r.rising_to or 0),
            r.name,
            r.athlete_id,
        ),
    )


def morning_pain(athletes: QuerySet[Athlete], *, since: datetime.date, today: datetime.date):
    """Morning check-ins since `since` with pain or stiffness above PAIN_LIMIT in any area
    (checkins.selectors; one query)."""
    from checkins.selectors import painful_checkins

    return painful_checkins(athletes, since=since, until=today)


def recent_test_days(
    user: User,
    *,
    organisation: Organisation,
    team: Team | None,
    athletes: QuerySet[Athlete],
    today: datetime.date,
) -> list[TestDay]:
    """The latest test days of the teams the user sees, with how many of the athletes they see
    were tested and failed (one query; the counts are subqueries, so only the days shown are
    counted). Club-wide test days (no team) show for the head coach and physios, who see the
    whole club."""
    days = test_days_visible_to(user, organisation=organisation).filter(date__lte=today)
    if team is not None:
        days = days.filter(team=team)
    else:
        membership = membership_in(user, getattr(organisation, "id", organisation))
        scope = Q(team__in=teams_visible_to(user, organisation=organisation))
        if membership is not None and membership.role != Role.COACH:
            scope |= Q(team__isnull=True)
        days = days.filter(scope)
    mine = Result.objects.filter(test_day=OuterRef("pk"), athlete_id__in=athletes.values("id"))
    return list(
        days.select_related("team", "test")
        .annotate(
            tested=_count(mine, Count("athlete_id", distinct=True)),
            failed=_count(mine.filter(passed=False), Count("id")),
        )
        .order_by("-date", "-id")[:RECENT_TEST_DAYS]
    )


def _count(rows: QuerySet, count: Count) -> Coalesce:
    """A correlated subquery counting `rows` (0 when there are none)."""
    counted = rows.order_by().values("test_day").annotate(n=count).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
