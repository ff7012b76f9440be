"""GET /healthz reports the database and the broker."""

from unittest import mock

import pytest
from django.db.utils import OperationalError
from kombu import Connection

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_names_the_database_when_it_does_not_answer(client):
    with mock.patch("config.health.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["database"] == "error: OperationalError"
    assert body["broker"] == "ok"


def test_healthz_names_the_broker_when_redis_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    unreachable = Connection("redis://127.0.0.1:1/0", connect_timeout=1)
    with mock.patch("config.health.celery_app.connection_for_write", return_value=unreachable):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["broker"].startswith("error:")
    assert body["database"] == "ok"
