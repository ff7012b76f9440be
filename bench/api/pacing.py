"""How the fixed-rate run of bench/api paces its users (kept apart from the locustfile, which
needs locust, so the tests can check it)."""

from __future__ import annotations

import random
import time


def poisson_throughput(rate: float):
    """Start requests at `rate` a second on average with exponential gaps, counted from one
    start to the next (a slow answer shortens the next wait, as locust's constant_throughput
    does). Users paced by constant_throughput start together and stay in step: 30 users at 5
    a second send 30 requests at once five times a second, a pulse rather than a rate."""

    def wait_time(user) -> float:
        now = time.monotonic()
        due = max(getattr(user, "_next_start", now), now - 1 / rate)
        user._next_start = due + random.expovariate(rate)
        return max(0.0, user._next_start - now)

    return wait_time
