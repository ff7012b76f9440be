"""The web shell: log in by email, log out, reset a password, vendored assets, admin."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core import mail

from athletes.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return User.objects.create_user("Sam.Coach@Rugby.example", "correct-horse-9", first_name="Sam")


def test_email_is_stored_lower_case_and_unique_ignoring_case(user):
    assert user.email == "sam.coach@rugby.example"
    with pytest.raises(Exception, match="unique"):
        User.objects.create_user("SAM.COACH@rugby.example", "x")


def test_login_page_is_mobile_first_and_uses_vendored_assets(client):
    response = client.get("/accounts/login/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
    assert "/static/vendor/pico-2.1.1/pico.jade.min.css" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no asset may come from another host"
    assert 'href="#main"' in html and 'id="main"' in html  # skip link for keyboard users


def test_vendored_assets_exist_for_whitenoise():
    for path in ["vendor/htmx-2.0.11/htmx.min.js", "vendor/pico-2.1.1/pico.jade.min.css"]:
        assert finders.find(path), path


def test_user_logs_in_with_email_in_any_case_and_logs_out(client, user):
    response = client.post(
        "/accounts/login/", {"username": "SAM.coach@rugby.example", "password": "correct-horse-9"}
    )
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_an_error_and_does_not_log_in(client, user):
    response = client.post(
        "/accounts/login/", {"username": "sam.coach@rugby.example", "password": "wrong"}
    )

    assert response.status_code == 200
    assert "enter a correct email" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_home_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_password_reset_emails_a_link_that_sets_a_new_password(client, user):
    response = client.post("/accounts/password_reset/", {"email": "sam.coach@rugby.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form_url = client.get(link).url  # Django swaps the token for a session value
    response = client.post(
        form_url, {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-pass-42")


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_admin_is_on_for_staff(client):
    User.objects.create_superuser("root@baseline.example", "pw-123456789")
    client.login(email="root@baseline.example", password="pw-123456789")

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/athletes/user/").status_code == 200
