"""Benchmark of the coach's pages: queries per render and server time for a club of 500.

    .venv/bin/python bench/insights/run.py                 # 500 athletes, 2 seasons, 30 renders
    .venv/bin/python bench/insights/run.py --renders 100   # more renders per page
    .venv/bin/python bench/insights/run.py --keep          # keep the scratch database
    .venv/bin/python bench/insights/run.py --reuse --slow 5  # reuse it (migrated); slowest SQL

1. Creates the scratch database baseline_bench_insights on the server of DATABASE_URL (or on
   the embedded Postgres that scripts/dev.py starts), migrates it, and loads one club with
   bulk_create: `--athletes` athletes on four teams, two seasons (`--weeks`, 100) of a
   twice-weekly program (sessions, 85 % completed with RPE, minutes and sometimes pain, one
   logged set each), a test day of ankling and heel-rise per team every 12 weeks with every
   athlete's result, closed flags from past seasons, and today's state: open flags, athletes
   on the ankling protocol, retests due and overdue, painful and rising-pain athletes.
2. Renders every page of `PAGES` whose URL name exists (`measured_pages`) with the Django test
   client as the head coach, `--renders` times after two warm-up renders, and prints the
   queries per render (they must not vary) and the server time p50 / p95, with the median
   CPU time of this process (Python: views and templates) and of the SQL as the client saw it
   (which on a busy machine includes waiting for a core). Target: under 200 ms. Add a page to
   measure by adding its URL name to PAGES.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scratch import run_sql, scratch_urls  # noqa: E402

SCRATCH = "baseline_bench_insights"
TEAMS = ["Forwards", "Backs", "Academy", "Women"]
BATCH = 5000


@dataclass(frozen=True)
class Page:
    """A page to measure: its label, URL name, and URL kwargs and query with {placeholders}
    filled from the loaded club's ids (team, test)."""

    label: str
    url_name: str
    kwargs: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)


PAGES = [
    Page("dashboard, whole club", "dashboard"),
    Page("dashboard, one team", "dashboard", query={"team": "{team}"}),
    Page("team report: ankling", "report_test", kwargs={"test_id": "{test}"}),
    Page(
        "team report: ankling, one team",
        "report_test",
        kwargs={"test_id": "{test}"},
        query={"team": "{team}"},
    ),
    Page("team report: training", "report_training", query={"team": "{team}"}),
]


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--athletes", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=100, help="weeks of training (2 seasons)")
    parser.add_argument("--renders", type=int, default=30, help="renders per page")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a kept scratch database (migrated, not reloaded); implies --keep",
    )
    parser.add_argument(
        "--slow", type=int, default=0, metavar="N", help="print each page's N slowest queries"
    )
    parser.add_argument("--only", default="", help="measure the pages whose label contains this")
    return parser.parse_args(argv)


def _bulk(model, rows) -> None:
    model.objects.bulk_create(rows, batch_size=BATCH)


