"""The API load benchmark's pieces that run without load: its bare view is off unless the
benchmark's settings turn it on, and bench/api/run.py's arguments, locust command, CSV reading,
table and target checks."""

import importlib
import random

import pytest
from django.test import RequestFactory, override_settings
from django.urls import Resolver404, clear_url_caches, resolve

from bench.api import run as bench
from config.bench import ping

STATS_CSV = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
    "POST,log a set,3000,0,31,35.2,9,400,420,100.0,0.0,31,36,40,43,52,61,80,95,300,400,400\n"
    ",Aggregated,3000,0,31,35.2,9,400,420,100.0,0.0,31,36,40,43,52,61,80,95,300,400,400\n"
)


@pytest.mark.django_db
def test_bench_ping_is_not_routed_by_default(client, settings):
    assert settings.BENCH_ENDPOINTS is False
    assert client.get("/bench/ping").status_code == 404
    with pytest.raises(Resolver404):
        resolve("/bench/ping")


def test_bench_ping_is_routed_only_with_bench_endpoints_on():
    import config.urls

    try:
        with override_settings(BENCH_ENDPOINTS=True):
            clear_url_caches()
            importlib.reload(config.urls)
            assert resolve("/bench/ping").func is ping
    finally:
        clear_url_caches()
        importlib.reload(config.urls)
    with pytest.raises(Resolver404):
        resolve("/bench/ping")


def test_bench_ping_answers_json_without_the_database():
    response = ping(RequestFactory().get("/bench/ping"))  # no django_db mark: no queries

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == b'{"status": "ok"}'


def test_arguments_defaults_are_the_readmes_setup():
    args = bench.arguments([])

    assert (args.duration, args.workers, args.rate, args.athletes) == (60, 5, 150, 500)
    assert [s.key for s in args.scenarios] == ["a", "c", "d", "e", "a2", "b", "b@rate"]


def test_arguments_only_keeps_the_bare_view_to_compare_with():
    args = bench.arguments(["--only", "b,b@rate", "--duration", "30"])

    assert [s.key for s in args.scenarios] == ["a", "a2", "b", "b@rate"]
    assert args.duration == 30
    assert [s.key for s in bench.arguments(["--only", "c"]).scenarios] == ["a", "c"]
    assert [s.key for s in bench.arguments([]).scenarios] == [s.key for s in bench.SCENARIOS]


@pytest.mark.parametrize(
    "argv",
    [
        ["--only", "z"],
        ["--duration", "2"],
        ["--rate", "0"],
        ["--rate-users", "0"],
        ["--athletes", "100"],  # a team of 25 cannot fill a test day of 30
        ["--pool", "600"],
    ],
)
def test_arguments_refuse_what_cannot_run(argv, capsys):
    with pytest.raises(SystemExit):
        bench.arguments(argv)
    assert "error:" in capsys.readouterr().err


def test_locust_command_is_headless_with_csv_and_the_scenarios_class(tmp_path):
    scenario = next(s for s in bench.SCENARIOS if s.key == "b")
    command = bench.locust_command(scenario, "http://127.0.0.1:9", 10, 30, tmp_path / "x")

    assert command[-1] == "LogSet"
    assert "--headless" in command
    assert command[command.index("--csv") + 1] == str(tmp_path / "x")
    assert command[command.index("--run-time") + 1] == "30s"
    assert command[command.index("--users") + 1] == "10"


def test_stats_csv_figures_ratios_and_table(tmp_path):
    path = tmp_path / "x_stats.csv"
    path.write_text(STATS_CSV)
    row = bench.read_stats(path)
    logged = bench.figures_of(next(s for s in bench.SCENARIOS if s.key == "b"), 10, row)
    bare = bench.Figures("a", "bare JSON view", 10, 9000, 0, 300.0, 20, 50, 80)
    fixed = bench.Figures("b@rate", "log a set at fixed rate", 30, 4500, 0, 149.0, 25, 70, 90)

    rows = bench.with_ratios([bare, logged, fixed])

    assert (logged.requests, logged.errors, logged.rps) == (3000, 0, 100.0)
    assert (logged.p50, logged.p95, logged.p99) == (31, 61, 95)
    assert logged.ratio == pytest.approx(1 / 3)
    assert bare.ratio == 1 and fixed.ratio is None
    lines = bench.table(rows).splitlines()
    assert lines[0].split()[:3] == ["scenario", "users", "req/s"]
    assert lines[2].split()[5:] == ["10", "100.0", "31", "61", "95", "0", "0.33"]
    assert lines[3].endswith("-")


def test_the_ratios_take_the_faster_run_of_the_bare_view():
    first = bench.Figures("a", "bare JSON view", 10, 9000, 0, 300.0, 20, 50, 80)
    again = bench.Figures("a2", "bare JSON view, again", 10, 12000, 0, 400.0, 15, 40, 60)
    logged = bench.Figures("b", "log a set", 10, 6000, 0, 200.0, 30, 60, 90)

    bench.with_ratios([first, again, logged])

    assert logged.ratio == 0.5 and again.ratio == 1 and first.ratio == 0.75
    assert dict(bench.verdicts([first, again, logged], 150))[
        "(b) throughput 0.50 × (a), target ≥ 0.5"
    ]


def test_verdicts_name_each_target_and_whether_it_was_met():
    bare = bench.Figures("a", "bare", 10, 9000, 0, 300.0, 20, 50, 80)
    logged = bench.Figures("b", "log", 10, 6000, 0, 200.0, 30, 60, 90)
    fixed = bench.Figures("b@rate", "log at rate", 30, 4500, 2, 149.0, 25, 80, 90)

    checks = dict(bench.verdicts(bench.with_ratios([bare, logged, fixed]), 150))

    assert checks == {
        "(b) throughput 0.67 × (a), target ≥ 0.5": True,
        "(b) p95 80 ms at 149 req/s (asked 150), target < 75 ms": False,
        "errors 2, target 0": False,
    }


def test_the_fixed_rate_users_start_at_random_moments_averaging_the_rate(monkeypatch):
    from types import SimpleNamespace

    from bench.api.pacing import poisson_throughput

    clock = [100.0]
    monkeypatch.setattr("bench.api.pacing.time.monotonic", lambda: clock[0])
    random.seed(7)
    wait = poisson_throughput(5.0)
    users = [SimpleNamespace() for _ in range(30)]

    first = [wait(user) for user in users]  # all start together, then spread out
    assert len(set(first)) == 30
    gaps = []
    user = users[0]
    for _ in range(4000):
        gap = wait(user)
        clock[0] += gap  # the answer came at once: the next start is the whole gap away
        gaps.append(gap)
    assert 0.19 < sum(gaps) / len(gaps) < 0.21  # 5 a second on average
    assert max(gaps) > 0.6 and min(gaps) < 0.01  # random, not evenly spaced

    clock[0] += 10  # a user 10 s behind (slow answers) does not fire 50 requests to catch up
    immediate = 0
    for _ in range(20):
        gap = wait(user)
        immediate += gap == 0
        clock[0] += gap
    assert immediate <= 5  # (catching up would be about 50)
