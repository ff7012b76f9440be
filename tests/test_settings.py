"""Start-up configuration: production refuses to start without its variables, one line each."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x7#kq2!vT9mZp4Lr8wN3bY6hJ1cF5dG0sA-eU_oI+nK@qW&zX-test-only-0123456789",
    "ALLOWED_HOSTS": "baseline.example.org",
    "DATABASE_URL": "postgres://baseline:secret@db.internal:5432/baseline",
}


def run_manage(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "REDIS_URL"}
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    result = run_manage({**PRODUCTION, missing: None}, "check")

    assert result.returncode != 0
    assert result.stderr.strip() == f"Configuration error: {missing} is not set."
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://root@localhost/baseline", "DATABASE_URL must be a postgres://"),
        ("DATABASE_URL", "postgres://localhost:54x/baseline", "DATABASE_URL has a port"),
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS must be a whole number"),
        ("SECURE_SSL_REDIRECT", "maybe", "SECURE_SSL_REDIRECT must be true or false"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must be a redis:// or rediss:// URL"),
    ],
)
def test_malformed_variable_stops_start_up_with_one_line_naming_it(name, value, message):
    result = run_manage({**PRODUCTION, name: value}, "check")

    assert result.returncode != 0
    assert result.stderr.startswith(f"Configuration error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_check_deploy_prints_no_warnings():
    result = run_manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_production_never_runs_in_debug_or_loads_demo_data():
    result = run_manage(PRODUCTION, "demo_data")

    assert result.returncode != 0
    assert "never loaded with production settings" in result.stderr


@pytest.mark.parametrize(("value", "threshold"), [(None, "5"), ("false", "None")])
def test_prepared_statements_can_be_turned_off_for_a_pooler(value, threshold):
    show = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    result = run_manage({**PRODUCTION, "DATABASE_PREPARED_STATEMENTS": value}, "shell", "-c", show)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"{{'prepare_threshold': {threshold}}}"
