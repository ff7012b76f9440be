"""The REST API root, token authentication, the OpenAPI schema and its docs."""

import re

import pytest

from athletes.models import User
from tests.api_error_format import error_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return User.objects.create_user("coach@club.example", "a-long-password-1", first_name="Kim")


def test_token_from_email_and_password_authenticates_api_calls(api_client, user):
    response = api_client.post(
        "/api/v1/auth/token/", {"email": "Coach@club.example", "password": "a-long-password-1"}
    )
    assert response.status_code == 200
    token = response.json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/")

    assert me.status_code == 200
    assert me.json() == {
        "id": user.id,
        "email": "coach@club.example",
        "first_name": "Kim",
        "last_name": "",
    }


def test_token_request_with_wrong_password_is_400_naming_the_problem(api_client, user):
    response = api_client.post(
        "/api/v1/auth/token/", {"email": "coach@club.example", "password": "nope"}
    )

    assert response.status_code == 400
    assert "Unable to log in" in str(response.json())


def test_token_request_without_email_names_the_field(api_client):
    response = api_client.post("/api/v1/auth/token/", {"password": "x"})

    assert response.status_code == 400
    assert "email" in error_fields(response)


def test_api_rejects_anonymous_calls(api_client):
    assert api_client.get("/api/v1/me/").status_code in (401, 403)
    assert api_client.get("/api/v1/").status_code in (401, 403)


def test_api_root_lists_token_schema_and_docs(api_client, user):
    api_client.force_authenticate(user)

    body = api_client.get("/api/v1/").json()

    assert body["api-token"].endswith("/api/v1/auth/token/")
    assert body["api-schema"].endswith("/api/schema/")
    assert body["api-docs"].endswith("/api/docs/")


def test_session_authentication_works_for_the_browser(client, user):
    client.login(email="coach@club.example", password="a-long-password-1")

    assert client.get("/api/v1/me/").json()["email"] == "coach@club.example"


def test_openapi_schema_documents_the_token_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_api_docs_are_served_without_any_cdn(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
