"""Logging a set of one's own in two statements (programs.services.own_sets) and the lane for
personal tokens (programs.api.own_sets): the same row, fingerprint and answer as the full path,
replays found across both, and every other case left to the full path with its own answer."""

import uuid

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from athletes.models_tokens import ApiToken, TokenScope
from athletes.tokens import api_token_create, api_token_find, api_token_revoke
from config.db import prepared_cursor
from programs import services
from programs.api import views_logging
from programs.api.serializers_logging import LoggedSetSerializer
from programs.models import LoggedSet
from programs.services.own_sets import own_set_place, token_and_own_set_place
from tests.api_error_format import error_fields, error_of
from tests.factories import club_exercise
from tests.own_sets.support import SETS, UNSTABLE, a_set, stored_as, with_token

pytestmark = pytest.mark.django_db

BODIES = [
    {},
    {"reps": 12, "side": "left", "set_number": 2, "rpe": 7.5, "pain": 3},
    {"reps": None, "seconds": 45, "load_type": "kg", "load_value": 20, "notes": "  felt fine  "},
    {"reps": 8, "contacts": 120, "rpe": "8", "load_type": "percent_bm", "load_value": "12.5"},
    {"performed_at": "2026-01-05T07:30:00Z"},
    {"reps": None, "metres": 400, "session": None},
    {"load_type": "bodyweight", "side": "both", "notes": "left calf tight"},
]


@pytest.mark.parametrize("extra", BODIES)
def test_the_lane_stores_and_answers_exactly_as_the_full_path(
    phone, api_client, athlete_user, forward, sessions, raise_, extra, monkeypatch
):
    body = a_set(raise_, session=sessions[forward.id].id) | extra
    with CaptureQueriesContext(connection) as queries:
        quick = phone.post(SETS, body, format="json")
    assert quick.status_code == 201, quick.content
    skipped = ("SAVEPOINT", "RELEASE", 'UPDATE "athletes_apitoken"')  # the first use's touch
    statements = [q["sql"] for q in queries if not q["sql"].startswith(skipped)]
    assert len(statements) == 2, statements  # the token with where the set goes, the insert

    monkeypatch.setattr(views_logging, "own_set_lane", lambda request, view: None)
    monkeypatch.setattr(views_logging, "own_set_logged", lambda user, data, place=None: None)
    api_client.force_authenticate(athlete_user)
    full = api_client.post(SETS, body | {"client_uuid": str(uuid.uuid4())}, format="json")
    assert full.status_code == 201, full.content

    mine, theirs = (LoggedSet.objects.get(pk=r.json()["id"]) for r in (quick, full))
    assert stored_as(mine) == stored_as(theirs)
    assert mine.fingerprint == theirs.fingerprint
    if "performed_at" in body:
        assert mine.performed_at == theirs.performed_at
    assert quick.json() == LoggedSetSerializer(mine).data
    shown = [{k: v for k, v in r.json().items() if k not in UNSTABLE | {"performed_at"}}
             for r in (quick, full)]  # fmt: skip
    assert shown[0] == shown[1]
    assert quick["Content-Type"] == full["Content-Type"] == "application/json"


def test_a_replay_through_the_lane_returns_the_original_and_other_values_are_a_422(
    phone, forward, sessions, raise_
):
    body = a_set(raise_, session=sessions[forward.id].id, rpe=6)
    first = phone.post(SETS, body, format="json")

    again = phone.post(SETS, body | {"rpe": 6.0}, format="json")
    other = phone.post(SETS, body | {"reps": 11}, format="json")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
    assert again.json() == first.json()
    assert error_of(other)["original"] == first.json()
    assert LoggedSet.objects.count() == 1


