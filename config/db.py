"""Prepared statements for the hot statements: the token lookup every API call makes and the
two statements of logging a set (programs.services.own_sets).

Django sends every query with its values written in (client-side binding), so Postgres plans it
afresh each time; for these short statements planning costs more than running them. Here they
are sent with the values apart and `prepare=True`, so each connection plans them once. The
cursor shares Django's connection (its transaction, its health check, its type adapters), turns
database errors into Django's, and is counted in `connection.queries` where queries are logged.
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None turns preparing off (the statements
still run, planned each time).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def prepared_cursor() -> Iterator[PreparedCursor]:
    # What connection.cursor() does first (health check, connect, thread check), without
    # wrapping a cursor of Django's around one this never uses.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    try:
        yield PreparedCursor(raw)
    finally:
        raw.close()


class PreparedCursor:
    def __init__(self, cursor: psycopg.Cursor):
        self.cursor = cursor

    def execute(self, sql: str, params) -> None:
        started = time.monotonic()
        try:
            with connection.wrap_database_errors:
                self.cursor.execute(sql, params, prepare=True)
        finally:
            if connection.queries_logged:
                took = time.monotonic() - started
                connection.queries_log.append({"sql": sql, "time": f"{took:.3f}"})

    def fetchone(self):
        with connection.wrap_database_errors:
            return self.cursor.fetchone()
