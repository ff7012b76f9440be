"""The webhook tests' fixtures: a running receiver, an endpoint of the home club that takes
every event, a delivery to it, and the retries `deliver` would schedule."""

from unittest import mock

import pytest

from tests.webhooks.support import ALL_EVENTS, Receiver, make_endpoint, new_athlete
from webhooks import tasks
from webhooks.models import Delivery


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def scheduled():
    """The retries `deliver` schedules on the broker: (delivery id, countdown)."""
    with mock.patch.object(tasks.deliver, "apply_async") as send:
        yield send


@pytest.fixture
def endpoint(club, head_coach, receiver):
    return make_endpoint(club, head_coach, receiver.url, events=ALL_EVENTS)


@pytest.fixture
def delivery(club, head_coach, forwards, endpoint):
    new_athlete(club, head_coach, teams=[forwards])
    return Delivery.objects.get(endpoint=endpoint)