def load(athlete_count: int, weeks: int) -> dict:
    """One club of `athlete_count` athletes with `weeks` of history ending today."""
    from django.db import connection
    from django.utils import timezone

    from assessments.models import Flag, FlagKind, FlagStatus, Result, Test, TestDay
    from athletes.models import Athlete, Membership, Organisation, Role, Team, User
    from programs.models import Assignment, Exercise, LoggedSet, ScheduledSession
    from programs.protocols import protocol_template
    from tests.factories import program

    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    first_monday = monday - datetime.timedelta(weeks=weeks - 1)
    club = Organisation.objects.create(name="Bench club", slug="bench-club")
    teams = [Team.objects.create(organisation=club, name=name) for name in TEAMS]
    coach = User.objects.create_user(email="head@bench.example", password=None)
    Membership.objects.create(organisation=club, user=coach, role=Role.OWNER)
    _bulk(
        Athlete,
        [
            Athlete(
                organisation=club,
                first_name=f"Athlete{n}",
                last_name=f"Bench{n:04d}",
                email=f"a{n}@bench.example",
                date_of_birth=datetime.date(1990 + n % 15, 1 + n % 12, 1 + n % 28),
                sex="male" if n % 3 else "female",
            )
            for n in range(athlete_count)
        ],
    )
    athletes = list(Athlete.objects.filter(organisation=club).order_by("id"))
    team_of = {a.id: teams[n % len(teams)] for n, a in enumerate(athletes)}
    _bulk(
        Athlete.teams.through,
        [Athlete.teams.through(athlete_id=a.id, team_id=team_of[a.id].id) for a in athletes],
    )

    # Two seasons of a twice-weekly program (Monday and Thursday), one assignment per season.
    calf = program(club, name="Calf strength", weeks=max(1, weeks // 2))
    protocol = protocol_template(club, "ankling")
    exercise = Exercise.objects.get(organisation=None, slug="jump-rope")
    half = weeks // 2
    season_starts = [first_monday, first_monday + datetime.timedelta(weeks=half)]
    _bulk(
        Assignment,
        [
            Assignment(
                athlete=a,
                template=calf,
                template_version=1,
                start_date=start,
                sessions_per_week=2,
                weekdays=[0, 3],
                status="ended" if start == season_starts[0] else "active",
            )
            for a in athletes
            for start in season_starts
        ],
    )
    assignment_of = {
        (row.athlete_id, row.start_date): row.id
        for row in Assignment.objects.filter(template=calf).only("id", "athlete_id", "start_date")
    }
    sessions = []
    for n, a in enumerate(athletes):
        for week in range(weeks):
            season = 0 if week < half else 1
            start = season_starts[season]
            for slot, offset in enumerate((0, 3)):
                day = first_monday + datetime.timedelta(weeks=week, days=offset)
                if day > today + datetime.timedelta(days=7):
                    continue
                seq = (week - (0 if season == 0 else half)) * 2 + slot + 1
                done = day <= today and (n + week + slot) % 7 != 0
                late = week >= weeks - 3
                pain = None
                if done and (n + week) % 4 == 0:
                    pain = (n + week) % 4 + 1
                if done and late and n % 50 == 0:
                    pain = 7  # painful lately
                if done and late and n % 50 == 1:
                    pain = 2 + (week - (weeks - 3)) * 2  # rising: 2, 4, 6
                sessions.append(
                    ScheduledSession(
                        assignment_id=assignment_of[(a.id, start)],
                        athlete_id=a.id,
                        sequence=seq,
                        week=week - (0 if season == 0 else half) + 1,
                        date=day,
                        name="Calf A",
                        status="completed"
                        if done
                        else ("skipped" if day <= today else "scheduled"),
                        completed_at=timezone.make_aware(
                            datetime.datetime.combine(day, datetime.time(18))
                        )
                        if done
                        else None,
                        session_rpe=5 + (n + week) % 4 if done else None,
                        duration_minutes=30 + (n % 4) * 10 if done else None,
                        pain=pain,
                    )
                )
    _bulk(ScheduledSession, sessions)
    del sessions
    done_sessions = ScheduledSession.objects.filter(
        athlete__organisation=club, status="completed"
    ).values_list("id", "athlete_id", "date", "pain")
    _bulk(
        LoggedSet,
        (
            LoggedSet(
                athlete_id=athlete_id,
                client_uuid=uuid.uuid4(),
                session_id=session_id,
                exercise=exercise,
                set_number=1,
                side="both",
                contacts=80 + session_id % 40,
                pain=pain,
                performed_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(18))),
            )
            for session_id, athlete_id, day, pain in done_sessions.iterator()
        ),
    )

    # Test days every 12 weeks per team, ankling and heel-rise, every athlete tested.
    ankling = Test.objects.get(organisation=None, slug="ankling")
    heel_rise = Test.objects.get(organisation=None, slug="heel-rise")
    days = []
    for week in range(0, weeks, 12):
        for test in (ankling, heel_rise):
            for team in teams:
                date = min(today, first_monday + datetime.timedelta(weeks=week, days=1))
                days.append(TestDay(organisation=club, team=team, test=test, date=date))
    _bulk(TestDay, days)
    results = []
    for day in TestDay.objects.filter(organisation=club):
        for n, a in enumerate(athletes):
            if team_of[a.id].id != day.team_id:
                continue
            if day.test_id == ankling.id:
                reps = 250 + (n * 7 + day.id) % 120
                trials, values = {"both": [reps]}, {"both": reps}
                passed, reasons = reps >= 300, [] if reps >= 300 else [f"{reps} reps < 300"]
            else:
                left, right = 20 + n % 15, 22 + n % 12
                trials, values = {"left": [left], "right": [right]}, {"left": left, "right": right}
                passed, reasons = left >= 25, [] if left >= 25 else [f"left {left} reps < 25"]
            results.append(
                Result(
                    athlete_id=a.id,
                    test_id=day.test_id,
                    test_day=day,
                    date=day.date,
                    trials=trials,
                    passed=passed,
                    reasons=reasons,
                    evaluated_at=timezone.now(),
                    **values,
                )
            )
    _bulk(Result, results)

    # Flags: closed ones from the past, and today's state.
    protocol_assignments = []
    for n, a in enumerate(athletes):
        if n % 8 == 0:  # on the ankling protocol (1 in 8), some retests due or overdue
            protocol_assignments.append(
                Assignment(
                    athlete=a,
                    template=protocol,
                    template_version=1,
                    start_date=today - datetime.timedelta(days=20 + n % 30),
                    reason="Failed Ankling test",
                )
            )
    _bulk(Assignment, protocol_assignments)
    flags = []
    for n, a in enumerate(athletes):
        for season in range(2):
            flags.append(
                Flag(
                    athlete=a,
                    kind=FlagKind.PAIN,
                    key=f"bench-{season}",
                    status=FlagStatus.RESOLVED if n % 2 else FlagStatus.DISMISSED,
                    reasons=["Pain 6/10 and 7/10 in two consecutive sessions"],
                    resolution="Settled",
                )
            )
    for assignment in protocol_assignments:
        retest = assignment.start_date + datetime.timedelta(days=41)
        flags.append(
            Flag(
                athlete_id=assignment.athlete_id,
                kind=FlagKind.BASELINE,
                test=ankling,
                status=FlagStatus.RETEST_DUE if retest <= today else FlagStatus.ON_PROTOCOL,
                reasons=["262 reps < 300"],
                protocol=assignment,
                retest_due=retest,
            )
        )
    for n, a in enumerate(athletes):
        if n % 12 == 5:  # open: a failed heel-rise without a protocol
            flags.append(
                Flag(
                    athlete=a,
                    kind=FlagKind.BASELINE,
                    test=heel_rise,
                    status=FlagStatus.OPEN,
                    reasons=[f"left {20 + n % 5} reps < 25", "LSI 84.0 % < 90"],
                )
            )
        if n % 25 == 3:  # open: a load spike
            flags.append(
                Flag(
                    athlete=a,
                    kind=FlagKind.LOAD,
                    key="load-now",
                    status=FlagStatus.OPEN,
                    reasons=["Foot contacts 420 in the week vs 4-week average 180 (×2.33 > ×1.5)"],
                )
            )
    _bulk(Flag, flags)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"team": teams[0].id, "test": ankling.id, "coach": coach.id}