def test_a_set_stored_by_one_path_is_a_replay_on_the_other(
    phone, athlete_user, forward, sessions, raise_
):
    session = sessions[forward.id]
    by_service, created = services.set_log(
        athlete=forward, logged_by=athlete_user, client_uuid=uuid.uuid4(), exercise=raise_,
        session=session, reps=10, rpe=7, set_number=1, side="", load_type="none", notes="",
    )  # fmt: skip
    replay = phone.post(
        SETS, a_set(raise_, session=session.id, rpe="7.0", client_uuid=str(by_service.client_uuid))
    )
    assert created and replay.status_code == 200
    assert replay.json()["id"] == by_service.id

    by_lane = phone.post(SETS, a_set(raise_, session=session.id, pain=2), format="json").json()
    again, created = services.set_log(
        athlete=forward, logged_by=athlete_user, client_uuid=by_lane["client_uuid"],
        exercise=raise_, session=session, reps=10, pain=2, set_number=1, side="",
        load_type="none", notes="",
    )  # fmt: skip
    assert not created and again.id == by_lane["id"]
    assert LoggedSet.objects.count() == 2


def test_what_the_lane_leaves_gets_the_full_paths_answer(
    phone, athlete_user, forward, back, sessions, raise_, other_club, head_coach
):
    foreign = club_exercise(other_club, "Their raise")
    mine = sessions[forward.id].id

    cases = {
        "session": phone.post(SETS, a_set(raise_, session=sessions[back.id].id)),
        "exercise": phone.post(SETS, a_set(foreign)),
        "athlete": phone.post(SETS, a_set(raise_, athlete=back.id)),
        "reps": phone.post(SETS, a_set(raise_, reps=5000)),
        "side": phone.post(SETS, a_set(raise_, side="middle")),
        "load_value": phone.post(SETS, a_set(raise_, load_type="kg")),
    }
    for field, response in cases.items():
        assert response.status_code == 400, (field, response.content)
        assert field in error_fields(response), (field, response.content)

    no_measure = phone.post(SETS, a_set(raise_, reps=None), format="json")
    assert no_measure.status_code == 400
    as_text = phone.post(SETS, a_set(raise_, exercise=str(raise_.id), session=str(mine)))
    assert as_text.status_code == 201, as_text.content  # ids as text: the full path takes them
    named = phone.post(SETS, a_set(raise_, athlete=forward.id, session=mine))
    assert named.status_code == 201 and named.json()["athlete"] == forward.id
    coach = with_token(head_coach).post(SETS, a_set(raise_, athlete=back.id))
    assert coach.status_code == 201 and coach.json()["athlete"] == back.id
    assert LoggedSet.objects.count() == 3


def test_tokens_the_lane_cannot_use_are_answered_by_the_view(athlete_user, raise_):
    read_only = with_token(athlete_user, TokenScope.READ)
    assert read_only.post(SETS, a_set(raise_)).status_code == 403

    revoked_token, raw = api_token_create(user=athlete_user, name="old", scope="read_write")
    api_token_revoke(token=revoked_token)
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert revoked.post(SETS, a_set(raise_)).status_code == 401

    athlete_user.is_active = False
    athlete_user.save()
    assert with_token(athlete_user).post(SETS, a_set(raise_)).status_code == 401
    assert not LoggedSet.objects.exists()


def test_an_idempotency_key_is_honoured_on_the_lanes_endpoint(phone, raise_):
    phone.credentials(
        HTTP_AUTHORIZATION=phone._credentials["HTTP_AUTHORIZATION"], HTTP_IDEMPOTENCY_KEY="k-1"
    )
    first = phone.post(SETS, a_set(raise_), format="json")
    second = phone.post(SETS, a_set(raise_), format="json")  # another UUID, the same key

    assert (first.status_code, second.status_code) == (201, 422)
    assert LoggedSet.objects.count() == 1


