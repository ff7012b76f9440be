"""Typed reading of environment variables.

A missing or malformed variable stops start-up with one line that names it, never a
traceback from deep inside Django.
"""

import os
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit

import environ

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


class ConfigurationError(SystemExit):
    """A bad environment variable: Python prints the one-line message and exits 1."""

    def __init__(self, name: str, problem: str):
        self.variable = name
        super().__init__(f"Configuration error: {name} {problem}.")


def env_str(name: str, default=_MISSING) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ConfigurationError(name, "is not set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(name, f"must be true or false, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(name, f"must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(name, f"must be at least {minimum}, not {number}")
    return number


def env_decimal(name: str, default: str, *, above: float | None = None) -> Decimal:
    value = os.environ.get(name) or default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ConfigurationError(name, f"must be a number, not {value!r}") from None
    if not number.is_finite() or (above is not None and number <= above):
        raise ConfigurationError(name, f"must be a number above {above}, not {value!r}")
    return number


def env_list(name: str, default=_MISSING) -> list[str]:
    value = env_str(name, default=None if default is not _MISSING else _MISSING)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ConfigurationError(name, "must list at least one value, separated by commas")
    return items


def env_database(name: str, default=_MISSING) -> dict:
    """A Django DATABASES entry from a postgres:// URL."""
    url = env_str(name, default)
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigurationError(name, f"must be a postgres:// URL, not {parts.scheme or url!r}")
    if not parts.path.strip("/"):
        raise ConfigurationError(
            name, "must name a database, e.g. postgres://user@host:5432/baseline"
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigurationError(name, "has a port that is not a number") from None
    config = environ.Env.db_url_config(url)
    config["ENGINE"] = "config.postgresql"  # Django's, with a health check of its own
    config["HOST"] = unquote(config["HOST"])  # a Unix socket folder, e.g. %2Fvar%2Frun
    return config


def env_url(name: str, schemes: set[str], default=_MISSING) -> str | None:
    url = env_str(name, default)
    if url is None:
        return None
    scheme = urlsplit(url).scheme
    if scheme not in schemes:
        allowed = " or ".join(sorted(f"{s}://" for s in schemes))
        raise ConfigurationError(name, f"must be a {allowed} URL, not {url!r}")
    return url
