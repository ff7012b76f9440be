"""A real Celery worker (not eager mode) runs tasks that were enqueued on commit."""

import time
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from athletes.models import User
from config.celery import app, enqueue_on_commit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@app.task(name="tests.mark_user_seen")
def mark_user_seen(user_id: int) -> None:
    User.objects.filter(id=user_id).update(last_name="seen by the worker")


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_celery_is_configured_for_json_late_acks_and_time_limits():
    conf = app.conf

    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_always_eager is False
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_real_worker_runs_a_task_enqueued_on_commit():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            user = User.objects.create_user("queued@club.example", "pw")
            enqueue_on_commit(mark_user_seen, user.id)
            # Inside the transaction nothing has been sent yet.
            assert User.objects.get(id=user.id).last_name == ""

        assert wait_for(lambda: User.objects.get(id=user.id).last_name == "seen by the worker")


def test_rolled_back_transaction_enqueues_nothing():
    with (
        mock.patch.object(mark_user_seen, "apply_async") as send,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        user = User.objects.create_user("rolled-back@club.example", "pw")
        enqueue_on_commit(mark_user_seen, user.id)
        raise RuntimeError("the request failed")

    send.assert_not_called()
    assert not User.objects.filter(email="rolled-back@club.example").exists()


def test_broker_down_at_commit_keeps_the_data_and_logs(caplog):
    down = mock.patch.object(mark_user_seen, "apply_async", side_effect=ConnectionError("down"))
    with down, transaction.atomic():
        user = User.objects.create_user("kept@club.example", "pw")
        enqueue_on_commit(mark_user_seen, user.id)

    assert User.objects.filter(id=user.id).exists()
    assert "Could not enqueue tests.mark_user_seen" in caplog.text


def test_broker_is_redis_when_redis_url_is_set_else_the_filesystem(settings):
    expected = "redis://" if settings.REDIS_URL else "filesystem://"

    assert app.conf.broker_url.startswith(expected)
