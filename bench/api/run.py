"""Load benchmark of the web app: gunicorn as in production, locust from a second process.

    make bench                                         # installs locust, then runs this
    .venv/bin/python bench/api/run.py                  # 60 s a scenario
    .venv/bin/python bench/api/run.py --duration 30 --workers 5 --users 10 --rate 150

1. Creates the scratch database baseline_bench_api on the server of DATABASE_URL (or on the
   embedded Postgres that scripts/dev.py starts), migrates it and loads the dashboard
   benchmark's club (bench/insights/run.py's `load`: 500 athletes on four teams, two seasons of
   sessions, sets, test days and flags). Then `--pool` of the athletes get a login, a read-write
   API token, a logged-in session and a session to do today; the head coach gets a token and a
   logged-in session too.
2. Collects the static files (whitenoise's manifest, as in the Docker image) and starts gunicorn
   with `--workers` sync workers (the README's 2 × cores + 1) on production settings with DEBUG
   off (bench/api/settings.py adds the bare view /bench/ping). Requests carry
   X-Forwarded-Proto: https as from the TLS proxy. Celery tasks go to Redis (REDIS_URL, on a
   queue of their own, emptied at the end) or else to a temporary filesystem broker.
3. Runs `locust --headless` (bench/api/locustfile.py) in a second process for `--duration`
   seconds per scenario with `--users` users that send each request as soon as the last is
   answered: (a) the bare view, (c) an athlete's today page, (d) the head coach's dashboard of
   500 athletes, (e) a test day of 30 results in one API call, (b) an athlete logs a set through
   the API with a Bearer token and a fresh client UUID; then (b) again at a fixed `--rate`
   requests a second from `--rate-users` users, each starting its requests at random moments
   (bench/api/pacing.py: a Poisson process, as from independent phones). Prints requests/s,
   p50/p95/p99 (ms), errors and each scenario's throughput as a share of (a)'s, checks the
   targets and writes the figures to `--output`.

Targets on 2 cores: (b) at least half of (a)'s throughput; (b)'s p95 under 75 ms at 150
requests/s; no errors. The load generator shares the machine's cores with gunicorn and Postgres.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scratch import run_sql, scratch_urls  # noqa: E402

SCRATCH = "baseline_bench_api"
HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile.py"
OUTPUT = ROOT / "test-output" / "bench-api" / "results.json"
BATCH_ROWS = 30
QUEUE = "baseline-bench-api"


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    user_class: str
    fixed_rate: bool = False


# In this order: the reads run before the writes add to the athletes' sets and results. The
# bare view runs twice, first and again just before (b), and the ratios take the faster of the
# two: a yardstick measured in a slow minute of a shared machine would flatter every ratio.
SCENARIOS = [
    Scenario("a", "bare JSON view", "Ping"),
    Scenario("c", "athlete's today page", "Today"),
    Scenario("d", "dashboard, 500 athletes", "Dashboard"),
    Scenario("e", "test day, 30 results", "TestDayBatch"),
    Scenario("a2", "bare JSON view, again", "Ping"),
    Scenario("b", "log a set (API)", "LogSet"),
    Scenario("b@rate", "log a set at fixed rate", "LogSet", fixed_rate=True),
]
BARE_KEYS = ("a", "a2")
TARGET_RATIO = 0.5  # (b) at least half of (a)
TARGET_P95_MS = 75  # (b) at the fixed rate


@dataclass
class Figures:
    key: str
    label: str
    users: int
    requests: int
    errors: int
    rps: float
    p50: float
    p95: float
    p99: float
    ratio: float | None = None


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per scenario")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument("--users", type=int, default=10, help="locust users (full-speed runs)")
    parser.add_argument("--rate", type=float, default=150, help="requests/s of the fixed run")
    parser.add_argument("--rate-users", type=int, default=30, help="users of the fixed run")
    parser.add_argument("--athletes", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=100, help="weeks of history (2 seasons)")
    parser.add_argument("--pool", type=int, default=100, help="athletes with a login and token")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenario keys to run (a, b, c, d, e, b@rate); (a) always runs, "
        "and again (a2) before (b)",
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the JSON report")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    known = {s.key for s in SCENARIOS}
    chosen = {k.strip() for k in args.only.split(",") if k.strip()}
    if chosen - known:
        parser.error(f"--only: unknown scenario {', '.join(sorted(chosen - known))}")
    if args.duration < 5:
        parser.error("--duration: at least 5 seconds")
    if args.athletes < 4 * BATCH_ROWS:
        parser.error(f"--athletes: at least {4 * BATCH_ROWS} (four teams of {BATCH_ROWS})")
    if not 1 <= args.pool <= args.athletes:
        parser.error("--pool: between 1 and --athletes")
    if args.rate_users < 1 or args.rate <= 0:
        parser.error("--rate and --rate-users must be positive")
    if chosen:  # the bare view always runs; its second run goes with (b)
        chosen |= {"a"} | ({"a2"} if chosen & {"b", "b@rate"} else set())
    args.scenarios = [s for s in SCENARIOS if not chosen or s.key in chosen]
    return args


# --- Data -------------------------------------------------------------------------------------


def logged_in(user) -> str:
    """A session key for `user`, as after a login."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def prepare(ids: dict, pool: int) -> dict:
    """Logins, tokens and today's sessions for `pool` athletes and the head coach; what the
    locustfile needs, as plain data."""
    from django.db.models import Max
    from django.utils import timezone

    from athletes.models import Athlete, Membership, Role, Team, User
    from athletes.models_tokens import TokenScope
    from athletes.tokens import api_token_create
    from programs.models import Assignment, ScheduledSession, SessionStatus
    from programs.services.assignments import plan_of

    today = timezone.localdate()
    coach = User.objects.get(pk=ids["coach"])
    club_id = Membership.objects.get(user=coach).organisation_id
    athletes = []
    for athlete in Athlete.objects.filter(organisation_id=club_id).order_by("id")[:pool]:
        user = User.objects.create_user(email=f"athlete{athlete.id}@bench.example", password=None)
        Membership.objects.create(organisation_id=club_id, user=user, role=Role.ATHLETE)
        Athlete.objects.filter(pk=athlete.pk).update(user=user)
        assignment = (
            Assignment.objects.filter(athlete=athlete, status="active")
            .select_related("template")
            .get(reason="")
        )
        template_session = assignment.template.sessions.order_by("order").first()
        plan = plan_of(template_session)
        last = ScheduledSession.objects.filter(assignment=assignment).aggregate(
            seq=Max("sequence"), week=Max("week")
        )
        session = ScheduledSession.objects.create(
            assignment=assignment,
            athlete=athlete,
            sequence=(last["seq"] or 0) + 1,
            week=last["week"] or 1,
            date=today,
            name=template_session.name,
            plan=plan,
            status=SessionStatus.SCHEDULED,
        )
        _, token = api_token_create(user=user, name="bench", scope=TokenScope.READ_WRITE)
        athletes.append(
            {
                "id": athlete.id,
                "token": token,
                "cookie": logged_in(user),
                "session": session.id,
                "exercise": plan[0]["exercise_id"],
            }
        )
    _, coach_token = api_token_create(user=coach, name="bench", scope=TokenScope.READ_WRITE)
    teams = [
        {"id": team.id, "athletes": list(team.athletes.values_list("id", flat=True))}
        for team in Team.objects.filter(organisation_id=club_id).order_by("id")
    ]
    return {
        "today": today.isoformat(),
        "athletes": athletes,
        "coach": {"token": coach_token, "cookie": logged_in(coach)},
        "teams": [t for t in teams if len(t["athletes"]) >= BATCH_ROWS],
        "test": ids["test"],
        "batch_rows": BATCH_ROWS,
    }


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, headers: dict, data: bytes | None = None, timeout=60) -> int:
    """The status of one request to our own gunicorn (an HTTPError for 4xx and 5xx)."""
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http://127.0.0.1)
        return response.status


