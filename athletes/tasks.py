from celery import shared_task

from .emails import invite_send


@shared_task(name="athletes.send_invite")
def athlete_send_invite(athlete_id: int, invited_by_id: int) -> None:
    invite_send(athlete_id=athlete_id, invited_by_id=invited_by_id)


@shared_task(name="athletes.idempotency_records_purge")
def idempotency_records_purge() -> int:
    """Nightly: delete the Idempotency-Key records older than their 24 hours."""
    from config.idempotency import idempotency_records_purge as purge

    return purge()
