"""Development on one machine: `make run`."""

from config.env import env_str

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = env_str("SECRET_KEY", "local-development-only-not-a-secret-4b1f0c6e")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
DEMO_DATA_ALLOWED = True
WEBHOOKS_ALLOW_LOCALHOST = True  # http://127.0.0.1 and localhost receivers
INTERNAL_IPS = ["127.0.0.1"]
