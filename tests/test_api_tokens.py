"""Personal API tokens: created, listed and revoked in the browser, shown once, stored hashed;
Bearer authentication with read and read-write scopes; DRF tokens keep working."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.utils import timezone

from athletes.models import ApiToken
from athletes.models_tokens import TokenScope
from athletes.tokens import api_token_create, api_token_touch
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

PAGE = "/settings/tokens/"


def create_in_browser(client, headers=None, **data):
    return client.post(PAGE, {"name": "GPS sync", "scope": "read", **data}, headers=headers)


def new_token_on(response) -> str:
    html = response.content.decode()
    start = html.index('id="new-token-value" value="') + len('id="new-token-value" value="')
    return html[start : html.index('"', start)]


def bearer(api_client, raw):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api_client


# --- the browser page ---------------------------------------------------------------------------


def test_tokens_page_needs_a_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_created_token_is_shown_once_and_listed_by_prefix_afterwards(client, head_coach):
    login(client, head_coach)

    created = create_in_browser(client, name="GPS sync", scope="read_write")
    raw = new_token_on(created)
    again = client.get(PAGE)

    token = ApiToken.objects.get(user=head_coach)
    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"
    assert raw.startswith("bl_") and len(raw) == 46
    assert (token.name, token.scope, token.prefix) == ("GPS sync", "read_write", raw[:11])
    assert again.status_code == 200
    assert raw not in again.content.decode()
    assert 'id="new-token-value"' not in again.content.decode()
    assert f"{raw[:11]}…" in again.content.decode()
    assert "GPS sync" in again.content.decode()
    assert "Read and write" in again.content.decode()


def test_database_holds_only_a_hash_of_the_token(client, head_coach):
    login(client, head_coach)

    raw = new_token_on(create_in_browser(client))

    token = ApiToken.objects.get(user=head_coach)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM athletes_apitoken")
        row = cursor.fetchone()
    assert raw not in [str(value) for value in row]
    assert not any(raw[11:] in str(value) for value in row)


def test_htmx_create_answers_the_panel_with_the_new_token(client, head_coach):
    login(client, head_coach)

    response = create_in_browser(client, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 201
    assert html.lstrip().startswith('<div id="api-tokens">')
    assert "<html" not in html
    assert new_token_on(response).startswith("bl_")


def test_create_without_a_name_is_400_naming_the_field(client, head_coach):
    login(client, head_coach)

    response = client.post(PAGE, {"name": "  ", "scope": "read"})

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert not ApiToken.objects.exists()


def test_create_with_an_unknown_scope_is_400(client, head_coach):
    login(client, head_coach)

    response = client.post(PAGE, {"name": "x", "scope": "admin"})

    assert response.status_code == 400
    assert "scope" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_expiry_in_the_past_is_400_and_a_future_one_lasts_to_the_end_of_that_day(
    client, head_coach
):
    login(client, head_coach)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    in_a_week = timezone.localdate() + datetime.timedelta(days=7)

    refused = create_in_browser(client, expires_on=yesterday.isoformat())
    accepted = create_in_browser(client, expires_on=in_a_week.isoformat())

    assert refused.status_code == 400
    assert refused.context["form"].errors["expires_on"] == [
        "The expiry date cannot be in the past."
    ]
    assert accepted.status_code == 201
    expires_at = timezone.localtime(ApiToken.objects.get().expires_at)
    assert expires_at.date() == in_a_week + datetime.timedelta(days=1)
    assert (expires_at.hour, expires_at.minute) == (0, 0)


def test_user_lists_only_their_own_tokens(client, head_coach, outsider):
    api_token_create(user=outsider, name="Outsider's script")
    api_token_create(user=head_coach, name="Mine")
    login(client, head_coach)

    response = client.get(PAGE)

    assert [token.name for token in response.context["tokens"]] == ["Mine"]
    assert "Outsider" not in response.content.decode()


def test_token_list_query_count_does_not_grow(client, head_coach, django_assert_num_queries):
    login(client, head_coach)
    api_token_create(user=head_coach, name="one")
    client.get(PAGE)  # warm the session and the user
    with django_assert_num_queries(5) as small:
        client.get(PAGE)
    for n in range(5):
        api_token_create(user=head_coach, name=f"more {n}")

    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(PAGE)

    assert len(response.context["tokens"]) == 6


def test_revoking_in_the_browser_stops_the_token(client, api_client, head_coach):
    token, raw = api_token_create(user=head_coach, name="GPS sync")
    login(client, head_coach)

    response = client.post(f"{PAGE}{token.pk}/revoke/")
    page = client.get(PAGE).content.decode()

    token.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert token.revoked_at is not None
    assert "Revoked" in page
    assert bearer(api_client, raw).get("/api/v1/me/").status_code == 401


def test_htmx_revoke_answers_the_panel(client, head_coach):
    token, _ = api_token_create(user=head_coach, name="GPS sync")
    login(client, head_coach)

    response = client.post(f"{PAGE}{token.pk}/revoke/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="api-tokens">')
    assert "Revoked" in response.content.decode()


def test_revoking_another_users_token_is_404_and_changes_nothing(
    client, api_client, head_coach, outsider
):
    token, raw = api_token_create(user=outsider, name="Outsider's script")
    login(client, head_coach)

    response = client.post(f"{PAGE}{token.pk}/revoke/")

    token.refresh_from_db()
    assert response.status_code == 404
    assert token.revoked_at is None
    assert bearer(api_client, raw).get("/api/v1/me/").status_code == 200


def test_revoke_needs_a_post(client, head_coach):
    token, _ = api_token_create(user=head_coach, name="GPS sync")
    login(client, head_coach)

    assert client.get(f"{PAGE}{token.pk}/revoke/").status_code == 405


def test_tokens_page_is_linked_from_the_navigation(client, athlete_user):
    login(client, athlete_user)

    assert f'href="{PAGE}"' in client.get("/").content.decode()


# --- authenticating with a personal token -------------------------------------------------------


def test_bearer_token_authenticates_as_its_user(api_client, head_coach, forward):
    _, raw = api_token_create(user=head_coach, name="script")

    response = bearer(api_client, raw).get("/api/v1/athletes/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [forward.id]


def test_personal_token_also_works_with_the_token_keyword(api_client, head_coach):
    _, raw = api_token_create(user=head_coach, name="script")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")

    assert api_client.get("/api/v1/me/").json()["email"] == head_coach.email


def test_personal_token_sees_only_what_its_user_sees(api_client, outsider, forward):
    _, raw = api_token_create(user=outsider, name="script")

    response = bearer(api_client, raw).get(f"/api/v1/athletes/{forward.id}/")

    assert response.status_code == 404


def test_read_token_may_read_but_a_write_is_403_saying_why(api_client, head_coach, forwards):
    _, raw = api_token_create(user=head_coach, name="Report", scope=TokenScope.READ)
    bearer(api_client, raw)

    read = api_client.get("/api/v1/athletes/")
    write = api_client.post(
        "/api/v1/athletes/",
        {"first_name": "New", "last_name": "Player", "organisation": forwards.organisation_id},
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert "read-only" in str(write.json())
    assert "Report" in str(write.json())
    assert forwards.organisation.athletes.filter(first_name="New").count() == 0


def test_read_write_token_may_write(api_client, head_coach, club):
    _, raw = api_token_create(user=head_coach, name="Sync", scope=TokenScope.READ_WRITE)

    response = bearer(api_client, raw).post(
        "/api/v1/athletes/", {"first_name": "New", "last_name": "Player", "organisation": club.id}
    )

    assert response.status_code == 201
    assert club.athletes.filter(first_name="New").count() == 1


def test_revoked_token_is_401(api_client, head_coach):
    token, raw = api_token_create(user=head_coach, name="script")
    token.revoked_at = timezone.now()
    token.save()

    response = bearer(api_client, raw).get("/api/v1/me/")

    assert response.status_code == 401
    assert "revoked" in str(response.json())
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(api_client, head_coach):
    _, raw = api_token_create(
        user=head_coach, name="script", expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = bearer(api_client, raw).get("/api/v1/me/")

    assert response.status_code == 401
    assert "expired" in str(response.json())


def test_unknown_token_is_401(api_client, head_coach):
    _, raw = api_token_create(user=head_coach, name="script")

    response = bearer(api_client, raw[:-1] + ("A" if raw[-1] != "A" else "B")).get("/api/v1/me/")

    assert response.status_code == 401


def test_token_of_an_inactive_user_is_401(api_client, head_coach):
    _, raw = api_token_create(user=head_coach, name="script")
    head_coach.is_active = False
    head_coach.save()

    assert bearer(api_client, raw).get("/api/v1/me/").status_code == 401


def test_creating_a_token_that_expires_in_the_past_is_refused(head_coach):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        api_token_create(
            user=head_coach, name="x", expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )

    assert error.value.message_dict == {"expires_at": ["The expiry date must be in the future."]}


def test_last_used_is_recorded_at_most_once_a_minute(api_client, head_coach):
    token, raw = api_token_create(user=head_coach, name="script")
    bearer(api_client, raw)

    api_client.get("/api/v1/me/")
    token.refresh_from_db()
    first_use = token.last_used_at
    api_client.get("/api/v1/me/")
    token.refresh_from_db()

    assert first_use is not None
    assert token.last_used_at == first_use
    assert api_token_touch(token=token, now=first_use + datetime.timedelta(seconds=59)) is False
    assert api_token_touch(token=token, now=first_use + datetime.timedelta(seconds=61)) is True


def test_touch_is_a_conditional_update_that_one_of_two_racers_wins(head_coach):
    token, _ = api_token_create(user=head_coach, name="script")
    stale_copy = ApiToken.objects.get(pk=token.pk)
    now = timezone.now()

    assert api_token_touch(token=token, now=now) is True
    assert api_token_touch(token=stale_copy, now=now) is False


def test_authenticated_request_with_a_fresh_token_costs_no_update(
    api_client, head_coach, django_assert_num_queries
):
    _, raw = api_token_create(user=head_coach, name="script")
    bearer(api_client, raw).get("/api/v1/me/")

    with django_assert_num_queries(1):  # the token with its user; last_used_at is fresh
        response = api_client.get("/api/v1/me/")

    assert response.status_code == 200


# --- the scripts' token endpoint keeps working --------------------------------------------------


def test_drf_token_from_the_token_endpoint_still_works(api_client, head_coach, forward):
    response = api_client.post(
        "/api/v1/auth/token/", {"email": head_coach.email, "password": PASSWORD}
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")

    assert response.status_code == 200
    assert api_client.get("/api/v1/me/").json()["email"] == head_coach.email


def test_schema_documents_the_bearer_scheme(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["personalToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["personalToken"]["description"],
    }
    assert "tokenAuth" in schemes
