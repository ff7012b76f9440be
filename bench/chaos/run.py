"""Faults at full size: `make chaos`.

    .venv/bin/python bench/chaos/run.py                      # everything
    .venv/bin/python bench/chaos/run.py --only sweep-kill    # one of: sweep-kill, broker-down,
                                                             # postgres-restart, replay

Needs redis-server on the PATH (a Redis of the run's own on a free port: the machine's Redis
and Postgres are never stopped) and the database server of DATABASE_URL (or the embedded one)
for a scratch database, baseline_chaos, loaded by the sweep benchmark's loader
(bench/sweep/run.py) and dropped at the end.

1. sweep-kill: the nightly sweep through a real worker on a clean copy of the data, then on a
   second identical copy with the worker (and its pool processes) SIGKILLed once a quarter of
   the chunks are done; a second worker is started and the run waits until every chunk has
   succeeded and the broker holds nothing. The flags, flag events and evaluations of the two
   runs must be the same, with no duplicates.
2. broker-down: a coach records failing results and logs sets through the API while the
   broker refuses connections (nothing on its port) and while it is hung (SIGSTOPped): every
   request succeeds, in about a second or three; then a worker sweeps and every result is
   evaluated (none left behind), every set is there once.
3. postgres-restart: a gunicorn web process against a throwaway Postgres, which is restarted
   between requests; with the connection health check no request fails, without it one does.
4. replay: `--sets` sets each sent 1–5 times, shuffled, from `--threads` threads: exactly
   `--sets` rows.
Prints the figures; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.chaos import faults  # noqa: E402
from bench.scratch import scratch_urls  # noqa: E402
from bench.sweep import run as sweep_bench  # noqa: E402

SCENARIOS = ["sweep-kill", "broker-down", "postgres-restart", "replay"]
sweep_bench.SCRATCH = "baseline_chaos"  # not the sweep benchmark's database: both may run
TEMPLATE = "baseline_chaos_template"


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=SCENARIOS, action="append")
    parser.add_argument("--athletes", type=int, default=20_000)
    parser.add_argument("--results", type=int, default=200_000)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--sets", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--requests", type=int, default=30, help="per broker state (≤ 33)")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    args.only = args.only or SCENARIOS
    args.logging_share, args.workers = 0.5, 1  # for the sweep benchmark's helpers
    return args


class Checks:
    def __init__(self):
        self.failed: list[str] = []

    def __call__(self, ok: bool, what: str) -> bool:
        print(f"    {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failed.append(what)
        return ok


# --- The data ------------------------------------------------------------------------------------


def fresh_copy(maintenance_url: str) -> None:
    """The scratch database as it was loaded (ids and all), for each scenario."""
    from django.db import connections

    connections.close_all()
    assert sweep_bench.from_template(maintenance_url, TEMPLATE)


def drop_template(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


def snapshot() -> dict:
    """What a sweep decided, in terms two runs on identical data can compare."""
    from django.db.models import Count

    from assessments.models import Flag, FlagEvent, Result

    flags = list(
        Flag.objects.values_list("athlete_id", "kind", "test_id", "key", "status", "result_id")
    )
    return {
        "flags": collections.Counter(flags),
        "events": collections.Counter(
            FlagEvent.objects.values_list(
                "flag__athlete_id", "flag__kind", "flag__key", "from_status", "to_status"
            )
        ),
        "evaluations": {
            (id_, passed, tuple(reasons))
            for id_, passed, reasons in Result.objects.exclude(evaluated_at=None).values_list(
                "id", "passed", "reasons"
            )
        },
        # What the database's unique constraints guard, counted (they would have refused it)
        # plus a baseline flag raised twice for one result.
        "duplicate flags": sum(
            query.annotate(n=Count("id")).filter(n__gt=1).count()
            for query in (
                Flag.objects.filter(kind__in=["pain", "load"]).values("athlete_id", "kind", "key"),
                Flag.objects.filter(kind="baseline")
                .exclude(status__in=["resolved", "dismissed"])
                .values("athlete_id", "test_id"),
                Flag.objects.filter(kind="baseline").exclude(result=None).values("result_id"),
            )
        ),
        "duplicate events": FlagEvent.objects.values("flag_id", "to_status")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
    }


# --- Workers -------------------------------------------------------------------------------------


def finished_chunks(events_dir: Path) -> tuple[int | None, list[tuple[int, int]]]:
    """(chunks sweep_start sent, or None before it finished; ranges of chunks that succeeded,
    once per success)."""
    events = [e for e in sweep_bench.task_events(events_dir) if e["event"] == "finished"]
    start = [
        e for e in events if e["task"] == "assessments.sweep_start" and e["state"] == "SUCCESS"
    ]
    chunks = [
        (e["report"]["lo_id"], e["report"]["hi_id"])
        for e in events
        if e["task"] == "assessments.sweep_chunk" and e["state"] == "SUCCESS"
    ]
    return (start[0]["report"]["chunks"] if start else None), chunks


def broker_holds(broker, queue: str) -> int:
    """Messages queued or handed out and not yet acknowledged."""
    return broker.llen(queue) + broker.hlen("unacked")


def wait_for_sweep(events_dir: Path, broker, queue: str, timeout: float) -> None:
    """Until every chunk has succeeded and the broker has held nothing for a second (so the
    evaluations and notifications the chunks sent are done too)."""
    deadline, idle_since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        total, chunks = finished_chunks(events_dir)
        if total is not None and len(set(chunks)) >= total and broker_holds(broker, queue) == 0:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= 1:
                return
        else:
            idle_since = None
        time.sleep(0.1)
    raise SystemExit(f"The sweep did not finish in {timeout:.0f} s")


def kill_hard(worker) -> int:
    """SIGKILL the worker and its pool processes, as the OOM killer or a lost machine would."""
    import psutil

    parent = psutil.Process(worker.pid)
    victims = [*parent.children(recursive=True), parent]
    for victim in victims:
        with contextlib.suppress(psutil.Error):
            victim.kill()
    worker.wait()
    psutil.wait_procs(victims, timeout=10)
    return len(victims)


def start_worker(args, env: dict, folder: Path):
    for ready in (folder / "ready").glob("*"):
        ready.unlink()
    return sweep_bench.start_workers(args, env, folder)


# --- 1. A worker killed mid-sweep ----------------------------------------------------------------


def sweep_kill(args, env, folder, broker, maintenance_url, today, check) -> None:
    from django.conf import settings

    from assessments.tasks_sweep import sweep_start

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    events_dir = folder / "events"
    print("1. A worker SIGKILLed mid-sweep")

    def run(kill: bool) -> dict:
        fresh_copy(maintenance_url)
        broker.flushdb()
        for path in events_dir.glob("*"):
            path.unlink()
        workers = start_worker(args, env, folder)
        figures = {"killed": 0, "done_at_kill": 0, "held_at_kill": 0}
        started = time.perf_counter()
        try:
            sweep_start.delay(today.isoformat())
            if kill:
                deadline = time.monotonic() + args.timeout
                while True:
                    total, chunks = finished_chunks(events_dir)
                    if total and len(chunks) >= max(1, total // 4):
                        break
                    if time.monotonic() > deadline:
                        raise SystemExit("No chunk finished before the kill")
                    time.sleep(0.02)
                figures["held_at_kill"] = broker.hlen("unacked")
                figures["killed"] = kill_hard(workers[0])
                figures["done_at_kill"] = len(set(finished_chunks(events_dir)[1]))
                figures["killed_after"] = time.perf_counter() - started
                workers = start_worker(args, env, folder)
            wait_for_sweep(events_dir, broker, queue, args.timeout)
            figures["seconds"] = time.perf_counter() - started
        finally:
            sweep_bench.stop_workers(workers)
        total, chunks = finished_chunks(events_dir)
        figures["chunks"], figures["runs"] = total, len(chunks)
        figures["snapshot"] = snapshot()
        return figures

    clean, killed = run(kill=False), run(kill=True)
    a, b = clean["snapshot"], killed["snapshot"]
    print(
        f"    clean run: {clean['chunks']} chunks in {clean['seconds']:.1f} s; "
        f"{sum(a['flags'].values()):,} flags, {sum(a['events'].values()):,} flag events, "
        f"{len(a['evaluations']):,} evaluated results\n"
        f"    killed run: {killed['killed']} processes SIGKILLed after "
        f"{killed['killed_after']:.1f} s with {killed['done_at_kill']}/{killed['chunks']} "
        f"chunks done and {killed['held_at_kill']} messages held unacknowledged; a new worker "
        f"finished in {killed['seconds']:.1f} s in all; {killed['runs']} chunk runs "
        f"({killed['runs'] - killed['chunks']} chunks run twice)\n"
        f"    killed run: {sum(b['flags'].values()):,} flags, {sum(b['events'].values()):,} "
        f"flag events, {len(b['evaluations']):,} evaluated results"
    )
    check(killed["done_at_kill"] < killed["chunks"], "the worker was killed mid-sweep")
    check(a["flags"] == b["flags"], "same flags as the clean run (athlete, kind, key, status)")
    check(a["events"] == b["events"], "same flag events as the clean run")
    check(a["evaluations"] == b["evaluations"], "same evaluations as the clean run")
    check(
        b["duplicate flags"] == b["duplicate events"] == 0,
        f"duplicates found: {b['duplicate flags']} flags, {b['duplicate events']} events",
    )


# --- 2. The broker down --------------------------------------------------------------------------


class Counting(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += "Could not enqueue" in record.getMessage()


def broker_down(args, env, folder, redis, broker, maintenance_url, today, check) -> None:
    from django.conf import settings
    from rest_framework.test import APIClient

    from assessments.models import Result, Test
    from assessments.tasks_sweep import sweep_start
    from athletes.models import Athlete, Membership, Organisation, Role, User
    from programs.models import Exercise, LoggedSet

    print("2. The broker down while athletes log sets and coaches record results")
    fresh_copy(maintenance_url)
    broker.flushdb()
    club = Organisation.objects.order_by("id").first()
    coach = User.objects.create_user("chaos-coach@club.example", "pw")
    Membership.objects.create(user=coach, organisation=club, role=Role.OWNER)
    athletes = list(Athlete.objects.filter(organisation=club, archived_at=None).order_by("id"))
    ankling = Test.objects.get(organisation=None, slug="ankling")
    exercise = Exercise.objects.get(organisation=None, slug="bent-knee-heel-raise")
    client = APIClient()
    client.force_authenticate(coach)
    counting = Counting()
    logging.getLogger("config.celery").addHandler(counting)
    logging.getLogger("config.celery").propagate = False  # counted, not printed
    sent: dict[str, list] = {}

    def requests(state: str) -> None:
        """Each result is its athlete's latest on the test (one athlete each): the sweep
        evaluates an athlete's latest result; an older one never moves a flag."""
        seconds, statuses = [], collections.Counter()
        offset = len(sent.get("/api/v1/results/", []))
        for number in range(args.requests):
            athlete = athletes[offset + number]
            result = {"athlete": athlete.id, "test": ankling.id, "trials": {"both": [250]},
                      "client_uuid": str(uuid.uuid4())}  # fmt: skip
            a_set = {"athlete": athlete.id, "client_uuid": str(uuid.uuid4()),
                     "exercise": exercise.id, "reps": 10}  # fmt: skip
            for path, body in (("/api/v1/results/", result), ("/api/v1/sets/", a_set)):
                started = time.perf_counter()
                response = client.post(path, body, format="json")
                seconds.append((path, time.perf_counter() - started))
                statuses[response.status_code] += 1
                sent.setdefault(path, []).append(body["client_uuid"])
        results = sorted(s for p, s in seconds if "results" in p)
        sets = sorted(s for p, s in seconds if "sets" in p)
        print(
            f"    broker {state}: {len(seconds)} requests, statuses {dict(statuses)}; record a "
            f"result median {statistics.median(results) * 1000:.0f} ms, slowest "
            f"{results[-1] * 1000:.0f} ms; log a set median "
            f"{statistics.median(sets) * 1000:.0f} ms"
        )
        check(set(statuses) == {201}, f"every request succeeded with the broker {state}")

    requests("up")
    with faults.celery_broker(
        f"redis://127.0.0.1:{faults.free_port()}/0", settings.CELERY_BROKER_TRANSPORT_OPTIONS
    ):
        requests("stopped (connection refused)")
    redis.pause()
    try:
        requests("hung (SIGSTOPped)")
    finally:
        redis.resume()
    logging.getLogger("config.celery").removeHandler(counting)
    down = 2 * args.requests
    check(counting.count == down, f"{counting.count} enqueue failures logged (expected {down})")
    waiting = Result.objects.filter(client_uuid__in=sent["/api/v1/results/"], evaluated_at=None)
    print(
        f"    not yet evaluated: {waiting.count()} results ({args.requests} queued while the "
        f"broker was up, no worker running yet; {down} whose enqueue failed)"
    )

    for path in (folder / "events").glob("*"):
        path.unlink()
    workers = start_worker(args, env, folder)
    try:
        started = time.perf_counter()
        sweep_start.delay(today.isoformat())
        wait_for_sweep(folder / "events", broker, settings.CELERY_TASK_DEFAULT_QUEUE, args.timeout)
        print(f"    the sweep (a worker, broker back) took {time.perf_counter() - started:.1f} s")
    finally:
        sweep_bench.stop_workers(workers)
    stored = Result.objects.filter(client_uuid__in=sent["/api/v1/results/"])
    check(stored.count() == 3 * args.requests, f"{stored.count()} results stored, none lost")
    check(not stored.filter(evaluated_at=None).exists(), "every result evaluated after the sweep")
    check(
        stored.filter(passed=False).count() == stored.count(),
        "each was judged (250 reps fail the ankling test)",
    )
    sets = LoggedSet.objects.filter(client_uuid__in=sent["/api/v1/sets/"])
    check(sets.count() == 3 * args.requests, f"{sets.count()} sets stored, none lost")


