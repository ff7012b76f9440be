"""API rate limits (per personal token, per user) answer 429 with Retry-After; repeated failed
logins lock an email address out of the web login and the token endpoint (django-axes)."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from athletes.api.throttling import TokenOrUserRateThrottle
from athletes.models import ApiToken
from athletes.tokens import api_token_create
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def small_rates(monkeypatch):
    """DRF reads the rates when the throttle class is imported: patch them on the classes."""
    rates = {"user": "2/minute", "anon": "2/minute", "login": "10000/minute"}
    monkeypatch.setattr(TokenOrUserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    return rates


def bearer(client, raw):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def statuses(client, path, times):
    return [client.get(path).status_code for _ in range(times)]


# --- throttling ----------------------------------------------------------------------------------


def test_personal_token_over_its_rate_gets_429_with_retry_after(
    api_client, head_coach, small_rates
):
    _, raw = api_token_create(user=head_coach, name="script")
    bearer(api_client, raw)

    assert statuses(api_client, "/api/v1/me/", 2) == [200, 200]
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "throttled"


def test_two_tokens_of_one_user_each_have_their_own_bucket(head_coach, small_rates):
    from rest_framework.test import APIClient

    _, first = api_token_create(user=head_coach, name="first")
    _, second = api_token_create(user=head_coach, name="second")
    first_client = bearer(APIClient(), first)
    second_client = bearer(APIClient(), second)

    assert statuses(first_client, "/api/v1/me/", 3) == [200, 200, 429]
    assert statuses(second_client, "/api/v1/me/", 3) == [200, 200, 429]


def test_session_user_over_the_rate_gets_429_with_retry_after(client, head_coach, small_rates):
    login(client, head_coach)

    assert statuses(client, "/api/v1/me/", 2) == [200, 200]
    response = client.get("/api/v1/me/")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_one_users_throttling_leaves_another_user_alone(
    client, api_client, head_coach, physio, small_rates
):
    login(client, head_coach)
    statuses(client, "/api/v1/me/", 3)

    api_client.force_authenticate(physio)

    assert api_client.get("/api/v1/me/").status_code == 200


def test_drf_token_is_throttled_per_user(api_client, head_coach, small_rates):
    token = api_client.post(
        "/api/v1/auth/token/", {"email": head_coach.email, "password": PASSWORD}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert statuses(api_client, "/api/v1/me/", 3) == [200, 200, 429]


def test_token_endpoint_is_throttled_per_client_with_retry_after(
    api_client, head_coach, monkeypatch
):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "2/minute"})

    answers = [token_request(api_client, head_coach.email, PASSWORD) for _ in range(3)]

    assert [response.status_code for response in answers] == [200, 200, 429]
    assert int(answers[2]["Retry-After"]) >= 1


# --- lockout after failed logins ----------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    """The suite runs with axes off (Django's test client logs in without a request)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    return settings


def web_login(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def token_request(api_client, email, password):
    return api_client.post("/api/v1/auth/token/", {"email": email, "password": password})


def test_web_login_locks_out_after_the_failure_limit(client, head_coach, axes_on):
    before = [web_login(client, head_coach.email, "wrong").status_code for _ in range(LIMIT - 1)]
    locked = web_login(client, head_coach.email, "wrong")

    assert before == [200] * (LIMIT - 1)
    assert locked.status_code == 429
    assert locked["Retry-After"] == "3600"
    assert "Account locked" in locked.content.decode()
    assert "Too many failed login attempts" in locked.content.decode()
    assert "Try again in 60 minutes." in locked.content.decode()


def test_right_password_is_refused_while_locked_out_on_the_web(client, head_coach, axes_on):
    for _ in range(LIMIT):
        web_login(client, head_coach.email, "wrong")

    response = web_login(client, head_coach.email, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_token_endpoint_locks_out_with_a_json_429(api_client, head_coach, axes_on):
    before = [token_request(api_client, head_coach.email, "wrong") for _ in range(LIMIT - 1)]
    locked = token_request(api_client, head_coach.email, "wrong")

    assert [response.status_code for response in before] == [400] * (LIMIT - 1)
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked["Retry-After"] == "3600"
    error = locked.json()["error"]
    assert (error["status"], error["code"]) == (429, "locked_out")
    assert error["message"].startswith("Too many failed login attempts: this account is locked.")


def test_right_password_is_refused_while_locked_out_on_the_token_endpoint(
    api_client, head_coach, axes_on
):
    for _ in range(LIMIT):
        token_request(api_client, head_coach.email, "wrong")

    response = token_request(api_client, head_coach.email, PASSWORD)

    assert response.status_code == 429
    assert "token" not in response.json()
    assert not Token.objects.filter(user=head_coach).exists()


def test_web_and_token_failures_count_together_whatever_the_email_case(
    client, api_client, head_coach, axes_on
):
    web_login(client, head_coach.email.upper(), "wrong")
    token_request(api_client, head_coach.email, "wrong")

    response = token_request(api_client, head_coach.email.title(), "wrong")

    assert response.status_code == 429
    assert web_login(client, head_coach.email, PASSWORD).status_code == 429


def test_lockout_of_one_email_leaves_others_alone(client, head_coach, physio, axes_on):
    for _ in range(LIMIT):
        web_login(client, head_coach.email, "wrong")

    response = web_login(client, physio.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(physio.pk)


def test_a_successful_web_login_resets_the_failure_count(client, api_client, head_coach, axes_on):
    for _ in range(LIMIT - 1):
        token_request(api_client, head_coach.email, "wrong")
    assert web_login(client, head_coach.email, PASSWORD).status_code == 302
    client.logout()
    web_login(client, head_coach.email, "wrong")

    assert web_login(client, head_coach.email, PASSWORD).status_code == 302


def test_personal_tokens_are_not_subject_to_the_login_lockout(api_client, head_coach, axes_on):
    _, raw = api_token_create(user=head_coach, name="script")
    for _ in range(LIMIT):
        token_request(api_client, head_coach.email, "wrong")

    response = bearer(api_client, raw).get("/api/v1/me/")

    assert response.status_code == 200
    assert ApiToken.objects.filter(user=head_coach).count() == 1
