"""What the tests of logging a set of one's own share: the endpoint, a client with a personal
token, a set's body and a stored set's values that two paths must agree on."""

import uuid

from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from athletes.models_tokens import TokenScope
from athletes.tokens import api_token_create
from programs.models import LoggedSet

SETS = "/api/v1/sets/"
UNSTABLE = {"id", "client_uuid", "created_at"}


def with_token(user, scope=TokenScope.READ_WRITE) -> APIClient:
    _, raw = api_token_create(user=user, name="phone", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def a_set(exercise, /, **values) -> dict:
    return {"client_uuid": str(uuid.uuid4()), "exercise": exercise.id, "reps": 10} | values


def stored_as(row: LoggedSet) -> dict:
    values = model_to_dict(row)
    return {k: v for k, v in values.items() if k not in UNSTABLE | {"performed_at"}}
