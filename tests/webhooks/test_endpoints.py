"""Webhook endpoints: who manages them and which URLs they take, in the pages and the API;
Idempotency-Key and the error format; and the README's verification snippet."""

import json
import re
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api_error_format import error_of
from tests.conftest import login
from tests.webhooks.support import make_endpoint, new_athlete
from webhooks import signing, tasks
from webhooks.models import Delivery, Endpoint, validate_endpoint_url
from webhooks.services import (
    endpoint_delete,
    endpoint_update,
)

README = Path(__file__).resolve().parents[2] / "README.md"


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
