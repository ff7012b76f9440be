"""Settings for the sweep benchmark's workers and driver: local settings without DEBUG, the
benchmark's own broker folder (or Redis queue), and the hook that records each sweep task."""

import os
from pathlib import Path

from config.settings.local import *  # noqa: F403

DEBUG = False
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405

CELERY_IMPORTS = ["assessments.tasks_sweep", "bench.sweep.hooks"]
CELERY_TASK_DEFAULT_QUEUE = "baseline-bench-sweep"
if not REDIS_URL:  # noqa: F405
    _broker = Path(os.environ["BENCH_BROKER_DIR"])
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "control_folder": str(_broker / "control"),
        "processed_folder": str(_broker / "processed"),
        "store_processed": False,
        "polling_interval": 0.05,  # the default (1 s) would idle a worker between chunks
    }
    for _key in ("data_folder_in", "control_folder", "processed_folder"):
        Path(CELERY_BROKER_TRANSPORT_OPTIONS[_key]).mkdir(parents=True, exist_ok=True)

SWEEP_CHUNK_SIZE = int(os.environ.get("SWEEP_CHUNK_SIZE", "5000"))
LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}  # noqa: F405 (filesystem: no host)