# --- 3. Postgres restarted under the web process -------------------------------------------------


def postgres_restart(args, check) -> None:
    print("3. Postgres restarted under a running web process (gunicorn, one worker)")
    with faults.own_postgres() as server:
        for health_checks in (True, False):
            env = faults.environment(
                DJANGO_SETTINGS_MODULE="bench.chaos.web_settings",
                DATABASE_URL=server.url(),
                CHAOS_CONN_HEALTH_CHECKS="1" if health_checks else "0",
            )
            env.pop("REDIS_URL", None)
            with faults.web_process(env) as base:
                before = [faults.get(base + "/healthz")[0] for _ in range(20)]
                started = time.perf_counter()
                server.restart()
                restart = time.perf_counter() - started
                after = [faults.get(base + "/healthz")[0] for _ in range(20)]
            failed = sum(status != 200 for status in after)
            label = "with" if health_checks else "without"
            print(
                f"    {label} CONN_HEALTH_CHECKS: 20 requests before, restart in {restart:.1f} s, "
                f"20 after: {failed} failed (statuses after {collections.Counter(after)})"
            )
            if health_checks:
                check(before.count(200) == 20 and failed == 0, "no request failed")
            else:
                check(failed == 1, "without the health check exactly one request fails")


# --- 4. Replayed sets ----------------------------------------------------------------------------


