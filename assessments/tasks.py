"""Celery tasks: thin wrappers that load rows by id and call a service."""

from celery import shared_task
from django.db import OperationalError

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


@shared_task(
    name="assessments.notify_flag", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def notify_flag(flag_id: int, event: str) -> None:
    flag_email_send(flag_id=flag_id, event=event)


@shared_task(name="assessments.flag_digest")
def flag_digest() -> None:
    digest_send()