def test_the_lane_counts_in_the_tokens_throttle(phone, raise_, monkeypatch):
    from django.core.cache import cache

    from athletes.api.throttling import TokenOrUserRateThrottle

    cache.clear()
    monkeypatch.setattr(TokenOrUserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    first = a_set(raise_)
    codes = [phone.post(SETS, first, format="json").status_code]
    codes.append(phone.post(SETS, first, format="json").status_code)  # a replay: the view's
    codes += [phone.post(SETS, a_set(raise_), format="json").status_code for _ in range(2)]

    assert codes == [201, 200, 201, 429]  # the replay counted once, not by the lane and the view
    assert LoggedSet.objects.count() == 2
    cache.clear()


def test_the_token_lookup_builds_what_the_orm_would(athlete_user):
    _, raw = api_token_create(user=athlete_user, name="watch", scope=TokenScope.READ_WRITE)

    found = api_token_find(raw)
    orm = ApiToken.objects.select_related("user").get(pk=found.pk)

    fields = ApiToken._meta.concrete_fields
    assert [f.value_from_object(found) for f in fields] == [
        f.value_from_object(orm) for f in fields
    ]
    user_fields = type(orm.user)._meta.concrete_fields
    assert [f.value_from_object(found.user) for f in user_fields] == [
        f.value_from_object(orm.user) for f in user_fields
    ]
    assert not found._state.adding and found.user == athlete_user
    assert api_token_find(raw + "x") is None and api_token_find("not-a-token") is None


def test_the_token_and_the_place_come_as_the_two_lookups_would_give_them(
    athlete_user, forward, back, sessions, raise_, head_coach, other_club
):
    _, raw = api_token_create(user=athlete_user, name="watch", scope=TokenScope.READ_WRITE)
    mine, theirs = sessions[forward.id], sessions[back.id]

    for session_id in (mine.id, None, theirs.id):
        token, place = token_and_own_set_place(raw, exercise_id=raise_.id, session_id=session_id)
        found = api_token_find(raw)
        assert (token.pk, token.user, token.key_hash) == (found.pk, found.user, found.key_hash)
        assert place == own_set_place(
            user_id=athlete_user.id, exercise_id=raise_.id, session_id=session_id
        )
        assert place.athlete_id == forward.id and place.exercise_name == raise_.name
    assert place.session_id is None  # another athlete's session is not theirs to log into
    mine_place = own_set_place(user_id=athlete_user.id, exercise_id=raise_.id, session_id=mine.id)
    assert mine_place.session_id == mine.id and mine_place.plan == mine.plan

    elsewhere = club_exercise(other_club, "Their raise")
    assert token_and_own_set_place(raw, exercise_id=elsewhere.id, session_id=None)[1] is None
    _, coach_raw = api_token_create(user=head_coach, name="laptop", scope=TokenScope.READ_WRITE)
    coach_token, nowhere = token_and_own_set_place(
        coach_raw, exercise_id=raise_.id, session_id=None
    )
    assert coach_token.user == head_coach and nowhere is None  # no athlete profile of their own
    assert token_and_own_set_place(raw + "x", exercise_id=raise_.id, session_id=None) == (
        None,
        None,
    )
    assert token_and_own_set_place("not-a-token", exercise_id=raise_.id, session_id=None) == (
        None,
        None,
    )


def test_a_prepared_statement_raises_djangos_errors_and_is_counted(forward, raise_, athlete_user):
    capture = CaptureQueriesContext(connection)
    with capture as queries, pytest.raises(IntegrityError), prepared_cursor() as cursor:
        cursor.execute(
            "INSERT INTO programs_loggedset (athlete_id, client_uuid, exercise_id, set_number,"
            " side, load_type, notes, performed_at, logged_by_id, fingerprint, created_at)"
            " VALUES (%s, %s, %s, 1, '', 'none', '', now(), %s, '', now())",
            [forward.id, uuid.uuid4(), raise_.id, athlete_user.id],
        )  # no measure: the check constraint refuses it
    assert len(queries) == 1 and "INSERT INTO programs_loggedset" in queries[0]["sql"]


def test_the_lane_works_with_prepared_statements_turned_off(phone, raise_):
    connection.ensure_connection()
    raw = connection.connection
    kept, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        response = phone.post(SETS, a_set(raise_), format="json")
    finally:
        raw.prepare_threshold = kept

    assert response.status_code == 201, response.content
    assert LoggedSet.objects.filter(pk=response.json()["id"]).exists()
