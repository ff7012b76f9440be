"""The load of bench/api/run.py: one user class per scenario, run with `locust --headless`.

BENCH_API_DATA names the JSON file run.py wrote (tokens, session cookies, ids). With
BENCH_RATE_PER_USER each user sends that many requests a second on average, at random moments
(a Poisson process, as from independent phones; the fixed-rate run); without it each user sends
its next request as soon as the last is answered.
Every request carries X-Forwarded-Proto: https, as the TLS proxy in front of gunicorn would.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import uuid
from pathlib import Path

from locust import FastHttpUser, constant, task

from bench.api.pacing import poisson_throughput

DATA = (
    json.loads(Path(os.environ["BENCH_API_DATA"]).read_text())
    if "BENCH_API_DATA" in os.environ
    else {}
)
RATE = float(os.environ.get("BENCH_RATE_PER_USER") or 0)
PROXY = {"X-Forwarded-Proto": "https"}


class BenchUser(FastHttpUser):
    abstract = True
    wait_time = poisson_throughput(RATE) if RATE else constant(0)


class Ping(BenchUser):
    """(a) The bare Django JSON view."""

    @task
    def ping(self):
        self.client.get("/bench/ping", headers=PROXY, name="ping")


class LogSet(BenchUser):
    """(b) An athlete logs a set of today's session with their token and a fresh client UUID.

    Each athlete's body and headers are made once; a request only fills in a new UUID, the set
    number and the reps (the load generator shares the cores with the server it measures)."""

    def on_start(self):
        self.athletes = [
            (
                '{"client_uuid": "%s", "exercise": '
                + str(athlete["exercise"])
                + ', "session": '
                + str(athlete["session"])
                + ', "set_number": %d, "side": "both", "reps": %d}',
                {
                    **PROXY,
                    "Authorization": f"Bearer {athlete['token']}",
                    "Content-Type": "application/json",
                },
            )
            for athlete in DATA["athletes"]
        ]

    @task
    def log_set(self):
        body, headers = random.choice(self.athletes)
        data = body % (uuid.uuid4(), random.randint(1, 3), random.randint(8, 15))
        self.client.post("/api/v1/sets/", data=data, headers=headers, name="log a set")


class Today(BenchUser):
    """(c) An athlete opens today's page (their phone, logged in)."""

    @task
    def today(self):
        athlete = random.choice(DATA["athletes"])
        headers = {**PROXY, "Cookie": f"sessionid={athlete['cookie']}"}
        self.client.get("/today/", headers=headers, name="athlete today")


class Dashboard(BenchUser):
    """(d) The head coach opens the dashboard of the whole club."""

    @task
    def dashboard(self):
        headers = {**PROXY, "Cookie": f"sessionid={DATA['coach']['cookie']}"}
        self.client.get("/dashboard/", headers=headers, name="coach dashboard")


class TestDayBatch(BenchUser):
    """(e) The head coach records a test day of 30 results in one request."""

    __test__ = False  # not a pytest class

    @task
    def batch(self):
        team = random.choice(DATA["teams"])
        athletes = random.sample(team["athletes"], DATA["batch_rows"])
        body = {
            "test": DATA["test"],
            "team": team["id"],
            "date": (datetime.date.fromisoformat(DATA["today"])).isoformat(),
            "rows": [
                {
                    "athlete": athlete,
                    "trials": {"both": [random.randint(250, 380)]},
                    "client_uuid": str(uuid.uuid4()),
                }
                for athlete in athletes
            ],
        }
        headers = {**PROXY, "Authorization": f"Bearer {DATA['coach']['token']}"}
        self.client.post("/api/v1/results/batch/", json=body, headers=headers, name="test day")
