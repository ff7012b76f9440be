"""The nightly sweep's Celery tasks (scheduled by beat). Thin: the work is in `sweep.py`.

`sweep_start` cuts the athletes into id ranges and sends one `sweep_chunk` per range, so every
worker on every machine takes chunks; a chunk is safe to run twice (retries, redelivery).
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from config.celery import enqueue_on_commit

from .sweep import chunk_size, chunk_sweep, sweep_ranges


def _day(today: str | None) -> datetime.date:
    return datetime.date.fromisoformat(today) if today else timezone.localdate()


@shared_task(name="assessments.sweep_start")
def sweep_start(today: str | None = None) -> dict:
    """Fan out one chunk task per range of athletes. `today` (ISO date) defaults to today."""
    day = _day(today)
    ranges = sweep_ranges(size=chunk_size())
    for lo_id, hi_id in ranges:
        enqueue_on_commit(sweep_chunk, lo_id, hi_id, day.isoformat())
    return {"today": day.isoformat(), "chunks": len(ranges)}


@shared_task(
    name="assessments.sweep_chunk",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def sweep_chunk(lo_id: int, hi_id: int, today: str | None = None) -> dict:
    """Sweep the athletes with lo_id <= id < hi_id."""
    return chunk_sweep(lo_id=lo_id, hi_id=hi_id, today=_day(today)).as_dict()