def replay(args, maintenance_url, check) -> None:
    from django.db.models import Count

    from athletes.models import Athlete, Membership, Organisation, Role, User
    from programs.models import Exercise, LoggedSet

    print(f"4. {args.sets:,} sets each sent 1–5 times, shuffled, from {args.threads} threads")
    fresh_copy(maintenance_url)
    club = Organisation.objects.order_by("id").first()
    coach = User.objects.create_user("chaos-replay@club.example", "pw")
    Membership.objects.create(user=coach, organisation=club, role=Role.OWNER)
    athletes = list(Athlete.objects.filter(organisation=club, archived_at=None).order_by("id"))
    exercise = Exercise.objects.get(organisation=None, slug="bent-knee-heel-raise")
    outcome = faults.replay_sets(
        athletes=athletes, logged_by=coach, exercise=exercise, sets=args.sets,
        threads=args.threads,
    )  # fmt: skip
    rows = LoggedSet.objects.filter(logged_by=coach)
    duplicates = (
        rows.values("athlete_id", "client_uuid").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    print(
        f"    {outcome.calls:,} calls in {outcome.seconds:.1f} s "
        f"({outcome.calls / outcome.seconds:.0f}/s): {outcome.created:,} stored, "
        f"{outcome.replays:,} answered as replays, {len(outcome.errors)} errors; "
        f"{rows.count():,} rows, duplicates found: {duplicates}"
    )
    for error in outcome.errors[:3]:
        print(f"      {error}")
    check(not outcome.errors, "no call failed")
    check(rows.count() == args.sets and duplicates == 0, f"exactly {args.sets:,} rows")


# --- Main ----------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = arguments(argv)
    check = Checks()
    today = datetime.date.today()
    print(
        f"Chaos run: {', '.join(args.only)}; {os.cpu_count()} CPU(s); data "
        f"{args.athletes:,} athletes, {args.results:,} results, chunks of {args.chunk_size}"
    )
    started = time.perf_counter()
    needs_data = [s for s in args.only if s != "postgres-restart"]
    if needs_data:
        run_with_data(args, today, check)
    if "postgres-restart" in args.only:
        postgres_restart(args, check)
    print(
        f"Done in {time.perf_counter() - started:.0f} s: "
        + ("all checks passed" if not check.failed else f"{len(check.failed)} FAILED")
    )
    return 1 if check.failed else 0


def run_with_data(args, today, check) -> None:
    import redis as redis_py

    scratch_url, maintenance_url = scratch_urls(sweep_bench.SCRATCH)
    folder = Path(tempfile.mkdtemp(prefix="baseline-chaos-"))
    (folder / "ready").mkdir()
    (folder / "events").mkdir()
    try:
        with faults.own_redis() as redis:
            env = faults.environment(
                DATABASE_URL=scratch_url,
                REDIS_URL=redis.url,
                DJANGO_SETTINGS_MODULE="bench.chaos.worker_settings",
                BENCH_BROKER_DIR=str(folder / "broker"),
                BENCH_READY_DIR=str(folder / "ready"),
                BENCH_EVENTS_DIR=str(folder / "events"),
                SWEEP_CHUNK_SIZE=str(args.chunk_size),
            )
            sweep_bench.recreate_database(maintenance_url)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                cwd=ROOT, env=env, check=True,
            )  # fmt: skip
            os.environ.update(env)
            import django

            django.setup()
            from django.db import connection
            from django.test.utils import setup_test_environment

            setup_test_environment()  # the API test client's host; mail kept in memory
            warnings.filterwarnings("ignore", "No directory at")  # no collectstatic here
            with connection.cursor() as cursor:
                sweep_bench.load(cursor, args, today)
                sizes = sweep_bench.counts(cursor)
            sweep_bench.save_template(maintenance_url, TEMPLATE)
            print(
                f"  loaded {sweep_bench._sizes(sizes)} in {time.perf_counter() - started:.0f} s "
                f"(migrate included); Redis of its own at {redis.url}"
            )
            broker = redis_py.Redis.from_url(redis.url)
            if "sweep-kill" in args.only:
                sweep_kill(args, env, folder, broker, maintenance_url, today, check)
            if "broker-down" in args.only:
                broker_down(args, env, folder, redis, broker, maintenance_url, today, check)
            if "replay" in args.only:
                replay(args, maintenance_url, check)
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        sweep_bench.drop_database(maintenance_url)
        drop_template(maintenance_url)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