def wait_until_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if http("GET", base + "/bench/ping", {"X-Forwarded-Proto": "https"}, timeout=5) == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not answer on {base} within {timeout:.0f} s")
        time.sleep(0.5)


def warm_up(base: str, data: dict, workers: int) -> None:
    """Each scenario's request a few times per worker (first requests import and connect), and
    a check that each answers as expected before measuring."""
    import random
    import uuid

    proxy = {"X-Forwarded-Proto": "https"}
    athlete = data["athletes"][0]
    coach = data["coach"]
    team = data["teams"][0]

    def call(method, path, headers, body=None, expect=200):
        payload = json.dumps(body).encode() if body is not None else None
        headers = {**proxy, **headers}
        if payload:
            headers["Content-Type"] = "application/json"
        try:
            status, detail = http(method, base + path, headers, payload, timeout=60), b""
        except urllib.error.HTTPError as error:
            status, detail = error.code, error.read()[:500]
        if status != expect:
            raise SystemExit(f"warm-up: {method} {path} answered {status}: {detail!r}")

    for _ in range(workers * 2):
        call("GET", "/bench/ping", {})
        call("GET", "/today/", {"Cookie": f"sessionid={athlete['cookie']}"})
        call("GET", "/dashboard/", {"Cookie": f"sessionid={coach['cookie']}"})
    bearer = {"Authorization": f"Bearer {athlete['token']}"}
    for _ in range(workers * 2):
        body = {
            "client_uuid": str(uuid.uuid4()),
            "exercise": athlete["exercise"],
            "session": athlete["session"],
            "set_number": 1,
            "side": "both",
            "reps": 10,
        }
        call("POST", "/api/v1/sets/", bearer, body, expect=201)
    rows = [
        {"athlete": a, "trials": {"both": [300]}, "client_uuid": str(uuid.uuid4())}
        for a in random.sample(team["athletes"], BATCH_ROWS)
    ]
    body = {"test": data["test"], "team": team["id"], "date": data["today"], "rows": rows}
    call("POST", "/api/v1/results/batch/", {"Authorization": f"Bearer {coach['token']}"}, body, 201)


