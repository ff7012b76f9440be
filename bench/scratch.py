"""The scratch databases the benchmarks load and drop: each on the server of DATABASE_URL, or
on the embedded Postgres that scripts/dev.py starts."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def scratch_urls(name: str) -> tuple[str, str]:
    """(the scratch database `name`'s URL, the server's maintenance database's URL)."""
    from scripts.dev import database_url

    parts = urlsplit(database_url())
    return (
        urlunsplit(parts._replace(path="/" + name)),
        urlunsplit(parts._replace(path="/postgres")),
    )


def run_sql(url: str, *statements: str) -> None:
    """Each statement in autocommit (CREATE and DROP DATABASE cannot run in a transaction)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)
