from celery import shared_task

from .emails import invite_send


@shared_task(name="athletes.send_invite")
def athlete_send_invite(athlete_id: int, invited_by_id: int) -> None:
    invite_send(athlete_id=athlete_id, invited_by_id=invited_by_id)
