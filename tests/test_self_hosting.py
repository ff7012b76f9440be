"""The Docker self-hosting files describe a complete, consistent deployment."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
SETTINGS_DIR = ROOT / "config" / "settings"

ENV_CALL = re.compile(
    r"""\benv_(?:str|bool|int|list|database|url)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
)
# A call that names the variable and nothing else: production refuses to start without it.
REQUIRED_ENV_CALL = re.compile(
    r"""\benv_(?:str|list|database)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)"""
)
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return env_assignments(ENV_EXAMPLE.read_text())


def env_assignments(text: str) -> dict[str, str]:
    assignments = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, value = line.partition("=")
        assert separator, f".env.example line is not NAME=value: {line!r}"
        assignments[name.strip()] = value.strip()
    return assignments


def command_words(service: dict) -> list[str]:
    command = service.get("command", [])
    if isinstance(command, str):
        return shlex.split(command)
    # ["sh", "-c", "exec gunicorn ..."] counts as the words of the shell line.
    return [word for part in command for word in shlex.split(part)]


def runs(service: dict, *words: str) -> bool:
    actual = command_words(service)
    return any(actual[i : i + len(words)] == list(words) for i in range(len(actual)))


def depends_on(service: dict) -> dict[str, dict]:
    dependencies = service.get("depends_on", {})
    if isinstance(dependencies, list):
        return {name: {"condition": "service_started"} for name in dependencies}
    return dependencies


def build_context(service: dict) -> str | None:
    build = service.get("build")
    if isinstance(build, dict):
        return build.get("context", ".")
    return build


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def settings_env_names(pattern: re.Pattern, files) -> set[str]:
    return {name for path in files for name in pattern.findall(path.read_text())}


def test_compose_runs_postgres_16_and_redis_7(services):
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_runs_web_worker_and_beat_from_the_app_image(services):
    for name in APP_SERVICES:
        assert name in services, f"no {name} service"
    contexts = {build_context(services[name]) for name in APP_SERVICES}
    images = {services[name].get("image") for name in APP_SERVICES}
    assert contexts == {"."} or (len(images) == 1 and None not in images)


def test_compose_serves_the_wsgi_app_with_gunicorn_on_port_8000(services):
    web = services["web"]
    assert runs(web, "gunicorn", "config.wsgi:application")
    assert any(str(port).endswith("8000:8000") for port in web["ports"])


def test_compose_runs_the_celery_worker_and_beat(services):
    assert runs(services["worker"], "celery", "-A", "config", "worker")
    assert runs(services["beat"], "celery", "-A", "config", "beat")


def test_compose_health_checks_every_long_running_service(services):
    for name in ("postgres", "redis", "web", "worker"):
        healthcheck = services[name].get("healthcheck", {})
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name} has its healthcheck disabled"
    assert "/healthz" in str(services["web"]["healthcheck"]["test"])


def test_compose_keeps_postgres_data_in_a_named_volume(compose, services):
    mounts = services["postgres"]["volumes"]
    named = [str(m).split(":")[0] for m in mounts if str(m).endswith(":/var/lib/postgresql/data")]
    assert named, "postgres data folder is not mounted"
    assert named[0] in (compose.get("volumes") or {}), f"volume {named[0]} is not declared"


def test_compose_starts_web_after_postgres_and_redis_are_healthy(services):
    dependencies = depends_on(services["web"])
    for name in ("postgres", "redis"):
        assert dependencies.get(name, {}).get("condition") == "service_healthy"


def test_compose_migrates_the_database_before_the_app_starts(services):
    migrations = [
        name for name, service in services.items() if runs(service, "manage.py", "migrate")
    ]
    assert migrations, "no service runs manage.py migrate"
    migrate = migrations[0]
    for name in APP_SERVICES:
        condition = depends_on(services[name]).get(migrate, {}).get("condition")
        assert condition == "service_completed_successfully", f"{name} may start before migrate"
    assert services[migrate].get("restart", "no") == "no"


def test_compose_restarts_long_running_services(services):
    for name in ("postgres", "redis", *APP_SERVICES):
        assert services[name].get("restart") == "unless-stopped", name


def test_compose_points_the_app_at_the_bundled_postgres_and_redis(services):
    postgres_env = services["postgres"]["environment"]
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        database_url = environment["DATABASE_URL"]
        assert database_url.startswith(f"postgres://{postgres_env['POSTGRES_USER']}:")
        assert database_url.endswith(f"@postgres:5432/{postgres_env['POSTGRES_DB']}")
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert services[name]["env_file"] in (".env", [".env"])


def test_env_example_names_what_production_requires(env_example):
    required = settings_env_names(REQUIRED_ENV_CALL, [SETTINGS_DIR / "production.py"])
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"} <= required
    for name in (*required, "REDIS_URL", "POSTGRES_PASSWORD"):
        assert env_example.get(name), f".env.example does not set {name}"


def test_env_example_lists_every_variable_the_settings_read(env_example):
    names = settings_env_names(ENV_CALL, sorted(SETTINGS_DIR.glob("*.py")))
    assert len(names) > 10, "the settings regex no longer finds the env_*() calls"
    missing = sorted(names - env_example.keys())
    assert not missing, f".env.example is missing {missing}"


def test_env_example_explains_every_variable():
    previous = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name = line.partition("=")[0]
            assert previous.startswith("#"), f"{name} in .env.example has no comment above it"
        previous = line


def test_env_example_uses_placeholder_secrets(env_example):
    assert env_example["SECRET_KEY"].startswith("change-me")
    assert env_example["POSTGRES_PASSWORD"].startswith("change-me")


def test_dockerfile_builds_from_python_311_and_serves_with_gunicorn():
    instructions = dockerfile_instructions()
    assert instructions[0][0] == "FROM"
    assert instructions[0][1].startswith("python:3.11")
    commands = [arguments for keyword, arguments in instructions if keyword == "CMD"]
    assert commands and "gunicorn" in commands[-1]
    assert "config.wsgi:application" in commands[-1]
    assert ("EXPOSE", "8000") in instructions


def test_dockerfile_runs_as_a_non_root_user_with_production_settings():
    instructions = dockerfile_instructions()
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    environment = " ".join(arguments for keyword, arguments in instructions if keyword == "ENV")
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in environment
    assert "PYTHONUNBUFFERED=1" in environment


def test_dockerfile_collects_static_files_and_checks_health():
    instructions = dockerfile_instructions()
    runs_ = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    assert any("collectstatic --noinput" in command for command in runs_)
    assert any("pip install -r requirements/base.txt" in command for command in runs_)
    assert not any("index-url" in command for command in runs_)
    healthchecks = [arguments for keyword, arguments in instructions if keyword == "HEALTHCHECK"]
    assert healthchecks and "/healthz" in healthchecks[0]


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = {
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".env", ".venv", ".data", ".git", "staticfiles"):
        assert entry in ignored, f".dockerignore does not exclude {entry}"
