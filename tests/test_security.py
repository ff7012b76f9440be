"""Security headers and production settings: the Content-Security-Policy every answer carries,
templates that keep to it, and what production sends (HSTS, cookies, framing, lockout).

`manage.py check --deploy --fail-level WARNING` with production settings is in
tests/test_settings.py; the policy in a real browser in tests/browser/
test_content_security_policy.py; who may reach which URL in tests/test_authorization_matrix.py.
"""

import json
import re
from pathlib import Path

import pytest

from tests.test_settings import PRODUCTION, run_manage

ROOT = Path(__file__).resolve().parent.parent
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "manifest-src": ["'self'"],
    "worker-src": ["'self'"],
}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/docs/", "/api/v1/", "/sw.js"])
def test_every_answer_carries_the_strict_content_security_policy(client, path):
    response = client.get(path)

    assert directives(response["Content-Security-Policy"]) == POLICY
    assert "unsafe" not in response["Content-Security-Policy"]


def test_logged_in_pages_carry_the_same_policy(client, head_coach, athlete_user):
    for user, path in ((head_coach, "/dashboard/"), (athlete_user, "/today/")):
        client.force_login(user)
        response = client.get(path)

        assert response.status_code == 200
        assert directives(response["Content-Security-Policy"]) == POLICY


def test_api_docs_load_swagger_ui_from_our_own_files_only(client):
    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "<style" not in page
    assert '<script src="/api/docs/?script="></script>' in page
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "on*= handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "style= attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style[\s>]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_has_inline_script_style_or_handlers():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")

    assert found == []


SETTINGS_DUMP = """
import json
from django.conf import settings as s
names = [
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF", "AXES_ENABLED",
    "AXES_FAILURE_LIMIT", "DEBUG",
]
values = {n: getattr(s, n, None) for n in names}
values["middleware"] = s.MIDDLEWARE
values["backends"] = s.AUTHENTICATION_BACKENDS
values["csp"] = s.CONTENT_SECURITY_POLICY["DIRECTIVES"]
print(json.dumps(values))
"""


def production_settings(**env) -> dict:
    result = run_manage({**PRODUCTION, **env}, "shell", "-c", SETTINGS_DUMP)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_secure_cookies_and_refuses_framing():
    values = production_settings()

    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["CSRF_COOKIE_SECURE"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["DEBUG"] is False
    assert values["csp"] == POLICY
    assert "csp.middleware.CSPMiddleware" in values["middleware"]


def test_production_locks_out_repeated_failed_logins():
    values = production_settings()

    assert values["AXES_ENABLED"] is True
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["middleware"][-1] == "axes.middleware.AxesMiddleware"
    assert values["backends"][0] == "axes.backends.AxesStandaloneBackend"


def test_without_a_proxy_the_forwarded_proto_header_is_not_trusted():
    values = production_settings(SECURE_PROXY_SSL_HEADER="false", SECURE_SSL_REDIRECT="false")

    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SECURE_SSL_REDIRECT"] is False
