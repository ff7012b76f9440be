"""Settings of the chaos run's workers and driver (bench/chaos/run.py): the sweep benchmark's,
on a Redis of the run's own, with a short visibility timeout so that the task a killed worker
held is handed out again within seconds rather than the shipped hour."""

from bench.sweep.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = "baseline-chaos"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **REDIS_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "visibility_timeout": 15,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
