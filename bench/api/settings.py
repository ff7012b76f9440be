"""Settings for the API load benchmark's gunicorn: production's, plus the bare view it compares
with (/bench/ping), its own static folder and Celery queue, and quieter logs.

bench/api/run.py sets what production requires (SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL) and
BENCH_STATIC_ROOT before anything imports this.
"""

import os

from config.settings.production import *  # noqa: F403

BENCH_ENDPOINTS = True
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
# Evaluations enqueued by recorded results wait here; no worker of another checkout takes them.
CELERY_TASK_DEFAULT_QUEUE = "baseline-bench-api"
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405
