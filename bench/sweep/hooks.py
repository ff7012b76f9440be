"""Loaded by the benchmark's workers (CELERY_IMPORTS) and by run.py: every task message
published and every task finished is appended, as a line of JSON, to a file per process in
BENCH_EVENTS_DIR, which run.py reads (a file, not the database, so that counting adds no
commits to the sweep it measures). A finished sweep task's line holds what it returned (the
chunk's report: counts, queries, seconds) and the process's peak memory; run.py knows all
the work is done when as many tasks have finished as were published."""

import json
import os
import resource
import time
from pathlib import Path

from celery.signals import after_task_publish, task_postrun, worker_ready


def _write(event: str, task: str, state: str = "", report=None) -> None:
    folder = os.environ.get("BENCH_EVENTS_DIR")
    if not folder:
        return
    line = {
        "event": event,
        "task": task,
        "state": state,
        "report": report or {},
        "pid": os.getpid(),
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "at": time.time(),
    }
    with Path(folder, f"{os.getpid()}.jsonl").open("a") as events:
        events.write(json.dumps(line) + "\n")


@after_task_publish.connect
def record_published(sender=None, **_):
    if sender and sender.startswith("assessments."):
        _write("published", sender)


@task_postrun.connect
def record_finished(task=None, retval=None, state=None, **_):
    if task is None or not task.name.startswith("assessments."):
        return  # a retried task counts as finished: its retry is published anew
    report = retval if isinstance(retval, dict) else {"error": repr(retval)}
    _write(
        "finished", task.name, state, report if task.name.startswith("assessments.sweep_") else {}
    )


@worker_ready.connect
def say_ready(**_):
    """Tell run.py this worker takes tasks (a file per worker in BENCH_READY_DIR)."""
    folder = os.environ.get("BENCH_READY_DIR")
    if folder:
        Path(folder, str(os.getpid())).touch()
