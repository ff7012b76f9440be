"""Benchmark of the CSV exports: seconds and peak memory for 100k results, flags and sets.

    .venv/bin/python bench/exports/run.py                 # 100,000 rows of each
    .venv/bin/python bench/exports/run.py --rows 10000    # 10,000 rows of each
    .venv/bin/python bench/exports/run.py --keep          # keep the scratch database

1. Creates the scratch database baseline_bench_exports on the server of DATABASE_URL (or on
   the embedded Postgres that scripts/dev.py starts), migrates it, and loads one club of 200
   athletes on two teams with `--rows` results, flags and logged sets (generate_series SQL).
2. Streams each export (assessments.exports.results_rows, flags_rows,
   programs.exports.sets_rows) as the club's head coach, in a fresh child process, and writes
   it nowhere. Each child reports the seconds, the rows and bytes written, and how far its
   peak resident memory (VmHWM) rose above what it used before the export started.
Constant memory means the peak rise is about the same for 10k and 100k rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scratch import run_sql, scratch_urls  # noqa: E402

SCRATCH = "baseline_bench_exports"
ATHLETES = 200
KINDS = ("results", "flags", "sets")


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of each kind")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def load(rows: int) -> None:
    """One club, two teams, the head coach, the athletes; then `rows` of each kind."""
    from django.db import connection

    from assessments.models import Test
    from athletes.models import Athlete, Membership, Organisation, Role, Team, User
    from programs.models import Exercise

    club = Organisation.objects.create(name="Bench club", slug="bench-club")
    teams = [Team.objects.create(organisation=club, name=n) for n in ("Forwards", "Backs")]
    coach = User.objects.create_user(email="head@bench.example", password=None)
    Membership.objects.create(organisation=club, user=coach, role=Role.OWNER)
    for n in range(ATHLETES):
        athlete = Athlete.objects.create(
            organisation=club, first_name="Athlete", last_name=str(n), email=f"a{n}@bench.example"
        )
        athlete.teams.add(teams[n % 2])
    test = Test.objects.get(organisation=None, slug="heel-rise")
    exercise = Exercise.objects.get(organisation=None, slug="jump-rope")
    params = {"rows": rows, "test": test.id, "exercise": exercise.id, "club": club.id}
    # The athletes' ids in an array, taken in turn.
    ids = (
        "(SELECT array_agg(id ORDER BY id) AS ids FROM athletes_athlete "
        "WHERE organisation_id = %(club)s) a"
    )
    athlete = f"a.ids[1 + g %% {ATHLETES}]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO assessments_result (athlete_id, test_id, date, trials, "left", "right",
                "both", lsi, notes, recorded_at, fingerprint, passed, reasons, evaluated_at)
            SELECT {athlete}, %(test)s, current_date - (g %% 700),
                   jsonb_build_object('left', jsonb_build_array(20 + g %% 20),
                                      'right', jsonb_build_array(25 + g %% 10)),
                   20 + g %% 20, 25 + g %% 10, NULL, 80.0, 'Pre-season', now(), '',
                   g %% 3 > 0, '["left 20 reps < 25"]'::jsonb, now()
            FROM generate_series(1, %(rows)s) g, {ids}
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO assessments_flag (athlete_id, kind, status, reasons, key, resolution,
                created_at, updated_at)
            SELECT {athlete}, 'pain', 'resolved', '["pain 6/10 during the session"]'::jsonb,
                   'bench-' || g, 'Settled', now() - (g %% 700) * interval '1 day', now()
            FROM generate_series(1, %(rows)s) g, {ids}
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO programs_loggedset (athlete_id, client_uuid, exercise_id, set_number,
                side, reps, load_type, notes, performed_at, fingerprint, created_at)
            SELECT {athlete}, gen_random_uuid(), %(exercise)s, 1 + g %% 3, 'both', 10 + g %% 10,
                   'none', '', now() - (g %% 700) * interval '1 day', '', now()
            FROM generate_series(1, %(rows)s) g, {ids}
            """,
            params,
        )
        cursor.execute("ANALYZE")


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(kind: str) -> None:
    """Stream one export as the head coach; print a JSON report."""
    import django

    django.setup()
    from assessments.exports import flags_rows, results_rows
    from athletes.models import Organisation, User
    from programs.exports import sets_rows

    rows_of = {"results": results_rows, "flags": flags_rows, "sets": sets_rows}[kind]
    user = User.objects.get(email="head@bench.example")
    club = Organisation.objects.get(slug="bench-club")
    before = _memory_kib("VmRSS")
    started = time.perf_counter()
    lines = written = 0
    for line in rows_of(user=user, organisation=club):
        lines += 1
        written += len(line.encode())
    seconds = time.perf_counter() - started
    peak_rise = _memory_kib("VmHWM") - before
    print(json.dumps({"rows": lines - 1, "bytes": written, "seconds": seconds, "kib": peak_rise}))


def main(argv: list[str]) -> int:
    args = arguments(argv)
    if args.child:
        child(args.child)
        return 0
    scratch_url, maintenance_url = scratch_urls(SCRATCH)
    env = {
        **os.environ,
        "DATABASE_URL": scratch_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    print(f"Export benchmark: {args.rows:,} rows of each kind, {os.cpu_count()} CPU(s)")
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
        load(args.rows)
        from django.db import connections

        connections.close_all()
        print(f"  migrated and loaded in {time.perf_counter() - started:.1f} s")
        for kind in KINDS:
            output = subprocess.run(
                [sys.executable, __file__, "--child", kind],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            report = json.loads(output.strip().splitlines()[-1])
            print(
                f"  {kind:<8} {report['rows']:>9,} rows  {report['bytes'] / 2**20:6.1f} MiB  "
                f"{report['seconds']:6.2f} s  "
                f"{report['rows'] / max(report['seconds'], 1e-9):>9,.0f} rows/s  "
                f"peak memory +{report['kib'] / 1024:.1f} MiB"
            )
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            run_sql(maintenance_url, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
