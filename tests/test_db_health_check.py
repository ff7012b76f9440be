"""The database health check (config/postgresql): a connection the server dropped is replaced
before a request uses it, and a live one is kept without a round trip to the server."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_connection():
    """A connection of the test's own, outside the test's transaction."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_the_app_uses_the_backend_with_its_own_health_check():
    assert settings.DATABASES["default"]["ENGINE"] == "config.postgresql"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert type(connections["default"]).__module__ == "config.postgresql.base"


def test_a_live_connection_is_usable_without_asking_the_server(own_connection, monkeypatch):
    raw = own_connection.connection

    def no_query(*args, **kwargs):
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(raw, "cursor", no_query)
    monkeypatch.setattr(raw, "execute", no_query)
    assert own_connection.is_usable()


def test_a_connection_the_server_dropped_is_not_usable_and_is_replaced(own_connection):
    pid = own_connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        # Waits until the backend has exited (its socket then says so at once).
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        assert cursor.fetchone() == (True,)

    assert not own_connection.is_usable()
    # What Django does before a request's first query: the dead connection is closed and the
    # query runs on a new one instead of failing.
    own_connection.health_check_done = False
    own_connection.close_if_health_check_failed()
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert own_connection.is_usable()


def test_a_connection_in_a_failed_transaction_is_not_usable(own_connection):
    own_connection.set_autocommit(False)
    with pytest.raises(DatabaseError), own_connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    assert not own_connection.is_usable()
    own_connection.rollback()
    own_connection.set_autocommit(True)
    assert own_connection.is_usable()


def test_a_closed_connection_is_not_usable(own_connection):
    own_connection.connection.close()
    assert not own_connection.is_usable()
    own_connection.connection = None
    assert not own_connection.is_usable()
