"""The hot path of set logging: an athlete stores a set of their own.

Most sets arrive like this: the athlete's own token or login, a session of their own (or none),
an exercise of their club's library, a fresh client UUID. `own_set_log` stores such a set with
two statements, one that finds the athlete, the session and the exercise together (its
`Place`) and one INSERT that does nothing on a replay, where `set_log` spends five ORM lookups
and an insert. A request with a personal token finds the token with the place
(`token_and_own_set_place`), so the token costs no statement of its own. A token and place
found by an earlier request can serve again (`own_set_log(recheck=token)`): then the INSERT stores
the set only where the token is still valid and the place still what it was, so a set costs one
statement.

It answers None for everything else: staff logging for an athlete, a session or exercise out of
reach, a client UUID stored before, values the model refuses. The caller then takes the full
path (`set_log`), which decides those cases and words their errors. So this path never decides
differently from `set_log`; it only stores what `set_log` would store: the same row, with the
same fingerprint, so a replay through either path finds it.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from contextlib import nullcontext
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from athletes.models import Role, User
from athletes.models_tokens import ApiToken, TokenScope
from athletes.tokens import (
    looks_like_personal_token,
    token_hash,
    token_of_row,
    token_width,
    token_with_user_sql,
)
from config.db import prepared_cursor

from ..models import Exercise, LoadType, LoggedSet, ScheduledSession
from .logging import (
    UUID_CONSTRAINT,
    has_a_measure,
    load_refusals,
    rep_seconds_of,
    set_fingerprint,
    too_late,
)

# Roles whose own athlete profile may log for itself (a coach's goes the full path).
SELF_LOGGING_ROLES = [Role.ATHLETE, Role.OWNER, Role.PHYSIO]


def own_set_log(
    *,
    user: User,
    client_uuid: uuid.UUID,
    exercise_id: int,
    session_id: int | None = None,
    athlete_id: int | None = None,
    performed_at: datetime.datetime | None = None,
    place: Place | None = None,
    recheck: ApiToken | None = None,
    **values,
) -> LoggedSet | None:
    """Store a set of the user's own athlete profile (their first active one, as
    `athlete_profile_of`), or answer None to send the request the full way. `values` are
    SET_FIELDS already checked as the API checks them; `athlete_id`, when given, must be that
    profile. `place` is what `own_set_place` would find, when the caller found it already
    (`token_and_own_set_place`). `recheck`: the personal token (with its user) that `place` was
    found with by an earlier request; the set is then stored only if, at the INSERT, that token
    still authenticates (not revoked, not expired, its user active, read-write) and `place` is
    still where the set goes (as PLACE finds it, the session's plan unchanged). The stored set
    carries its exercise (with the name) for the response."""
    now = timezone.now()
    if too_late(performed_at, now) or not has_a_measure(values):
        return None
    if load_refusals(values.get("load_type", LoadType.NONE), values.get("load_value")):
        return None
    if place is None:
        place = own_set_place(user_id=user.id, exercise_id=exercise_id, session_id=session_id)
    if place is None:
        return None
    if athlete_id is not None and athlete_id != place.athlete_id:
        return None
    if session_id is not None and place.session_id != session_id:
        return None
    logged = LoggedSet(
        athlete_id=place.athlete_id,
        client_uuid=client_uuid,
        session_id=session_id,
        # The exercise as a row read with only its id and name, which is all the set shows.
        exercise=Exercise.from_db(
            connection.alias, ["id", "name"], (exercise_id, place.exercise_name)
        ),
        performed_at=performed_at or now,
        logged_by=user,
        fingerprint=set_fingerprint(exercise_id, session_id, values),
        rep_seconds=rep_seconds_of(place.plan, exercise_id),
        created_at=now,
        **{k: v for k, v in values.items() if v is not None},
    )
    try:
        logged.full_clean(
            exclude=["client_uuid", "logged_by", "athlete", "exercise", "session"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError:
        return None
    fields = _insert_fields()
    values = [f.get_db_prep_save(getattr(logged, f.attname), connection) for f in fields]
    if recheck is None:
        sql, params = _insert_sql(), values
    else:
        sql = _checked_insert_sql()
        params = _place_params(exercise_id, session_id, user=user.id)
        params.update(
            zip(_value_names(), values, strict=True),
            athlete=place.athlete_id,
            name=place.exercise_name,
            digest=place.plan_digest,
            token=recheck.pk,
            now=now,
            write=TokenScope.READ_WRITE,
        )
    # A savepoint only inside a transaction, so a refused row cannot abort it.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with savepoint, prepared_cursor() as cursor:
            cursor.execute(sql, params)
            inserted = cursor.fetchone()
    except IntegrityError:
        return None
    if inserted is None:  # the client UUID was stored before: a replay or a conflict
        return None
    logged.pk = inserted[0]
    logged._state.adding = False
    return logged


@dataclass(frozen=True, slots=True)
class Place:
    """Where a set of the user's own goes: their athlete profile, the session when it is that
    athlete's (its id and plan; None otherwise), and the exercise's name."""

    athlete_id: int
    session_id: int | None
    plan: list | None
    exercise_name: str
    plan_digest: str | None  # the plan's md5 in Postgres, to see later that it is unchanged

    @classmethod
    def of_row(cls, row: tuple) -> Place | None:
        """From PLACE's columns (all None from a LEFT JOIN that found nothing)."""
        athlete_id, session_id, plan, exercise_name, plan_digest = row
        if athlete_id is None:
            return None
        plan = ScheduledSession._meta.get_field("plan").from_db_value(plan, None, connection)
        return cls(athlete_id, session_id, plan, exercise_name, plan_digest)


def own_set_place(*, user_id: int, exercise_id: int, session_id: int | None) -> Place | None:
    """Where the user's own set of this exercise (in this session, if given) goes, or None when
    it does not go the short way."""
    with prepared_cursor() as cursor:
        cursor.execute(_place_sql("%(user)s"), _place_params(exercise_id, session_id, user=user_id))
        row = cursor.fetchone()
    return None if row is None else Place.of_row(row)


def token_and_own_set_place(
    raw_token: str, *, exercise_id: int, session_id: int | None
) -> tuple[ApiToken | None, Place | None]:
    """The personal token with this value (as `api_token_find` gives it; None if there is
    none) and the place of its user's own set (as `own_set_place`), in one statement. The token
    is not judged here: the caller accepts or refuses it before storing anything."""
    if not looks_like_personal_token(raw_token):
        return None, None
    with prepared_cursor() as cursor:
        cursor.execute(
            _token_and_place_sql(),
            _place_params(exercise_id, session_id, hash=token_hash(raw_token)),
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    width = token_width()
    return token_of_row(row[:width]), Place.of_row(row[width:])


def _place_params(exercise_id: int, session_id: int | None, **more) -> dict:
    return {"exercise": exercise_id, "session": session_id, **more}


@functools.cache
def _place_sql(user: str) -> str:
    """PLACE for the user `user` names (a parameter or a column), with the roles written in:
    they are the code's own constants, and an array parameter cost more to send than the
    rest of the statement's values."""
    roles = ", ".join(f"'{role}'" for role in SELF_LOGGING_ROLES)
    return PLACE.format(user=user, roles=roles)


@functools.cache
def _token_and_place_sql() -> str:
    columns, tables = token_with_user_sql()
    # Identifiers from the models (token_with_user_sql) and PLACE; the values are parameters.
    return (
        f"SELECT {columns}, place.* FROM {tables} "  # noqa: S608
        f"LEFT JOIN LATERAL ({_place_sql('u.id')}) place ON true "
        "WHERE t.key_hash = %(hash)s"
    )


# The user's first active athlete profile (as athlete_profile_of picks it), where their role in
# its club lets it log for itself; the exercise when it is global or that club's; the session
# when it is that athlete's. {user} is the user's id: a parameter, or the token's user; {roles}
# the roles, written in by _place_sql.
PLACE = """
    SELECT own.id AS athlete, s.id AS session, s.plan, e.name AS exercise_name,
        md5(s.plan::text) AS plan_digest
    FROM (
        SELECT id, organisation_id FROM athletes_athlete
        WHERE user_id = {user} AND archived_at IS NULL
        ORDER BY id LIMIT 1
    ) own
    JOIN athletes_membership m
        ON m.user_id = {user} AND m.organisation_id = own.organisation_id
        AND m.role IN ({roles})
    JOIN programs_exercise e
        ON e.id = %(exercise)s
        AND (e.organisation_id IS NULL OR e.organisation_id = own.organisation_id)
    LEFT JOIN programs_scheduledsession s ON s.id = %(session)s AND s.athlete_id = own.id
    LIMIT 1
"""


@functools.cache
def _insert_fields() -> list:
    """Every column of a set but the id, in the order the INSERTs list them."""
    return [f for f in LoggedSet._meta.concrete_fields if not f.primary_key]


@functools.cache
def _value_names() -> list[str]:
    """The parameter names of `_insert_fields` in the checked INSERT."""
    return [f"value_{f.column}" for f in _insert_fields()]


def _insert_into() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _insert_fields())
    return f"INSERT INTO {quote(LoggedSet._meta.db_table)} ({columns})"


def _on_conflict() -> str:
    return f"ON CONFLICT ON CONSTRAINT {connection.ops.quote_name(UUID_CONSTRAINT)} DO NOTHING"


@functools.cache
def _insert_sql() -> str:
    """INSERT of every column but the id, doing nothing when the client UUID is taken."""
    placeholders = ", ".join(["%s"] * len(_insert_fields()))
    # Identifiers from the model, quoted; the values are parameters.
    return f"{_insert_into()} VALUES ({placeholders}) {_on_conflict()} RETURNING id"


@functools.cache
def _checked_insert_sql() -> str:
    """The INSERT of a set whose place and token an earlier request found: its row is selected
    from PLACE, so nothing is stored unless PLACE still finds that athlete, session (with the
    plan unchanged) and exercise name, and the token still authenticates as
    ApiTokenAuthentication.accept would have it. Values are cast to their column's type (a NULL
    parameter would otherwise be text); char columns to text, so a value too long fails as in
    VALUES instead of being cut."""
    values = ", ".join(
        f"%({name})s::{'text' if f.get_internal_type() == 'CharField' else f.db_type(connection)}"
        for name, f in zip(_value_names(), _insert_fields(), strict=True)
    )
    # Identifiers from the model and the SQL here; the values are parameters.
    return (
        f"{_insert_into()} SELECT {values} "  # noqa: S608
        f"FROM ({_place_sql('%(user)s')}) place "
        "WHERE place.athlete = %(athlete)s AND place.session IS NOT DISTINCT FROM %(session)s "
        "AND place.exercise_name = %(name)s "
        "AND place.plan_digest IS NOT DISTINCT FROM %(digest)s "
        f"AND {STILL_AUTHENTICATES} {_on_conflict()} RETURNING id"
    )


# The token an earlier request found still authenticates for a write, as
# ApiTokenAuthentication.accept judges a token: not revoked, not expired, its user active, and
# read-write.
STILL_AUTHENTICATES = """
    EXISTS (
        SELECT FROM athletes_apitoken t JOIN athletes_user u ON u.id = t.user_id
        WHERE t.id = %(token)s AND t.user_id = %(user)s AND t.revoked_at IS NULL
            AND (t.expires_at IS NULL OR t.expires_at > %(now)s) AND t.scope = %(write)s
            AND u.is_active
    )
"""