# --- locust -----------------------------------------------------------------------------------


def locust_command(
    scenario: Scenario, base: str, users: int, duration: int, prefix: Path
) -> list[str]:
    locust = Path(sys.executable).with_name("locust")
    return [
        str(locust),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration}s",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
        "--stop-timeout",
        "10",
        "--exit-code-on-error",
        "0",
        scenario.user_class,
    ]


def read_stats(path: Path) -> dict:
    """The Aggregated row of locust's `<prefix>_stats.csv`."""
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return row
    raise ValueError(f"{path}: no Aggregated row")


def figures_of(scenario: Scenario, users: int, row: dict) -> Figures:
    def number(column: str) -> float:
        value = row.get(column) or "0"
        return 0.0 if value == "N/A" else float(value)

    return Figures(
        key=scenario.key,
        label=scenario.label,
        users=users,
        requests=int(number("Request Count")),
        errors=int(number("Failure Count")),
        rps=number("Requests/s"),
        p50=number("50%"),
        p95=number("95%"),
        p99=number("99%"),
    )


def with_ratios(rows: list[Figures]) -> list[Figures]:
    """Each row's throughput as a share of the bare view's (a) in the same run: the faster of
    its runs."""
    bare = max((r.rps for r in rows if r.key in BARE_KEYS), default=0)
    for row in rows:
        full_speed = not row.key.endswith("@rate")  # a fixed rate's throughput is the rate
        row.ratio = row.rps / bare if bare and full_speed else None
    return rows


def table(rows: list[Figures]) -> str:
    lines = [
        f"{'':3} {'scenario':<26} {'users':>5} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'errors':>7} {'× (a)':>6}",
    ]
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        lines.append(
            f"{r.key:<3} {r.label:<26} {r.users:>5} {r.rps:>8.1f} {r.p50:>7.0f} {r.p95:>7.0f} "
            f"{r.p99:>7.0f} {r.errors:>7} {ratio:>6}"
        )
    return "\n".join(lines)


def verdicts(rows: list[Figures], rate: float) -> list[tuple[str, bool]]:
    """The targets that the rows measured: (text, met)."""
    by_key = {r.key: r for r in rows}
    checks = []
    if "b" in by_key and by_key["b"].ratio is not None:
        ratio = by_key["b"].ratio
        checks.append((f"(b) throughput {ratio:.2f} × (a), target ≥ {TARGET_RATIO}", ratio >= 0.5))
    if "b@rate" in by_key:
        fixed = by_key["b@rate"]
        checks.append(
            (
                f"(b) p95 {fixed.p95:.0f} ms at {fixed.rps:.0f} req/s (asked {rate:.0f}), "
                f"target < {TARGET_P95_MS} ms",
                fixed.p95 < TARGET_P95_MS and fixed.rps >= 0.95 * rate,
            )
        )
    errors = sum(r.errors for r in rows)
    checks.append((f"errors {errors}, target 0", errors == 0))
    return checks


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory": memory,
        "python": platform.python_version(),
    }


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def report(args: argparse.Namespace, rows: list[Figures], loads: dict) -> dict:
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "bench/api/run.py " + " ".join(args.argv),
        "machine": machine(),
        "gunicorn": {"workers": args.workers, "worker_class": "sync"},
        "duration_s": args.duration,
        "users": args.users,
        "rate": {"requests_per_s": args.rate, "users": args.rate_users},
        "load_average": loads,
        "scenarios": [asdict(r) for r in rows],
        "targets": [{"check": text, "met": met} for text, met in verdicts(rows, args.rate)],
    }


