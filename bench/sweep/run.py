"""Benchmark of the nightly sweep through real Celery workers.

    .venv/bin/python bench/sweep/run.py                     # 100k athletes, 1M results
    .venv/bin/python bench/sweep/run.py --small             # 10k athletes, 100k results
    .venv/bin/python bench/sweep/run.py --athletes 50000 --results 500000 --workers 2

1. Creates the scratch database baseline_bench_sweep on the server of DATABASE_URL (or on the
   embedded Postgres that scripts/dev.py starts), migrates it, and bulk-loads it with
   generate_series SQL: clubs of 100 athletes with two teams each, the athletes (the clubs'
   athletes interleave in the id order, as in a shared database), their results
   (`--results` over five tests), and, for `--logging-share` of the athletes, six weeks of
   completed sessions with one logged set each (foot contacts and pain). A realistic night's
   work is planted: one club raised its ankling threshold today (its athletes' latest ankling
   results need re-evaluation), one result in 20,000 was never evaluated (a lost enqueue), one
   athlete in 500 has a retest falling due, and among those who log, one in 250 had two
   painful sessions in a row, one in 300 pain rising week on week, one in 200 a jump in foot
   contacts. One athlete in 1,000 is archived.
2. Times the bare set-based SQL that finds the same athletes (the finding queries of
   assessments/sweep.py over every athlete at once, no Celery, no writes; best of two).
3. Starts `--workers` real Celery worker processes (`celery -A config worker --concurrency 2`
   with the settings in bench/sweep/settings.py) on REDIS_URL, or else on the filesystem
   transport in a temporary folder, runs `sweep_start` and waits until every chunk is done.
   Each worker appends each sweep task's report (counts, queries, seconds) and its process's
   peak memory, and every task it publishes, to a file that run.py reads (bench/sweep/hooks.py).
4. Prints the seconds, the queries the chunks ran (counted by a cursor wrapper in
   `chunk_sweep`), the peak memory, the bare SQL's time and the ratio, checks that the sweep
   did exactly what the bare SQL found, then sweeps again and prints the flags it added
   (must be 0). The scratch database is dropped at the end unless `--keep`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_urls  # noqa: E402
from bench.sweep.data import counts, load  # noqa: E402

SCRATCH = "baseline_bench_sweep"


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--athletes", type=int, default=100_000)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--small", action="store_true", help="10k athletes, 100k results")
    parser.add_argument("--logging-share", type=float, default=0.5, help="athletes who log sets")
    parser.add_argument("--workers", type=int, default=1, help="worker processes to start")
    parser.add_argument("--concurrency", type=int, default=2, help="pool size of each worker")
    parser.add_argument("--chunk-size", type=int, default=5000, help="athletes per chunk")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for a sweep")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the loaded data as a template database and start from it next time "
        "(same sizes, same day): skips the migration and the load",
    )
    args = parser.parse_args(argv)
    if args.small:
        args.athletes, args.results = 10_000, 100_000
    return args


# --- The scratch database ------------------------------------------------------------------------


def recreate_database(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {SCRATCH}")


def template_name(args: argparse.Namespace, today: datetime.date) -> str:
    share = round(args.logging_share * 100)
    return f"{SCRATCH}_{args.athletes}_{args.results}_{share}_{today:%Y%m%d}"


def from_template(maintenance_url: str, template: str) -> bool:
    """Recreate the scratch database as a copy of `template`; False if there is none."""
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [template]
        ).fetchone()
        if not found:
            return False
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {SCRATCH} TEMPLATE {template}")
    return True


def save_template(maintenance_url: str, template: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {template} TEMPLATE {SCRATCH}")


def drop_database(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


# --- The bare SQL --------------------------------------------------------------------------------


def bare_sql(today: datetime.date) -> tuple[float, dict[str, set]]:
    """The finding queries over every athlete at once; (best seconds of two, what they found)."""
    from django.db import connection

    from assessments.models import Flag, FlagStatus
    from assessments.sweep import load_candidates, pain_candidates, stale_results

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM athletes_athlete")
        lo, hi = cursor.fetchone()
    hi += 1
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        found = {
            "re-evaluated": {r for r, _ in stale_results(lo_id=lo, hi_id=hi)},
            "retests due": set(
                Flag.objects.filter(
                    status=FlagStatus.ON_PROTOCOL,
                    retest_due__lte=today,
                    athlete__id__gte=lo,
                    athlete__id__lt=hi,
                ).values_list("id", flat=True)
            ),
            "pain flags": {
                (c.athlete_id, c.key) for c in pain_candidates(lo_id=lo, hi_id=hi, today=today)
            },
            "load flags": {
                (c.athlete_id, c.key) for c in load_candidates(lo_id=lo, hi_id=hi, today=today)
            },
        }
        timings.append(time.perf_counter() - started)
    return min(timings), found


def done_by_sweep(since: datetime.datetime) -> dict[str, set]:
    from assessments.models import Flag, FlagEvent, Result

    return {
        "re-evaluated": set(
            Result.objects.filter(evaluated_at__gte=since).values_list("id", flat=True)
        ),
        "retests due": set(
            FlagEvent.objects.filter(at__gte=since, to_status="retest_due").values_list(
                "flag_id", flat=True
            )
        ),
        "pain flags": set(
            Flag.objects.filter(kind="pain", created_at__gte=since).values_list("athlete_id", "key")
        ),
        "load flags": set(
            Flag.objects.filter(kind="load", created_at__gte=since).values_list("athlete_id", "key")
        ),
    }


# --- Workers -------------------------------------------------------------------------------------


def start_workers(args, env: dict, folder: Path) -> list[subprocess.Popen]:
    workers = []
    for number in range(args.workers):
        log = (folder / f"worker-{number}.log").open("w")
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--concurrency",
                    str(args.concurrency),
                    "-n",
                    f"bench{number}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    ready = folder / "ready"
    while len(list(ready.glob("*"))) < args.workers:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            stop_workers(workers)
            logs = "\n".join(p.read_text()[-2000:] for p in folder.glob("worker-*.log"))
            raise SystemExit(f"The workers did not start:\n{logs}")
        time.sleep(0.1)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def worker_rss(workers: list[subprocess.Popen]) -> int:
    """Bytes resident in the worker processes and their pool children right now."""
    import psutil

    total = 0
    for worker in workers:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(worker.pid)
            for each in [process, *process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += each.memory_info().rss
    return total


def task_events(folder: Path) -> list[dict]:
    events = []
    for path in folder.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):  # a line being written
                events.append(json.loads(line))
    return events


def sweep_once(today: datetime.date, workers, timeout: float, folder: Path) -> dict:
    """Send sweep_start, wait for every chunk and for every task they sent (notifications,
    evaluations), return the figures."""
    from django.utils import timezone

    from assessments.models import Flag, FlagEvent
    from assessments.tasks_sweep import sweep_start

    for path in folder.glob("*.jsonl"):
        path.unlink()
    flags_before, events_before = Flag.objects.count(), FlagEvent.objects.count()
    since = timezone.now()
    started = time.time()
    sweep_start.delay(today.isoformat())
    peak_total, swept_at = 0, None
    deadline = time.monotonic() + timeout
    while True:
        peak_total = max(peak_total, worker_rss(workers))
        events = task_events(folder)
        finished = [e for e in events if e["event"] == "finished" and e["state"] != "RETRY"]
        start = [e for e in finished if e["task"] == "assessments.sweep_start"]
        chunks = [e for e in finished if e["task"] == "assessments.sweep_chunk"]
        if swept_at is None and start and len(chunks) >= start[0]["report"]["chunks"]:
            swept_at = max(e["at"] for e in chunks + start)
        published = sum(1 for e in events if e["event"] == "published")
        if swept_at is not None and published == sum(1 for e in events if e["event"] == "finished"):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"The sweep did not finish in {timeout:.0f} s ({len(chunks)} done).")
        time.sleep(0.05)
    reports = [e["report"] for e in chunks]
    followers = [e for e in finished if not e["task"].startswith("assessments.sweep_")]
    return {
        "seconds": swept_at - started,
        "start_seconds": start[0]["at"] - started,
        "all_done_seconds": max(e["at"] for e in finished) - started,
        "followers": len(followers),
        "chunks": len(chunks),
        "failed": [e["report"] for e in chunks if e["state"] != "SUCCESS"],
        "queries": sum(r.get("queries", 0) for r in reports) + 1,  # + sweep_start's one
        "chunk_queries": [r.get("queries", 0) for r in reports],
        "chunk_seconds": [r.get("seconds", 0.0) for r in reports],
        "reevaluated": sum(r.get("reevaluated", 0) for r in reports),
        "retests_due": sum(r.get("retests_due", 0) for r in reports),
        "pain_flags": sum(r.get("pain_flags", 0) for r in reports),
        "load_flags": sum(r.get("load_flags", 0) for r in reports),
        "peak_process_rss": max(e["max_rss_kb"] for e in finished) * 1024,
        "peak_total_rss": peak_total,
        "flags_added": Flag.objects.count() - flags_before,
        "events_added": FlagEvent.objects.count() - events_before,
        "since": since,
    }


def _sizes(sizes: dict[str, int]) -> str:
    return ", ".join(f"{v:,} {k}" for k, v in sizes.items())


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def main(argv: list[str]) -> int:
    args = arguments(argv)
    today = datetime.date.today()
    scratch_url, maintenance_url = scratch_urls(SCRATCH)
    folder = Path(tempfile.mkdtemp(prefix="baseline-bench-sweep-"))
    (folder / "ready").mkdir()
    (folder / "events").mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url,
        "DJANGO_SETTINGS_MODULE": "bench.sweep.settings",
        "BENCH_BROKER_DIR": str(folder / "broker"),
        "BENCH_READY_DIR": str(folder / "ready"),
        "BENCH_EVENTS_DIR": str(folder / "events"),
        "SWEEP_CHUNK_SIZE": str(args.chunk_size),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
    }
    workers: list[subprocess.Popen] = []
    broker = "Redis" if os.environ.get("REDIS_URL") else "filesystem"
    print(
        f"Sweep benchmark: {args.athletes:,} athletes, {args.results:,} results, "
        f"{args.workers} worker(s) × {args.concurrency}, chunks of {args.chunk_size:,}, "
        f"{os.cpu_count()} CPU(s), broker {broker}"
    )
    template = template_name(args, today)
    try:
        reused = args.reuse and from_template(maintenance_url, template)
        if not reused:
            recreate_database(maintenance_url)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            print(f"  migrated the scratch database in {time.perf_counter() - started:.1f} s")
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        with connection.cursor() as cursor:
            if not reused:
                load_seconds = load(cursor, args, today)
            sizes = counts(cursor)
        if reused:
            print(f"  copied the loaded database {template}: " + _sizes(sizes))
        else:
            print(
                "  loaded "
                + _sizes(sizes)
                + f" in {sum(load_seconds.values()):.1f} s ("
                + ", ".join(f"{k} {v:.1f} s" for k, v in load_seconds.items())
                + ")"
            )
            if args.reuse:
                save_template(maintenance_url, template)
                print(f"  saved it as {template} for --reuse (DROP DATABASE it when done)")

        bare_seconds, found = bare_sql(today)
        print(
            f"  bare set-based SQL: {bare_seconds:.2f} s, finding "
            + ", ".join(f"{len(v):,} {k}" for k, v in found.items())
        )
        if os.environ.get("REDIS_URL"):
            from config.celery import app

            app.control.purge()
        import bench.sweep.hooks  # noqa: F401 - counts the tasks this process publishes

        workers = start_workers(args, env, folder)

        first = sweep_once(today, workers, args.timeout, folder / "events")
        done = done_by_sweep(first["since"])
        same = all(done[k] == found[k] for k in found)
        print(
            f"Sweep: {first['seconds']:.2f} s for {first['chunks']} chunks "
            f"(sweep_start done after {first['start_seconds']:.2f} s) "
            f"(chunk seconds median {statistics.median(first['chunk_seconds']):.2f}, "
            f"max {max(first['chunk_seconds']):.2f})\n"
            f"  queries: {first['queries']:,} ({min(first['chunk_queries'])}–"
            f"{max(first['chunk_queries'])} per chunk; re-evaluations add theirs)\n"
            f"  peak memory: {mib(first['peak_process_rss'])} in one worker process, "
            f"{mib(first['peak_total_rss'])} all worker processes together\n"
            f"  did: {first['reevaluated']:,} re-evaluated, {first['retests_due']:,} retests due, "
            f"{first['pain_flags']:,} pain flags, {first['load_flags']:,} load flags "
            f"({first['flags_added']:,} flags and {first['events_added']:,} events in all)\n"
            f"  the {first['followers']:,} tasks it sent (notifications) were done after "
            f"{first['all_done_seconds']:.2f} s\n"
            f"  bare SQL: {bare_seconds:.2f} s; sweep ÷ bare SQL = "
            f"{first['seconds'] / bare_seconds:.2f}× (target ≤ 3×, and < 30 s)\n"
            f"  same as the bare SQL found: {'yes' if same else 'NO'}"
        )
        if not same:
            for key in found:
                if done[key] != found[key]:
                    print(
                        f"    {key}: sweep only {sorted(done[key] - found[key])[:5]}, "
                        f"bare only {sorted(found[key] - done[key])[:5]}"
                    )
        if first["failed"]:
            print(f"  FAILED chunks: {first['failed'][:3]}")

        second = sweep_once(today, workers, args.timeout, folder / "events")
        print(
            f"Again: {second['seconds']:.2f} s (sweep_start done after "
            f"{second['start_seconds']:.2f} s), {second['queries']:,} queries, "
            f"flags added {second['flags_added']}, events added {second['events_added']}"
        )
        ok = (
            same
            and not first["failed"]
            and not second["failed"]
            and second["flags_added"] == 0
            and second["events_added"] == 0
        )
        return 0 if ok else 1
    finally:
        stop_workers(workers)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            drop_database(maintenance_url)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
