"""Celery tasks: thin wrappers that load rows by id and call a service."""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from config.celery import enqueue_on_commit

from .models import Result
from .notifications import digest_send, flag_email_send
from .services import result_evaluate


@shared_task(
    name="assessments.evaluate_result",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def evaluate_result(result_id: int) -> None:
    result_evaluate(result_id=result_id)


MISSED_AFTER = datetime.timedelta(minutes=2)  # a result's own message has had its chance
MISSED_WITHIN = datetime.timedelta(days=2)  # older ones are the nightly sweep's
MISSED_AT_MOST = 1000


@shared_task(name="assessments.evaluate_missed")
def evaluate_missed() -> int:
    """Send again the evaluations of results that were never evaluated because their message
    was lost (the broker was down when they were committed), so their flags come minutes after
    the broker is back rather than with the nightly sweep. Results recorded in the last two
    days, more than two minutes ago; an evaluation that runs twice changes nothing."""
    now = timezone.now()
    ids = list(
        Result.objects.filter(
            evaluated_at=None,
            recorded_at__gte=now - MISSED_WITHIN,
            recorded_at__lt=now - MISSED_AFTER,
        )
        .order_by("id")
        .values_list("id", flat=True)[:MISSED_AT_MOST]
    )
    for result_id in ids:
        enqueue_on_commit(evaluate_result, result_id)
    return len(ids)


@shared_task(
    name="assessments.notify_flag", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def notify_flag(flag_id: int, event: str) -> None:
    flag_email_send(flag_id=flag_id, event=event)


@shared_task(name="assessments.flag_digest")
def flag_digest() -> None:
    digest_send()