# --- The run ----------------------------------------------------------------------------------


def purge_queue(redis_url: str) -> None:
    try:
        import redis

        redis.Redis.from_url(redis_url).delete(QUEUE)
    except Exception as error:  # a leftover queue is not worth failing for
        print(f"  (could not empty the Redis queue {QUEUE}: {error})")


def main(argv: list[str]) -> int:
    args = arguments(argv)
    args.argv = argv
    if not Path(sys.executable).with_name("locust").exists():
        print(
            "locust is not installed: run `make bench` (or pip install -r requirements/bench.txt)"
        )
        return 2
    scratch_url, maintenance_url = scratch_urls(SCRATCH)
    work = Path(tempfile.mkdtemp(prefix="baseline-bench-api-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.api.settings",
        "DATABASE_URL": scratch_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BENCH_STATIC_ROOT": str(work / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    if not os.environ.get("REDIS_URL"):
        env["BASELINE_DATA_DIR"] = str(work / "data")  # the filesystem broker's folder
    print(
        f"API load benchmark: {args.athletes} athletes, {args.workers} gunicorn workers, "
        f"{args.duration} s a scenario, {os.cpu_count()} CPU(s), load average {load_average()}"
    )
    run_sql(
        maintenance_url,
        f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)",
        f"CREATE DATABASE {SCRATCH}",
    )
    gunicorn = None
    try:
        started = time.perf_counter()
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*manage, "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        os.environ.update(env)
        import django

        django.setup()
        from bench.insights.run import load

        ids = load(args.athletes, args.weeks)
        data = prepare(ids, args.pool)
        data_file = work / "data.json"
        data_file.write_text(json.dumps(data))
        from django.db import connection, connections

        with connection.cursor() as cursor:
            # The freshly loaded tables vacuumed and their statistics taken now (the logins and
            # tokens just made too), not by autovacuum in the middle of the first scenario.
            cursor.execute("VACUUM ANALYZE")
        connections.close_all()
        print(f"  loaded in {time.perf_counter() - started:.0f} s")

        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_until_up(base)
        warm_up(base, data, args.workers)

        rows, loads = [], {}
        for scenario in args.scenarios:
            users = args.rate_users if scenario.fixed_rate else args.users
            locust_env = {**env, "BENCH_API_DATA": str(data_file)}
            if scenario.fixed_rate:
                locust_env["BENCH_RATE_PER_USER"] = str(args.rate / args.rate_users)
            prefix = work / f"locust-{scenario.key.replace('@', '-')}"
            print(
                f"  {scenario.key}: {scenario.label}, {users} users, {args.duration} s …",
                flush=True,
            )
            done = subprocess.run(
                locust_command(scenario, base, users, args.duration, prefix),
                cwd=ROOT,
                env=locust_env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                print(done.stdout, done.stderr, sep="\n")
                raise SystemExit(f"locust exited with status {done.returncode}")
            rows.append(figures_of(scenario, users, read_stats(Path(f"{prefix}_stats.csv"))))
            loads[scenario.key] = load_average()
        with_ratios(rows)
        print()
        print(table(rows))
        print()
        body = report(args, rows, loads)
        for check in body["targets"]:
            print(f"  {'met ' if check['met'] else 'MISSED'}  {check['check']}")
        print(f"  load average after each run: {loads}")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(body, indent=2) + "\n")
        print(f"  written to {args.output}")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if os.environ.get("REDIS_URL"):
            purge_queue(os.environ["REDIS_URL"])
        if not args.keep:
            from django.db import connections

            connections.close_all()
            run_sql(maintenance_url, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
