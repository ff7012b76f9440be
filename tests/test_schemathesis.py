"""Schemathesis against our own OpenAPI schema, in-process (no server): for every operation a
few generated requests as the head coach must not get a 5xx, and each response must match
what the schema says of it; every operation called without credentials must be turned away.

Path ids are our club's real objects (the cross-tenant world), so detail routes are reached
and not only answered with 404. `make fuzz` runs the same tests with many more examples per
operation (SCHEMATHESIS_EXAMPLES, 3 by default) and schemathesis's coverage phase on
(SCHEMATHESIS_COVERAGE=1).
"""

import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_cross_tenant import world as world  # the fixture
from tests.url_routes import PK_BY_PREFIX

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The WSGI app under the test settings (config/wsgi.py defaults to production's).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# The coverage phase (every boundary of every parameter) is for `make fuzz` only.
schema.config.phases.coverage.enabled = os.environ.get("SCHEMATHESIS_COVERAGE") == "1"


def _kind_of_path(path: str) -> str:
    """`/api/v1/athletes/{id}/invite/` → "athlete"."""
    prefix = re.match(r"/api/v1/([^/]+)/\{", path)
    assert prefix and prefix[1] in PK_BY_PREFIX, f"{path}: add its prefix to PK_BY_PREFIX"
    return PK_BY_PREFIX[prefix[1]]


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """A bare WSGI handler closes the database connection after each request, and with it the
    test's transaction; Django's test client unhooks that, and so do we."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def head_coach_token(db, world) -> str:
    return Token.objects.get_or_create(user=world.head_coach)[0].key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_generated_requests_without_5xx_and_as_the_schema_says(
    db, world, head_coach_token, case
):
    if "id" in (case.path_parameters or {}):
        case.path_parameters["id"] = world.objects[_kind_of_path(case.operation.path)].pk

    case.call_and_validate(headers={"Authorization": f"Token {head_coach_token}"}, checks=CHECKS)


def _operations():
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield pytest.param(method, path, operation, id=f"{method.upper()} {path}")


@pytest.mark.parametrize(("method", "path", "operation"), _operations())
def test_every_operation_turns_away_calls_without_credentials(db, client, method, path, operation):
    if not operation.get("security") or {} in operation["security"]:
        pytest.skip("open to anyone by design (the schema says so)")
    url = re.sub(r"\{[^}]+\}", "1", path)

    response = client.generic(method.upper(), url, "{}", content_type="application/json")

    assert response.status_code in (401, 403), response.content[:300]
