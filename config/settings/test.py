"""The test suite: `make test`."""

import os

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-a-secret-8d2e5f7a"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
DEMO_DATA_ALLOWED = True
WEBHOOKS_ALLOW_LOCALHOST = True  # http://127.0.0.1 and localhost receivers
# Django's test client logs in without a request, which axes' backend refuses; the lockout tests
# (tests/test_throttling_and_lockout.py) switch it on with the `settings` fixture.
AXES_ENABLED = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/minute",
        "user": "100000/minute",
        "login": "10000/minute",
    },
}

# The suite's own broker: a fresh folder per run (or its own queue on Redis), so a worker
# started by `make run`, or by another run of the suite on the same Redis, never takes this
# run's tasks, and this run's worker never gets tasks left over from an earlier run.
CELERY_TASK_DEFAULT_QUEUE = f"baseline-test-{os.getpid()}"
if not REDIS_URL:  # noqa: F405
    import tempfile

    _broker = Path(tempfile.mkdtemp(prefix="baseline-broker-"))  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "control_folder": str(_broker / "control"),
        "processed_folder": str(_broker / "processed"),
    }
    for _key in ("data_folder_in", "control_folder", "processed_folder"):
        Path(CELERY_BROKER_TRANSPORT_OPTIONS[_key]).mkdir(parents=True, exist_ok=True)  # noqa: F405

# Each test run gets its own database, so runs on one machine never collide.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"  # noqa: F405
}