def reloaded() -> dict:
    """The ids of a kept scratch database's club (--reuse), after ANALYZE."""
    from django.db import connection

    from assessments.models import Test
    from athletes.models import Membership, Team

    owner = Membership.objects.select_related("organisation").get(
        organisation__slug="bench-club", role="owner"
    )
    team = Team.objects.filter(organisation=owner.organisation, name=TEAMS[0]).get()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "team": team.id,
        "test": Test.objects.get(organisation=None, slug="ankling").id,
        "coach": owner.user_id,
    }


def measured_pages() -> list[Page]:
    """The pages of PAGES whose URL name exists in this version of the project."""
    from django.urls import get_resolver

    names = get_resolver().reverse_dict
    found = []
    for page in PAGES:
        if page.url_name not in names:
            print(f"  (skipped {page.label}: no URL named {page.url_name!r})")
            continue
        found.append(page)
    return found


def page_url(page: Page, ids: dict) -> str:
    from django.urls import reverse

    kwargs = {k: int(v.format(**ids)) for k, v in page.kwargs.items()}
    query = {k: v.format(**ids) for k, v in page.query.items()}
    url = reverse(page.url_name, kwargs=kwargs)
    return f"{url}?{urlencode(query)}" if query else url


def measure(client, url: str, renders: int) -> dict:
    """Render `url` `renders` times (after two warm-ups): queries per render, times in ms."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    queries, times, cpu, sql, slowest = set(), [], [], [], {}
    for _ in range(renders):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.add(len(captured.captured_queries))
        sql.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
        for index, query in enumerate(captured.captured_queries):
            seconds = float(query["time"])
            if index not in slowest or seconds < slowest[index][0]:
                slowest[index] = (seconds, query["sql"])  # each query's best time
    times.sort()
    return {
        "queries": sorted(queries),
        "slowest": sorted(slowest.values(), reverse=True),
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "cpu": statistics.median(cpu),
        "sql": statistics.median(sql),
        "bytes": len(response.content),
    }


def main(argv: list[str]) -> int:
    args = arguments(argv)
    scratch_url, maintenance_url = scratch_urls(SCRATCH)
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    print(
        f"Insight pages benchmark: {args.athletes} athletes, {args.weeks} weeks, "
        f"{args.renders} renders per page, {os.cpu_count()} CPU(s)"
    )
    if args.reuse:
        args.keep = True
    else:
        run_sql(
            maintenance_url,
            f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)",
            f"CREATE DATABASE {SCRATCH}",
        )
    try:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings

        settings.DEBUG = False
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        ids = reloaded() if args.reuse else load(args.athletes, args.weeks)
        from programs.models import LoggedSet, ScheduledSession

        print(
            f"  loaded in {time.perf_counter() - started:.1f} s: "
            f"{ScheduledSession.objects.count():,} sessions, {LoggedSet.objects.count():,} sets"
        )
        from django.test import Client

        from athletes.models import User

        client = Client()
        client.force_login(User.objects.get(pk=ids["coach"]))
        for page in measured_pages():
            if args.only not in page.label:
                continue
            url = page_url(page, ids)
            report = measure(client, url, args.renders)
            queries = "/".join(str(q) for q in report["queries"])
            print(
                f"  {page.label:<32} {queries:>5} queries  p50 {report['p50']:6.1f} ms  "
                f"p95 {report['p95']:6.1f} ms  (Python CPU {report['cpu']:5.1f} ms, "
                f"SQL {report['sql']:5.1f} ms)  {report['bytes'] / 1024:5.1f} KiB  {url}"
            )
            for seconds, sql in report["slowest"][: args.slow]:
                print(f"      {seconds * 1000:6.1f} ms  {sql[:300]}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            run_sql(maintenance_url, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
