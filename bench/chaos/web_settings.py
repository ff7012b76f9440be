"""Settings of the web process that the Postgres restart is tried on (tests/test_faults.py,
bench/chaos/run.py): the test settings, with the connection health check switchable
(CHAOS_CONN_HEALTH_CHECKS=0) to show what it prevents."""

import os

from config.settings.test import *  # noqa: F403

DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ.get("CHAOS_CONN_HEALTH_CHECKS") != "0"  # noqa: F405
