"""The README's API guide works as written: each marked block (`<!-- api-guide: NAME -->` before
a fenced block) runs against a live server, the Python ones in a fresh interpreter and the curl
ones through bash with the real `curl`, with the site's address, a token and ids in the
environment as the guide says."""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assessments import services as assessments
from assessments.models import Flag, FlagStatus, Result, Test
from athletes.models import IdempotencyRecord
from athletes.models_tokens import TokenScope
from athletes.tokens import api_token_create
from programs import services as programs
from programs.models import LoggedSet, Prescription, ScheduledSession
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = re.compile(r"<!-- api-guide: ([\w-]+) -->\n```(\w+)\n(.*?)```", re.S)
PASSWORD = "pw-for-tests-1"  # tests/factories.py
CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


def blocks() -> dict[str, tuple[str, str]]:
    section = README.read_text().split("## API guide", 1)[1].split("\n## ", 1)[0]
    return {name: (language, code) for name, language, code in MARKER.findall(section)}


def test_the_guide_marks_a_curl_and_a_python_example_for_each_step():
    found = blocks()
    steps = ["token", "set", "result", "flags"]

    assert sorted(found) == sorted(
        f"{step}-{kind}" for step in steps for kind in ("curl", "python")
    )
    assert {found[f"{step}-curl"][0] for step in steps} == {"sh"}
    assert {found[f"{step}-python"][0] for step in steps} == {"python"}


@pytest.fixture
def guide_env(live_server, head_coach, forward, calf):
    """The environment the guide's examples read: a read-write personal token of the head
    coach, the forward's first session of the calf program and its first exercise, a test."""
    programs.program_assign(
        template=calf,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=datetime.date.today(),
    )
    session = ScheduledSession.objects.filter(athlete=forward).order_by("sequence").first()
    exercise_id = (
        Prescription.objects.filter(session__template=calf)
        .order_by("order")
        .values_list("exercise_id", flat=True)
        .first()
    )
    _, token = api_token_create(user=head_coach, name="guide", scope=TokenScope.READ_WRITE)
    return {
        **os.environ,
        "BASELINE_URL": live_server.url,
        "BASELINE_TOKEN": token,
        "BASELINE_EMAIL": head_coach.email,
        "BASELINE_PASSWORD": PASSWORD,
        "ATHLETE_ID": str(forward.id),
        "SESSION_ID": str(session.id),
        "EXERCISE_ID": str(exercise_id),
        "TEST_ID": str(Test.objects.get(organisation=None, slug="heel-rise").id),
    }


def run(name: str, env: dict) -> str:
    language, code = blocks()[name]
    command = [sys.executable, "-c", code] if language == "python" else ["bash", "-c", code]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (name, done.stdout, done.stderr)
    return done.stdout.strip()


def open_flag(athlete, by) -> Flag:
    """A failing ankling result, evaluated as the worker would: an open flag."""
    result, _ = assessments.result_record(
        athlete=athlete,
        test=Test.objects.get(organisation=None, slug="ankling"),
        trials={"both": [240]},
        recorded_by=by,
    )
    assessments.result_evaluate(result_id=result.id)
    return Flag.objects.get(result=result)


# --- Python ---------------------------------------------------------------------------------


def test_python_token_example_prints_a_key_that_authenticates(guide_env, head_coach):
    from rest_framework.authtoken.models import Token

    key = run("token-python", guide_env)

    assert key == Token.objects.get(user=head_coach).key


def test_python_set_example_logs_a_set_once(guide_env, forward):
    status, set_id = run("set-python", guide_env).split()

    logged = LoggedSet.objects.get()
    assert (status, int(set_id)) == ("201", logged.id)
    assert (logged.athlete_id, logged.session_id, logged.set_number, logged.reps) == (
        forward.id,
        int(guide_env["SESSION_ID"]),
        2,
        10,
    )
    assert IdempotencyRecord.objects.get().key == f"set-{logged.client_uuid}"


def test_python_result_example_records_a_result(guide_env, forward):
    status, result_id = run("result-python", guide_env).split()

    result = Result.objects.get()
    assert (status, int(result_id)) == ("201", result.id)
    assert (result.athlete_id, result.test.slug) == (forward.id, "heel-rise")


def test_python_flags_example_prints_every_open_flag(guide_env, head_coach, forward, back):
    flags = [open_flag(forward, head_coach), open_flag(back, head_coach)]
    closed = open_flag(AthleteFactory(organisation=forward.organisation), head_coach)
    Flag.objects.filter(pk=closed.pk).update(status=FlagStatus.DISMISSED)

    lines = run("flags-python", guide_env).splitlines()

    assert sorted(int(line.split()[0]) for line in lines) == sorted(flag.id for flag in flags)


# --- curl -----------------------------------------------------------------------------------


@needs_curl
def test_curl_token_example_returns_a_key(guide_env, head_coach):
    from rest_framework.authtoken.models import Token

    body = json.loads(run("token-curl", guide_env))

    assert body == {"token": Token.objects.get(user=head_coach).key}


@needs_curl
def test_curl_set_example_logs_a_set_and_its_retry_replays(guide_env, forward):
    first = json.loads(run("set-curl", guide_env))
    again = json.loads(run("set-curl", guide_env))

    logged = LoggedSet.objects.get()
    assert first["id"] == again["id"] == logged.id
    assert str(logged.client_uuid) == "7d1f3a52-4c1b-4f5e-9a0e-2b6c8d9e0f11"
    assert (logged.athlete_id, logged.reps) == (forward.id, 10)
    assert IdempotencyRecord.objects.get().key == "set-7d1f3a52"


@needs_curl
def test_curl_result_example_records_a_result(guide_env, forward):
    body = json.loads(run("result-curl", guide_env))

    result = Result.objects.get()
    assert body["id"] == result.id
    assert str(result.client_uuid) == "0c9e5b7a-1d2e-4f3a-8b4c-5d6e7f8a9b0c"
    assert (result.athlete_id, result.test.slug) == (forward.id, "heel-rise")


@needs_curl
def test_curl_flags_example_lists_the_open_flags(guide_env, head_coach, forward):
    flag = open_flag(forward, head_coach)

    body = json.loads(run("flags-curl", guide_env))

    assert [row["id"] for row in body["results"]] == [flag.id]
    assert body["next"] is None
