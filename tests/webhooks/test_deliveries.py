"""Webhook deliveries: signed JSON to a real receiver on 127.0.0.1, retries with backoff, a
receiver that is down, giving up after 24 h, and redelivery by hand."""

import datetime
import hashlib
import hmac
import json
import time
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from config.celery import app
from tests.webhooks.support import (
    Receiver,
    closed_port,
    make_due,
    make_endpoint,
    new_athlete,
)
from webhooks import signing, tasks
from webhooks.delivery import BACKOFF_BASE, BACKOFF_CAP, backoff, claim
from webhooks.models import Delivery, DeliveryStatus
from webhooks.services import (
    delivery_redeliver,
    endpoint_update,
)

# --- Signed deliveries -------------------------------------------------------------------------


def test_delivery_posts_signed_json_with_id_type_timestamp_and_data(
    receiver, endpoint, delivery, scheduled
):
    assert tasks.deliver(delivery.id) == "succeeded"

    [request] = receiver.requests
    body, headers = request["body"], request["headers"]
    document = json.loads(body)
    assert sorted(document) == ["created", "data", "id", "organisation_id", "type"]
    assert document["id"] == str(delivery.event_id)
    assert document["type"] == headers["Baseline-Event"] == "athlete.created"
    assert datetime.datetime.fromisoformat(document["created"]) == delivery.event.created_at
    assert document["data"]["first_name"] == "Ada"
    assert headers["Baseline-Delivery"] == str(delivery.id)
    assert headers["Content-Type"] == "application/json"
    signature = headers["Baseline-Signature"]
    assert signature.startswith(f"t={headers['Baseline-Timestamp']},v1=")
    assert signing.verify(endpoint.secret, signature, body) is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "succeeded",
        1,
        200,
    )
    assert delivery.next_attempt_at is None
    scheduled.assert_not_called()


def test_signature_fails_with_wrong_secret_tampered_body_or_old_timestamp(
    receiver, endpoint, delivery, scheduled
):
    tasks.deliver(delivery.id)
    [request] = receiver.requests
    body, signature = request["body"], request["headers"]["Baseline-Signature"]
    sent_at = int(request["headers"]["Baseline-Timestamp"])

    assert signing.verify("whsec_not-the-secret", signature, body) is False
    assert signing.verify(endpoint.secret, signature, body.replace(b"Ada", b"Eve")) is False
    assert signing.verify(endpoint.secret, signature, body, now=sent_at + 301) is False
    assert signing.verify(endpoint.secret, signature, body, now=sent_at + 299) is True
    assert signing.verify(endpoint.secret, "v1=" + signature.split("v1=")[1], body) is False
    assert signing.verify(endpoint.secret, "", body) is False


def test_sign_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()

    assert signing.sign("whsec_test", 1700000000, b'{"a":1}') == expected
    assert signing.signature_header("whsec_test", 1700000000, '{"a":1}') == (
        f"t=1700000000,v1={expected}"
    )


def test_receiver_error_leaves_delivery_pending_with_a_retry_within_backoff(
    receiver, delivery, scheduled
):
    receiver.status = 500
    before = timezone.now()

    assert tasks.deliver(delivery.id) == "pending"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    earliest = before + datetime.timedelta(seconds=1)
    latest = timezone.now() + datetime.timedelta(seconds=BACKOFF_BASE)
    assert earliest <= delivery.next_attempt_at <= latest
    [retry] = scheduled.call_args_list
    assert retry.args == ((delivery.id,),)
    assert 0 < retry.kwargs["countdown"] <= BACKOFF_BASE


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver, delivery, scheduled):
    receiver.status = 302

    tasks.deliver(delivery.id)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_response_code, len(receiver.requests)) == (
        "pending",
        302,
        1,
    )


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap():
    import random

    rng = random.Random(7)
    for attempts in range(1, 15):
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1))
        delays = [backoff(attempts, rng=rng) for _ in range(200)]
        assert all(1 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spreads over the whole range
    assert backoff(30) <= BACKOFF_CAP


def test_a_delivery_that_is_not_due_or_is_claimed_is_not_sent_again(receiver, delivery, scheduled):
    assert claim(delivery.id) is not None
    assert claim(delivery.id) is None  # another worker already has it (its lease runs)
    assert tasks.deliver(delivery.id) is None
    assert receiver.requests == []


def test_a_delivered_event_is_not_sent_twice(receiver, delivery, scheduled):
    tasks.deliver(delivery.id)
    make_due(delivery)

    assert tasks.deliver(delivery.id) is None
    assert len(receiver.requests) == 1


def test_receiver_that_is_down_loses_no_event(club, head_coach, forwards, scheduled):
    port = closed_port()
    endpoint = make_endpoint(club, head_coach, f"http://127.0.0.1:{port}/hook")
    new_athlete(club, head_coach, teams=[forwards])
    delivery = Delivery.objects.get(endpoint=endpoint)

    assert tasks.deliver(delivery.id) == "pending"
    assert tasks.deliver(delivery.id) is None  # not due yet
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, None)
    assert "refused" in delivery.last_error.lower()

    up = Receiver(port)
    try:
        make_due(delivery)
        with mock.patch.object(tasks.deliver, "delay") as resend:
            assert tasks.retry_due() == 1
        resend.assert_called_once_with(delivery.id)
        assert tasks.deliver(delivery.id) == "succeeded"
    finally:
        up.stop()

    [request] = up.requests
    assert json.loads(request["body"])["id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "succeeded",
        2,
        200,
    )


