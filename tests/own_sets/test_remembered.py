"""The lane remembers the token and place of a set it stored, so that token's next set of the
same exercise and session is one statement: an INSERT that stores nothing unless the token
still authenticates and the place is still what it was. Whatever changed in between (in this
process or another), the answer is the one a request with nothing remembered gets."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from athletes.models import Athlete, Membership, Role, User
from athletes.models_tokens import ApiToken, TokenScope
from athletes.tokens import api_token_revoke, token_hash
from programs.api import own_sets
from programs.api.serializers_logging import LoggedSetSerializer
from programs.models import Exercise, LoggedSet, ScheduledSession
from tests.own_sets.support import SETS, a_set, stored_as, with_token

pytestmark = pytest.mark.django_db

BOOKKEEPING = ("SAVEPOINT", "RELEASE", 'UPDATE "athletes_apitoken"')  # tests' savepoints, touch


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].startswith(BOOKKEEPING)]


def token_of(client) -> ApiToken:
    raw = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    return ApiToken.objects.get(key_hash=token_hash(raw))


def test_the_next_set_of_a_token_is_one_insert_and_stored_as_the_first(
    phone, forward, sessions, raise_
):
    session = sessions[forward.id].id
    first = phone.post(SETS, a_set(raise_, session=session, rpe=7), format="json")
    with CaptureQueriesContext(connection) as queries:
        second = phone.post(SETS, a_set(raise_, session=session, rpe=7), format="json")

    assert (first.status_code, second.status_code) == (201, 201), second.content
    assert [sql.split()[0] for sql in statements(queries)] == ["INSERT"]
    one, two = (LoggedSet.objects.get(pk=r.json()["id"]) for r in (first, second))
    assert stored_as(two) == stored_as(one)  # athlete, session, rep seconds, fingerprint, ...
    assert two.rep_seconds == 6 and two.logged_by_id == one.logged_by_id
    assert second.json() == LoggedSetSerializer(two).data


def test_a_replay_of_the_next_set_is_still_a_replay(phone, forward, sessions, raise_):
    session = sessions[forward.id].id
    phone.post(SETS, a_set(raise_, session=session), format="json")
    body = a_set(raise_, session=session, reps=12)

    stored = phone.post(SETS, body, format="json")
    again = phone.post(SETS, body, format="json")  # remembered, but the UUID is taken

    assert (stored.status_code, again.status_code) == (201, 200)
    assert again.json() == stored.json()
    assert LoggedSet.objects.count() == 2


def revoke(ctx):
    api_token_revoke(token=ctx["token"])


def expire(ctx):
    past = timezone.now() - datetime.timedelta(seconds=1)
    ApiToken.objects.filter(pk=ctx["token"].pk).update(expires_at=past)


def make_read_only(ctx):
    ApiToken.objects.filter(pk=ctx["token"].pk).update(scope=TokenScope.READ)


def deactivate(ctx):
    User.objects.filter(pk=ctx["token"].user_id).update(is_active=False)


def archive(ctx):
    Athlete.objects.filter(pk=ctx["forward"].pk).update(archived_at=timezone.now())


def make_coach(ctx):
    Membership.objects.filter(user_id=ctx["token"].user_id).update(role=Role.COACH)


def move_session(ctx):
    ScheduledSession.objects.filter(pk=ctx["session"].pk).update(athlete=ctx["back"])


def rename_exercise(ctx):
    Exercise.objects.filter(pk=ctx["raise_"].pk).update(name="Seated calf raise")


def change_tempo(ctx):
    session = ctx["session"]
    session.refresh_from_db()
    session.plan = [item | {"tempo": "4-1-4"} for item in session.plan]
    session.save(update_fields=["plan"])


CHANGES = {
    "token revoked": (revoke, 401),
    "token expired": (expire, 401),
    "token made read-only": (make_read_only, 403),
    "user deactivated": (deactivate, 401),
    "profile archived": (archive, None),
    "role now coach": (make_coach, None),
    "session moved": (move_session, 400),
    "exercise renamed": (rename_exercise, 201),
    "plan's tempo changed": (change_tempo, 201),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_what_changed_since_the_last_set_gets_the_answer_of_a_fresh_request(
    phone, forward, back, sessions, raise_, change
):
    session = sessions[forward.id]
    assert phone.post(SETS, a_set(raise_, session=session.id), format="json").status_code == 201
    assert len(own_sets._remembered) == 1
    ctx = {"token": token_of(phone), "forward": forward, "back": back, "session": session,
           "raise_": raise_}  # fmt: skip
    alter, expected = CHANGES[change]
    alter(ctx)

    remembered = phone.post(SETS, a_set(raise_, session=session.id), format="json")
    own_sets._remembered.clear()
    fresh = phone.post(SETS, a_set(raise_, session=session.id), format="json")

    assert remembered.status_code == fresh.status_code, remembered.content
    if expected is not None:
        assert remembered.status_code == expected, remembered.content
    if remembered.status_code == 201:
        shown, fresh_shown = remembered.json(), fresh.json()
        assert shown["exercise_name"] == fresh_shown["exercise_name"]
        assert stored_as(LoggedSet.objects.get(pk=shown["id"])) == stored_as(
            LoggedSet.objects.get(pk=fresh_shown["id"])
        )
    else:
        assert remembered.json() == fresh.json()
    assert LoggedSet.objects.count() == 1 + 2 * (remembered.status_code == 201)


def test_a_changed_place_is_looked_up_again_and_then_remembered(phone, forward, sessions, raise_):
    session = sessions[forward.id]
    phone.post(SETS, a_set(raise_, session=session.id), format="json")
    change_tempo({"session": session})

    changed = phone.post(SETS, a_set(raise_, session=session.id), format="json")  # full path
    looked_up = phone.post(SETS, a_set(raise_, session=session.id), format="json")
    with CaptureQueriesContext(connection) as queries:
        remembered = phone.post(SETS, a_set(raise_, session=session.id), format="json")

    stored = [LoggedSet.objects.get(pk=r.json()["id"]) for r in (changed, looked_up, remembered)]
    assert [logged.rep_seconds for logged in stored] == [9, 9, 9]
    assert len(statements(queries)) == 1


def test_the_lane_remembers_a_bounded_number_of_places(athlete_user, raise_, monkeypatch):
    monkeypatch.setattr(own_sets, "REMEMBERED", 2)
    phones = [with_token(athlete_user) for _ in range(3)]
    for client in phones:
        assert client.post(SETS, a_set(raise_), format="json").status_code == 201

    newest = [token_of(client).key_hash for client in phones[1:]]
    assert [key[0] for key in own_sets._remembered] == newest  # the oldest forgotten
