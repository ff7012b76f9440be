"""The Celery app: JSON messages, late acknowledgement, time limits, enqueue on commit."""

import logging
import os
from functools import partial

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

logger = logging.getLogger(__name__)

app = Celery("baseline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged only once it has run; a worker killed mid-task hands it back.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()


def _publish(task, args: tuple) -> None:
    try:
        task.apply_async(
            args=args,
            retry=True,
            # Fail fast: one retry (a pooled connection that died with a broker restart is
            # replaced); the web request that committed must not wait on a broker that is down.
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        )
    except Exception:  # the broker is down: the nightly sweep picks the row up later
        logger.exception("Could not enqueue %s%r; the sweep will catch up", task.name, args)


def enqueue_on_commit(task, *ids: int | str) -> None:
    """Send `task` with plain ids once the current transaction commits.

    Nothing is sent if the transaction rolls back. Outside a transaction it is sent at once.
    """
    from django.db import transaction

    transaction.on_commit(partial(_publish, task, ids), robust=True)
