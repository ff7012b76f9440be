"""Webhooks: who manages endpoints, which events reach which endpoint, signed deliveries to a
real receiver on 127.0.0.1, retries with backoff, a receiver that is down, giving up after 24 h,
redelivery by hand, and the README's verification snippet."""

import datetime
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services as assessments
from assessments.models import Flag, FlagKind
from athletes.services import athlete_create
from config.celery import app
from programs import services as programs
from tests.api_error_format import error_of
from tests.conftest import login
from tests.factories import program
from webhooks import signing, tasks
from webhooks.delivery import BACKOFF_BASE, BACKOFF_CAP, backoff, claim
from webhooks.models import Delivery, DeliveryStatus, Endpoint, Event, validate_endpoint_url
from webhooks.services import (
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_update,
    event_emit,
)

ALL_EVENTS = [
    "flag.raised",
    "flag.resolved",
    "result.recorded",
    "session.completed",
    "athlete.created",
]
README = Path(__file__).resolve().parent.parent / "README.md"


# --- A receiver on 127.0.0.1 -------------------------------------------------------------------


class Receiver:
    """An HTTP server in a thread that records every request and answers with `status`."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def scheduled():
    """The retries `deliver` schedules on the broker: (delivery id, countdown)."""
    with mock.patch.object(tasks.deliver, "apply_async") as send:
        yield send


def make_endpoint(organisation, owner, url, events=("athlete.created",), **extra):
    return endpoint_create(
        organisation=organisation, created_by=owner, url=url, events=list(events), **extra
    )


def new_athlete(club, head_coach, teams=(), **profile):
    return athlete_create(
        organisation=club,
        created_by=head_coach,
        teams=teams,
        first_name=profile.pop("first_name", "Ada"),
        last_name=profile.pop("last_name", "Lock"),
        **profile,
    )


@pytest.fixture
def endpoint(club, head_coach, receiver):
    return make_endpoint(club, head_coach, receiver.url, events=ALL_EVENTS)


@pytest.fixture
def delivery(club, head_coach, forwards, endpoint):
    new_athlete(club, head_coach, teams=[forwards])
    return Delivery.objects.get(endpoint=endpoint)


def make_due(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=2)
    )


# --- Which endpoints an event reaches ----------------------------------------------------------


def test_event_reaches_only_active_subscribed_endpoints_of_its_own_club(
    club, head_coach, forwards, outsider, other_club, django_capture_on_commit_callbacks
):
    ours = make_endpoint(club, head_coach, "https://hooks.harbour.example/a")
    make_endpoint(club, head_coach, "https://hooks.harbour.example/paused", active=False)
    make_endpoint(club, head_coach, "https://hooks.harbour.example/flags", events=["flag.raised"])
    make_endpoint(other_club, outsider, "https://hooks.riverside.example/a")

    with (
        mock.patch.object(tasks.deliver, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        athlete = new_athlete(club, head_coach, teams=[forwards])

    delivery = Delivery.objects.get()
    assert (delivery.endpoint, delivery.status, delivery.attempts) == (ours, "pending", 0)
    assert delivery.event.organisation == club
    assert delivery.event.type == "athlete.created"
    assert delivery.event.payload == {
        "athlete_id": athlete.id,
        "organisation_id": club.id,
        "first_name": "Ada",
        "last_name": "Lock",
        "teams": [{"id": forwards.id, "name": "Forwards"}],
    }
    assert [c.kwargs["args"] for c in send.call_args_list] == [(delivery.id,)]


def test_event_nobody_subscribes_to_stores_nothing(club, head_coach):
    make_endpoint(club, head_coach, "https://hooks.harbour.example/a", events=["flag.raised"])

    assert event_emit(organisation=club, type="athlete.created", payload={}) is None
    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)


def test_a_rolled_back_change_emits_nothing(club, head_coach):
    make_endpoint(club, head_coach, "https://hooks.harbour.example/a")

    with pytest.raises(RuntimeError), transaction.atomic():
        new_athlete(club, head_coach)
        raise RuntimeError("the request failed")

    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)


def test_athlete_created_payload_leaves_out_medical_notes_and_contact_details(
    club, head_coach, endpoint
):
    new_athlete(
        club,
        head_coach,
        medical_notes="Right ankle sprain",
        notes="Prefers mornings",
        email="ada@harbour.example",
    )

    text = json.dumps(Event.objects.get().payload)
    assert "ankle" not in text and "mornings" not in text and "ada@" not in text


def test_recording_a_result_emits_result_recorded(club, head_coach, forward, endpoint, ankling):
    result, _ = assessments.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": [240]},
        recorded_by=head_coach,
        date=datetime.date(2026, 11, 2),
        notes="Felt tight",
    )

    event = Event.objects.get(type="result.recorded")
    assert event.payload == {
        "result_id": result.id,
        "athlete_id": forward.id,
        "test": "ankling",
        "date": "2026-11-02",
        "values": {"both": "240.00"},
        "lsi": None,
    }


def test_a_replayed_result_emits_once(club, head_coach, forward, endpoint, ankling):
    key = uuid.uuid4()
    for _ in range(2):
        assessments.result_record(
            athlete=forward,
            test=ankling,
            trials={"both": [240]},
            recorded_by=head_coach,
            client_uuid=key,
        )

    assert Event.objects.filter(type="result.recorded").count() == 1


def test_failing_and_passing_retest_emit_flag_raised_and_flag_resolved(
    club, head_coach, forward, endpoint, ankling
):
    first, _ = assessments.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": [240]},
        recorded_by=head_coach,
        date=datetime.date(2026, 10, 1),
    )
    assessments.result_evaluate(result_id=first.id, today=datetime.date(2026, 10, 1))
    retest, _ = assessments.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": [320]},
        recorded_by=head_coach,
        date=datetime.date(2026, 11, 12),
    )
    assessments.result_evaluate(result_id=retest.id, today=datetime.date(2026, 11, 12))

    flag = Flag.objects.get()
    raised, resolved = (
        Event.objects.get(type="flag.raised").payload,
        Event.objects.get(type="flag.resolved").payload,
    )
    assert (raised["flag_id"], raised["athlete_id"], raised["test"]) == (
        flag.id,
        forward.id,
        "ankling",
    )
    assert (raised["kind"], raised["reasons"], raised["result_id"]) == (
        "baseline",
        ["240 reps < 300"],
        first.id,
    )
    assert (resolved["flag_id"], resolved["status"], resolved["resolved_by_result_id"]) == (
        flag.id,
        "resolved",
        retest.id,
    )
    assert Delivery.objects.filter(endpoint=endpoint).count() == 4  # 2 results, 2 flag events


def test_dismissing_a_flag_is_not_an_event(club, head_coach, forward, endpoint, ankling):
    result, _ = assessments.result_record(
        athlete=forward, test=ankling, trials={"both": [240]}, recorded_by=head_coach
    )
    assessments.result_evaluate(result_id=result.id)

    assessments.flag_dismiss(flag=Flag.objects.get(), dismissed_by=head_coach, reason="Injured")

    assert sorted(Event.objects.values_list("type", flat=True)) == [
        "flag.raised",
        "result.recorded",
    ]


def test_completing_a_session_emits_session_completed_once(
    club, head_coach, forward, athlete_user, endpoint
):
    template = program(club, sessions={"Calf": [("bent-knee-heel-raise", {})]})
    [assignment] = programs.program_assign(
        template=template,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=datetime.date(2026, 11, 2),
    )
    session = assignment.sessions.get(sequence=1)
    for _ in range(2):
        programs.session_complete(
            session=session,
            completed_by=athlete_user,
            session_rpe=6,
            duration_minutes=35,
            pain=2,
            notes="Left calf sore",
        )

    payload = Event.objects.get(type="session.completed").payload
    assert (payload["session_id"], payload["athlete_id"], payload["assignment_id"]) == (
        session.id,
        forward.id,
        assignment.id,
    )
    assert (payload["session_rpe"], payload["duration_minutes"], payload["pain"]) == ("6.0", 35, 2)
    assert "sore" not in json.dumps(payload)


def test_sweep_pain_flags_emit_flag_raised_to_subscribed_clubs_only(
    club, head_coach, forward, foreign_athlete, outsider, other_club
):
    from assessments.sweep import chunk_sweep
    from tests.test_sweep import TODAY, logged_set

    ours = make_endpoint(
        club, head_coach, "https://hooks.harbour.example/a", events=["flag.raised"]
    )
    for athlete in (forward, foreign_athlete):
        logged_set(athlete, "2026-11-03", pain=7)
        logged_set(athlete, "2026-11-06", pain=6)

    chunk_sweep(
        lo_id=min(forward.id, foreign_athlete.id),
        hi_id=max(forward.id, foreign_athlete.id) + 1,
        today=TODAY,
    )

    flag = Flag.objects.get(athlete=forward, kind=FlagKind.PAIN)
    assert Flag.objects.filter(athlete=foreign_athlete, kind=FlagKind.PAIN).exists()
    delivery = Delivery.objects.select_related("event").get()
    assert (delivery.endpoint, delivery.event.organisation) == (ours, club)
    assert (delivery.event.payload["flag_id"], delivery.event.payload["kind"]) == (flag.id, "pain")
    assert delivery.event.payload["test"] is None


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


# --- Endpoints: who, and which URLs ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.harbour.example/baseline",
        "https://hooks.harbour.example:8443/x?y=1",
        "http://127.0.0.1:8001/hook",
        "http://localhost/hook",
    ],
)
def test_https_urls_and_this_machine_in_development_are_accepted(url):
    validate_endpoint_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.harbour.example/baseline",
        "ftp://hooks.harbour.example/",
        "https://10.0.0.7/hook",
        "https://192.168.1.2/hook",
        "http://169.254.169.254/latest/meta-data",
        "https:///nohost",
        "https://hooks.example:99999/",
        "file:///etc/passwd",
    ],
)
def test_plain_http_private_networks_and_malformed_urls_are_refused(url):
    with pytest.raises(ValidationError):
        validate_endpoint_url(url)


def test_this_machine_is_refused_where_development_urls_are_not_allowed(settings):
    settings.WEBHOOKS_ALLOW_LOCALHOST = False
    for url in ("http://127.0.0.1:8001/hook", "https://localhost/hook", "https://[::1]/hook"):
        with pytest.raises(ValidationError):
            validate_endpoint_url(url)


def test_endpoint_gets_a_secret_of_its_own(club, head_coach):
    one = make_endpoint(club, head_coach, "https://hooks.harbour.example/a")
    two = make_endpoint(club, head_coach, "https://hooks.harbour.example/b")

    assert one.secret.startswith("whsec_") and len(one.secret) > 40
    assert one.secret != two.secret


def test_endpoint_needs_known_events(club, head_coach):
    for events in ([], ["athlete.deleted"]):
        with pytest.raises(ValidationError) as error:
            make_endpoint(club, head_coach, "https://hooks.harbour.example/a", events=events)
        assert "events" in error.value.message_dict
    assert not Endpoint.objects.exists()


def test_only_the_owner_manages_endpoints(
    club, head_coach, assistant_coach, physio, athlete_user, outsider
):
    endpoint = make_endpoint(club, head_coach, "https://hooks.harbour.example/a")
    for user in (assistant_coach, physio, athlete_user, outsider):
        with pytest.raises(PermissionDenied):
            make_endpoint(club, user, "https://hooks.harbour.example/b")
        with pytest.raises(PermissionDenied):
            endpoint_update(endpoint=endpoint, updated_by=user, active=False)
        with pytest.raises(PermissionDenied):
            endpoint_delete(endpoint=endpoint, deleted_by=user)
    endpoint.refresh_from_db()
    assert endpoint.active is True


# --- Pages -------------------------------------------------------------------------------------


def test_owner_adds_an_endpoint_and_sees_its_secret(client, head_coach, club):
    login(client, head_coach)

    response = client.post(
        "/settings/webhooks/new/",
        {
            "url": "https://hooks.harbour.example/a",
            "events": ["flag.raised", "flag.resolved"],
            "active": "on",
        },
    )

    endpoint = Endpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/settings/webhooks/{endpoint.pk}/"
    assert (endpoint.organisation, endpoint.created_by, endpoint.events) == (
        club,
        head_coach,
        ["flag.raised", "flag.resolved"],
    )
    page = client.get(response["Location"])
    assert endpoint.secret in page.content.decode()
    listing = client.get("/settings/webhooks/").content.decode()
    assert "https://hooks.harbour.example/a" in listing


def test_page_refuses_a_plain_http_url_naming_the_field(client, head_coach):
    login(client, head_coach)

    response = client.post(
        "/settings/webhooks/new/",
        {"url": "http://hooks.harbour.example/a", "events": ["flag.raised"]},
    )

    assert response.status_code == 400
    assert "Use an https:// URL" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_owner_edits_and_deletes_an_endpoint(client, head_coach, club):
    endpoint = make_endpoint(club, head_coach, "https://hooks.harbour.example/a")
    login(client, head_coach)

    response = client.post(
        f"/settings/webhooks/{endpoint.pk}/",
        {"url": "https://hooks.harbour.example/b", "events": ["session.completed"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.active) == (
        "https://hooks.harbour.example/b",
        ["session.completed"],
        False,
    )

    assert client.post(f"/settings/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not Endpoint.objects.exists()


def test_delivery_log_page_shows_status_code_and_attempts(
    client, head_coach, receiver, endpoint, delivery, scheduled
):
    receiver.status = 500
    tasks.deliver(delivery.id)
    login(client, head_coach)

    page = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()

    row = re.search(rf'<tr id="delivery-{delivery.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "athlete.created" in row and "Pending" in row and "500" in row
    assert "<td>1</td>" in row
    assert "Redeliver" in row


def test_redeliver_button_queues_the_delivery_and_rerenders_its_row(
    client, head_coach, receiver, delivery, scheduled, django_capture_on_commit_callbacks
):
    receiver.status = 500
    Delivery.objects.filter(pk=delivery.pk).update(give_up_at=timezone.now())
    tasks.deliver(delivery.id)
    login(client, head_coach)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/", HTTP_HX_REQUEST="true"
        )

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<tr id="delivery-{delivery.pk}">')
    assert "Queued." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert [c.kwargs["args"] for c in scheduled.call_args_list] == [(delivery.id,)]


def test_staff_who_are_not_the_owner_get_403_on_webhook_pages(
    client, assistant_coach, physio, athlete_user, endpoint, delivery
):
    urls = [
        ("get", "/settings/webhooks/"),
        ("get", "/settings/webhooks/new/"),
        ("get", f"/settings/webhooks/{endpoint.pk}/"),
        ("post", f"/settings/webhooks/{endpoint.pk}/"),
        ("post", f"/settings/webhooks/{endpoint.pk}/delete/"),
        ("post", f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/"),
    ]
    for user in (assistant_coach, physio, athlete_user):
        login(client, user)
        assert [getattr(client, method)(url).status_code for method, url in urls] == [403] * 6
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_outsider_gets_404_on_our_endpoints_and_deliveries_in_pages(
    client, outsider, endpoint, delivery
):
    login(client, outsider)

    for method, url in [
        ("get", f"/settings/webhooks/{endpoint.pk}/"),
        ("post", f"/settings/webhooks/{endpoint.pk}/"),
        ("get", f"/settings/webhooks/{endpoint.pk}/delete/"),
        ("post", f"/settings/webhooks/{endpoint.pk}/delete/"),
        ("post", f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/"),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
    assert "harbour" not in client.get("/settings/webhooks/").content.decode()
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/settings/webhooks/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/settings/webhooks/",
    )


# --- API ---------------------------------------------------------------------------------------


def test_owner_manages_endpoints_through_the_api(as_user, head_coach, club):
    api = as_user(head_coach)

    created = api.post(
        "/api/v1/webhooks/",
        {
            "organisation": club.id,
            "url": "https://hooks.harbour.example/a",
            "events": ["flag.raised"],
        },
    )
    assert created.status_code == 201, created.data
    endpoint = Endpoint.objects.get()
    assert created.data["secret"] == endpoint.secret
    assert created.data["active"] is True

    assert [e["id"] for e in api.get("/api/v1/webhooks/").data["results"]] == [endpoint.id]
    changed = api.patch(
        f"/api/v1/webhooks/{endpoint.id}/", {"events": ["flag.raised", "flag.resolved"]}
    )
    assert changed.status_code == 200
    assert changed.data["events"] == ["flag.raised", "flag.resolved"]
    assert api.delete(f"/api/v1/webhooks/{endpoint.id}/").status_code == 204
    assert not Endpoint.objects.exists()


def test_api_rejects_bad_urls_events_and_foreign_organisations_with_400(
    as_user, head_coach, club, other_club
):
    api = as_user(head_coach)
    good = {
        "organisation": club.id,
        "url": "https://hooks.harbour.example/a",
        "events": ["flag.raised"],
    }

    for change, field in [
        ({"url": "http://hooks.harbour.example/a"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["athlete.deleted"]}, "events"),
        ({"organisation": other_club.id}, "organisation"),
        ({"organisation": 0}, "organisation"),
    ]:
        response = api.post("/api/v1/webhooks/", {**good, **change})
        assert response.status_code == 400, change
        assert field in json.dumps(response.json()), (change, response.json())
    assert not Endpoint.objects.exists()


def test_api_delivery_log_and_redelivery(
    as_user, head_coach, receiver, endpoint, delivery, scheduled, django_capture_on_commit_callbacks
):
    receiver.status = 500
    tasks.deliver(delivery.id)
    api = as_user(head_coach)

    log = api.get(f"/api/v1/webhooks/{endpoint.id}/deliveries/")
    assert log.status_code == 200
    [row] = log.data["results"]
    assert (row["id"], row["event"], row["event_type"]) == (
        delivery.id,
        delivery.event_id,
        "athlete.created",
    )
    assert (row["status"], row["attempts"], row["last_response_code"]) == ("pending", 1, 500)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver/")
    assert response.status_code == 202
    assert response.data["status"] == "pending"
    assert scheduled.call_args_list[-1].kwargs["args"] == (delivery.id,)


def test_delivery_log_query_count_does_not_grow(
    as_user, head_coach, club, forwards, endpoint, django_assert_num_queries
):
    api = as_user(head_coach)
    new_athlete(club, head_coach, teams=[forwards])
    with CaptureQueriesContext(connection) as one:
        api.get(f"/api/v1/webhooks/{endpoint.id}/deliveries/")
    for _ in range(4):
        new_athlete(club, head_coach, teams=[forwards])
    with django_assert_num_queries(len(one.captured_queries)):
        response = api.get(f"/api/v1/webhooks/{endpoint.id}/deliveries/")
    assert len(response.data["results"]) == 5


def test_staff_who_are_not_the_owner_get_403_from_the_api(
    as_user, club, assistant_coach, physio, athlete_user, endpoint, delivery
):
    for user in (assistant_coach, physio, athlete_user):
        api = as_user(user)
        statuses = [
            api.get("/api/v1/webhooks/").status_code,
            api.post(
                "/api/v1/webhooks/",
                {"organisation": club.id, "url": "https://x.example/", "events": ["flag.raised"]},
            ).status_code,
            api.get(f"/api/v1/webhooks/{endpoint.id}/").status_code,
            api.patch(f"/api/v1/webhooks/{endpoint.id}/", {"active": False}).status_code,
            api.delete(f"/api/v1/webhooks/{endpoint.id}/").status_code,
            api.get(f"/api/v1/webhooks/{endpoint.id}/deliveries/").status_code,
            api.get(f"/api/v1/webhook-deliveries/{delivery.id}/").status_code,
            api.post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver/").status_code,
        ]
        assert statuses == [403] * 8, user
    endpoint.refresh_from_db()
    assert endpoint.active is True
    assert Endpoint.objects.count() == 1


def test_outsider_gets_404_on_our_endpoints_and_deliveries_in_the_api(
    as_user, outsider, other_club, endpoint, delivery
):
    api = as_user(outsider)

    statuses = [
        api.get(f"/api/v1/webhooks/{endpoint.id}/").status_code,
        api.put(
            f"/api/v1/webhooks/{endpoint.id}/",
            {"organisation": other_club.id, "url": "https://x.example/", "events": ["flag.raised"]},
        ).status_code,
        api.patch(f"/api/v1/webhooks/{endpoint.id}/", {"active": False}).status_code,
        api.delete(f"/api/v1/webhooks/{endpoint.id}/").status_code,
        api.get(f"/api/v1/webhooks/{endpoint.id}/deliveries/").status_code,
        api.get(f"/api/v1/webhook-deliveries/{delivery.id}/").status_code,
        api.post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver/").status_code,
    ]

    assert statuses == [404] * 7
    assert api.get("/api/v1/webhooks/").data["results"] == []
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.organisation_id) == (True, delivery.endpoint.organisation_id)
    delivery.refresh_from_db()
    assert delivery.attempts == 0


def test_api_needs_authentication(api_client, endpoint):
    assert api_client.get("/api/v1/webhooks/").status_code in (401, 403)
    assert api_client.get(f"/api/v1/webhooks/{endpoint.id}/").status_code in (401, 403)


# --- Idempotency-Key and the error format, as on every viewset ------------------------------------


def _endpoint_body(club, path="a"):
    return {
        "organisation": club.id,
        "url": f"https://hooks.harbour.example/{path}",
        "events": ["flag.raised"],
    }


def test_a_replayed_endpoint_registration_returns_the_first_response_and_registers_once(
    as_user, head_coach, club
):
    api = as_user(head_coach)

    first = api.post(
        "/api/v1/webhooks/", _endpoint_body(club), format="json", HTTP_IDEMPOTENCY_KEY="hook-a"
    )
    replay = api.post(
        "/api/v1/webhooks/", _endpoint_body(club), format="json", HTTP_IDEMPOTENCY_KEY="hook-a"
    )
    other = api.post(
        "/api/v1/webhooks/", _endpoint_body(club, "b"), format="json", HTTP_IDEMPOTENCY_KEY="hook-a"
    )

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()  # the same secret: the first endpoint, not a second
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert list(Endpoint.objects.values_list("id", flat=True)) == [first.json()["id"]]


def test_a_replayed_redelivery_sends_once(as_user, head_coach, endpoint, delivery, scheduled):
    api = as_user(head_coach)
    url = f"/api/v1/webhook-deliveries/{delivery.id}/redeliver/"

    with mock.patch("webhooks.services._enqueue") as enqueue:
        first = api.post(url, HTTP_IDEMPOTENCY_KEY="again-1")
        replay = api.post(url, HTTP_IDEMPOTENCY_KEY="again-1")

    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    enqueue.assert_called_once_with([delivery.id])


def test_webhook_api_errors_have_the_one_format(
    as_user, head_coach, physio, outsider, club, endpoint, delivery
):
    bad = as_user(head_coach).post(
        "/api/v1/webhooks/", {**_endpoint_body(club), "url": "not a url"}, format="json"
    )
    assert bad.status_code == 400
    assert error_of(bad)["status"] == 400
    assert {f["field"] for f in error_of(bad)["fields"]} == {"url"}

    denied = as_user(physio).get(f"/api/v1/webhooks/{endpoint.id}/")
    assert denied.status_code == 403
    assert error_of(denied)["code"] == "permission_denied"

    hidden = as_user(outsider).post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver/")
    assert hidden.status_code == 404
    assert error_of(hidden) == {
        "status": 404,
        "code": "not_found",
        "message": error_of(hidden)["message"],
        "fields": [],
    }

    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
    paused = as_user(head_coach).post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver/")
    assert paused.status_code == 400
    assert {f["field"] for f in error_of(paused)["fields"]} == {"endpoint"}


def test_the_schema_documents_the_idempotency_key_on_webhook_posts():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in ("/api/v1/webhooks/", "/api/v1/webhook-deliveries/{id}/redeliver/"):
        operation = paths[path]["post"]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "Idempotency-Key" in headers, path
        assert {"409", "422"} <= set(operation["responses"]), path


# --- The README's snippet ----------------------------------------------------------------------


def readme_snippet() -> str:
    text = README.read_text()
    section = text.split("### Verify a webhook signature", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_snippet_verifies_a_delivery_and_rejects_a_forgery(
    receiver, endpoint, delivery, scheduled
):
    tasks.deliver(delivery.id)
    [request] = receiver.requests
    namespace: dict = {}
    exec(compile(readme_snippet(), "README.md", "exec"), namespace)  # noqa: S102
    verify = namespace["verify_baseline_signature"]
    headers, body = request["headers"], request["body"]

    assert verify(endpoint.secret, headers["Baseline-Signature"], body) is True
    assert verify(endpoint.secret, headers["Baseline-Signature"], body + b" ") is False
    assert verify("whsec_wrong", headers["Baseline-Signature"], body) is False
    old = signing.signature_header(endpoint.secret, int(time.time()) - 3600, body)
    assert verify(endpoint.secret, old, body) is False