def test_retry_due_resends_only_overdue_pending_deliveries_to_active_endpoints(
    club, head_coach, forwards, scheduled
):
    live = make_endpoint(club, head_coach, "https://hooks.harbour.example/a")
    paused = make_endpoint(club, head_coach, "https://hooks.harbour.example/b")
    for _ in range(3):
        new_athlete(club, head_coach, teams=[forwards])
    overdue, waiting, done = Delivery.objects.filter(endpoint=live).order_by("id")
    make_due(overdue)
    Delivery.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    make_due(done)
    Delivery.objects.filter(pk=done.pk).update(status=DeliveryStatus.SUCCEEDED)
    Delivery.objects.filter(endpoint=paused).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    endpoint_update(endpoint=paused, updated_by=head_coach, active=False)

    with mock.patch.object(tasks.deliver, "delay") as resend:
        assert tasks.retry_due() == 1

    resend.assert_called_once_with(overdue.id)


def test_delivery_gives_up_after_24_hours(receiver, delivery, scheduled):
    receiver.status = 503
    Delivery.objects.filter(pk=delivery.pk).update(
        give_up_at=timezone.now() + datetime.timedelta(seconds=1)
    )

    assert tasks.deliver(delivery.id) == "gave_up"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("gave_up", 1, 503)
    assert delivery.next_attempt_at is None
    scheduled.assert_not_called()


def test_a_new_delivery_retries_for_24_hours_from_the_event(delivery):
    assert delivery.give_up_at == delivery.event.created_at + datetime.timedelta(hours=24)


def test_owner_redelivers_by_hand_after_giving_up(receiver, head_coach, delivery, scheduled):
    receiver.status = 500
    Delivery.objects.filter(pk=delivery.pk).update(give_up_at=timezone.now())
    tasks.deliver(delivery.id)
    receiver.status = 200

    delivery_redeliver(delivery=delivery, by=head_coach)
    assert tasks.deliver(delivery.id) == "succeeded"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("succeeded", 2, 2)
    bodies = {json.loads(r["body"])["id"] for r in receiver.requests}
    assert bodies == {str(delivery.event_id)}


def test_only_the_owner_redelivers(assistant_coach, physio, outsider, delivery):
    for user in (assistant_coach, physio, outsider):
        with pytest.raises(PermissionDenied):
            delivery_redeliver(delivery=delivery, by=user)


def test_a_paused_endpoint_is_not_sent_to(receiver, head_coach, endpoint, delivery, scheduled):
    endpoint_update(endpoint=endpoint, updated_by=head_coach, active=False)

    assert tasks.deliver(delivery.id) is None
    with pytest.raises(ValidationError):
        delivery_redeliver(delivery=delivery, by=head_coach)
    assert receiver.requests == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_the_event_after_the_commit(club, head_coach, forwards, receiver):
    endpoint = make_endpoint(club, head_coach, receiver.url)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with transaction.atomic():
            new_athlete(club, head_coach, teams=[forwards])
            assert Delivery.objects.filter(endpoint=endpoint).exists()
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)

    [request] = receiver.requests
    assert signing.verify(
        endpoint.secret, request["headers"]["Baseline-Signature"], request["body"]
    )
    assert Delivery.objects.get().status == "succeeded"
