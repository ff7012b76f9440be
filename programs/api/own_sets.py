"""POST /api/v1/sets/ for the common case: one set of the requester's own (see
programs.services.own_sets).

The body is checked by the very fields of SetLogSerializer, built once, so a value is accepted,
converted and defaulted exactly as the full path would; the ids are looked up by the service in
one statement instead of one query each. Anything this path does not settle on its own (a value
a field refuses, an id it cannot place, a replay) answers None, and the view goes the full way,
which gives the answer and the error as before.

`own_set_lane` goes further for the busiest caller, a phone or device with a personal
read-write token: it looks the token up in the same statement that finds where the set goes
(`token_and_own_set_place`), judges it with the same ApiTokenAuthentication, counts the request
in the same throttles and answers with the same JSON, without building DRF's request,
negotiation and response around it (on this endpoint that framing cost more than the work), so
a set costs two statements: that one and the INSERT. The token and place it found are
remembered for that token's next set of the same exercise and session, which then costs the
INSERT alone: one that stores nothing unless the token still authenticates and the place is
still as found (`own_set_log(recheck=...)`), so a revoked token, an archived profile or a changed
plan is seen at once, in every worker. A request it does not fully settle (no such token,
throttled, an Idempotency-Key, another content type, or anything own_set_logged declines) goes
to the view as if the lane were not there.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from types import SimpleNamespace

from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import json

from athletes.api.authentication import ApiTokenAuthentication
from athletes.models_tokens import ApiToken
from athletes.tokens import token_hash
from programs.services.own_sets import Place, own_set_log, token_and_own_set_place

from .serializers_logging import LoggedSetSerializer, SetLogSerializer

ID_FIELDS = ("athlete", "session", "exercise")

# The token and place of a set this process stored, by (token hash, exercise, session), for that
# token's next set there; at most REMEMBERED of them, the oldest forgotten first. Only a hint:
# the INSERT checks them again.
REMEMBERED = 2048
_remembered: OrderedDict[tuple[str, int, int | None], tuple[ApiToken, Place]] = OrderedDict()


@functools.cache
def _value_fields() -> dict[str, serializers.Field]:
    """SetLogSerializer's fields but the ids, bound once to a serializer of their own."""
    fields = SetLogSerializer().fields
    return {name: field for name, field in fields.items() if name not in ID_FIELDS}


def _an_id(value) -> bool:
    return type(value) is int and value > 0


def own_set_lane(request: HttpRequest, view) -> HttpResponse | None:
    """The 201 of a set logged with a personal token, or None for the view to answer.
    `view` is the LoggedSetViewSet instance (its throttles and allowed methods)."""
    meta = request.META
    if request.method != "POST" or "HTTP_IDEMPOTENCY_KEY" in meta:
        return None
    if request.content_type != "application/json" or "html" in meta.get("HTTP_ACCEPT", ""):
        return None
    parts = meta.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    ids = _ids_of(data)
    if ids is None:
        return None
    # The token and where the set goes, in one statement (or as found for the token's last set
    # here); the token is judged as any other.
    key = (token_hash(parts[1]), *ids)
    remembered = _remembered.get(key)
    if remembered is None:
        token, place = token_and_own_set_place(parts[1], exercise_id=ids[0], session_id=ids[1])
    else:
        token, place = remembered
    try:
        user, token = ApiTokenAuthentication().accept(request, token)
    except (exceptions.AuthenticationFailed, exceptions.PermissionDenied):
        return None
    # What the throttles read of a DRF request: the user and the token.
    seen = SimpleNamespace(user=user, auth=token, META=meta, method=request.method)
    if not all(throttle.allow_request(seen, view) for throttle in view.get_throttles()):
        return None
    request.throttles_counted = True  # a request the view takes over is not counted twice
    if place is None:
        return None
    stored = own_set_logged(user, data, place=place, recheck=token if remembered else None)
    if stored is None:
        _remembered.pop(key, None)
        return None
    if remembered is None:
        _remember(key, (token, place))
    body = JSONRenderer().render(stored)
    response = HttpResponse(body, content_type="application/json", status=201)
    response["Allow"] = ", ".join(view.allowed_methods)
    response["Vary"] = "Accept"
    return response


def _remember(key: tuple, found: tuple[ApiToken, Place]) -> None:
    _remembered[key] = found
    while len(_remembered) > REMEMBERED:  # popitem is one step, safe beside other threads
        try:
            _remembered.popitem(last=False)
        except KeyError:
            break


def _ids_of(data) -> tuple[int, int | None] | None:
    """(exercise, session) of a body the short way can take: ids that are positive integers."""
    if not isinstance(data, dict):
        return None
    exercise, session, athlete = data.get("exercise"), data.get("session"), data.get("athlete")
    if not _an_id(exercise):
        return None
    if not (session is None or _an_id(session)) or not ("athlete" not in data or _an_id(athlete)):
        return None
    return exercise, session


def own_set_logged(
    user, data, place: Place | None = None, recheck: ApiToken | None = None
) -> dict | None:
    """The stored set, as LoggedSetSerializer shows it, or None for the full path. `place`:
    where it goes, when the caller found that already; `recheck`: the token it was found with
    by an earlier request (see own_set_log)."""
    ids = _ids_of(data)
    if ids is None or not user.is_authenticated:
        return None
    (exercise, session), athlete = ids, data.get("athlete")
    values = {}
    for name, field in _value_fields().items():
        try:
            if name in data:
                value = field.run_validation(data[name])
            elif field.required:
                return None
            else:
                value = field.get_default()
        except serializers.SkipField:
            continue
        except serializers.ValidationError:
            return None
        values[name] = value
    logged = own_set_log(
        user=user,
        exercise_id=exercise,
        session_id=session,
        athlete_id=athlete,
        place=place,
        recheck=recheck,
        **values,
    )
    return None if logged is None else LoggedSetSerializer.represent(logged)
