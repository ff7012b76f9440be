"""Cross-tenant: the outsider (owner of another club, with a token of their own) reaches none of
our club's objects, on any route, by any method, and changes nothing.

The registry of what is tested is the URL resolver itself: every URL pattern of the project is
walked, and each one that takes an object id gets a test here that calls it as the outsider
with the ids of our club's objects filled in:

- API routes (`/api/v1/…`): every method the route allows (GET, PUT/PATCH with a plausible
  body, DELETE, POST actions) with the outsider's DRF token must answer 404;
- web pages: GET and POST as the logged-in outsider must answer 404 (405 for a method the page
  does not take; 403 only where a made-up id gets the same 403, i.e. the page is closed to the
  outsider's role and reveals nothing).

Routes without an id (lists, creates, exports) are called too, with our ids in the query and
the body: the answer must not mention our club (nothing of ours is listed) and nothing of ours
may be written. After every call the database must be as it was before, except rows the
outsider created in their own club, none of which may point at one of ours.

`test_every_url_pattern_with_an_id_has_an_outsider_test` (the meta-test) fails when a URL
pattern takes a parameter that this module cannot fill.

Adding a new kind of id (a new model with routes, say webhook endpoints):
1. build one object of that kind in our club in `world()` and add it to the `objects` dict
   under a kind name, e.g. `objects["webhook_endpoint"] = endpoint`;
2. tell tests/url_routes.py (the registry both this module and the authorization matrix read)
   which URL parameters name it: a parameter with its own name goes in
   `ID_PARAMS` (`"endpoint_id": "webhook_endpoint"`); a plain `pk` is resolved by the route's
   first path segment in `PK_BY_PREFIX` (`"webhooks": "webhook_endpoint"`, for both
   `/webhooks/<pk>/` and `/api/v1/webhooks/<pk>/`);
3. a parameter that is not an object id (a signed token, an action name) goes in
   `OTHER_PARAMS` with a value to fill, or the route in `EXEMPT` with the reason.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token

from athletes.models import Role
from tests.factories import (
    AthleteFactory,
    MembershipFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
    library,
    program,
)
from tests.url_routes import (
    API_ID_ROUTES,
    API_PLAIN_ROUTES,
    EXEMPT,
    OTHER_PARAMS,
    ROUTES,
    WEB_ID_ROUTES,
    WEB_PLAIN_ROUTES,
    Route,
    UnknownParameter,
    fill,
    url_of,
)

DAY = datetime.date(2026, 11, 2)
MARKER = b"harbour"  # in our club's name, staff emails and every object built below
MISSING_ID = 2_000_000_000  # no row has it

# A body plausible enough for most writes, with our ids wherever a field names an object.
PLAIN_FIELDS = {
    "name": "Taken over",
    "first_name": "Taken",
    "last_name": "Over",
    "email": "taken@riverside.example",
    "notes": "taken over",
    "note": "taken over",
    "reason": "taken over",
    "description": "taken over",
    "position": 1,
    "preset": "strength",
    "date": DAY.isoformat(),
    "start_date": DAY.isoformat(),
    "sessions_per_week": 2,
    "trials": {"both": [240]},
    "reps": 10,
    "sets": 3,
    "target_min": 10,
    "kind": "lsi",
    "comparator": "gte",
    "value": 85,
    "unit": "s",
    "medical_notes": "taken over",
    "status": "skipped",
}


# --- the world: one object of every kind in our club --------------------------------------


def _local_models() -> list[type[models.Model]]:
    """The project's own models (not Django's or a package's), m2m tables included."""
    root = Path(settings.BASE_DIR).resolve()
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if root in path.parents and ".venv" not in path.parts:
            found.extend(config.get_models(include_auto_created=True))
    return found


def snapshot() -> dict[tuple[str, object], dict]:
    """Every row of the project's tables, by (model, pk), column by column: one query."""
    tables = {model._meta.db_table: model for model in _local_models()}
    sql = " UNION ALL ".join(
        f"SELECT %s, row_to_json(t)::text FROM {connection.ops.quote_name(table)} t"  # noqa: S608
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(tables))
        found = cursor.fetchall()
    rows = {}
    for table, text in found:
        meta = tables[table]._meta
        row = json.loads(text)
        row.pop("last_login", None)  # the outsider's own login, not a write
        rows[(meta.label_lower, row[meta.pk.column])] = row
    return rows


@dataclass
class World:
    objects: dict
    ours: set  # (model label, pk) of every row our club's world added
    outsider: object
    head_coach: object
    outsider_token: str


def build_world() -> World:
    """The outsider's club first, then ours, so that `ours` is every row added after. The
    people are conftest's personas, built here so the world can live for a whole module."""
    from assessments import services as assessments
    from assessments.baselines import baseline_set, test_create
    from assessments.models import Flag, Test
    from athletes.tokens import api_token_create
    from programs import services as programs
    from programs.models import Prescription
    from webhooks import services as webhooks

    other_club = OrganisationFactory(name="Riverside Runners", slug="riverside-runners")
    outsider = MembershipFactory(
        organisation=other_club, role=Role.OWNER, user__email="coach@riverside.example"
    ).user
    road_squad = TeamFactory(organisation=other_club, name="Road squad")
    AthleteFactory(organisation=other_club, teams=[road_squad], first_name="Otto")
    token = Token.objects.create(user=outsider).key
    before = set(snapshot())

    club = OrganisationFactory(name="Harbour RFC", slug="harbour-rfc")
    head_coach = MembershipFactory(
        organisation=club, role=Role.OWNER, user__email="head@harbour.example"
    ).user
    forwards = TeamFactory(organisation=club, name="Forwards")
    forward = AthleteFactory(
        organisation=club,
        teams=[forwards],
        first_name="Fin",
        last_name="Forward",
        medical_notes="Left Achilles tendinopathy 2025",
    )
    forward.user = UserFactory(email="fin@harbour.example")
    forward.save()
    MembershipFactory(organisation=club, user=forward.user, role=Role.ATHLETE)

    exercise = programs.exercise_create(
        organisation=club,
        created_by=head_coach,
        name="Harbour hop",
        description="Single-leg hop along the harbour wall.",
        category="plyometric",
        measurement="reps",
    )
    template = program(
        club,
        name="Harbour calves",
        sessions={"Harbour A": [("bent-knee-heel-raise", {"sets": 3})]},
    )
    template_session = template.sessions.get()
    prescription = Prescription.objects.get(session=template_session)
    [assignment] = programs.program_assign(
        template=template, assigned_by=head_coach, start_date=DAY, athletes=[forward]
    )
    scheduled = assignment.sessions.order_by("date").first()
    logged_set, _ = programs.set_log(
        athlete=forward,
        logged_by=head_coach,
        client_uuid=uuid.uuid4(),
        exercise=library("bent-knee-heel-raise"),
        session=scheduled,
        reps=12,
    )
    test = test_create(
        organisation=club,
        created_by=head_coach,
        name="Harbour sprint",
        protocol="20 m sprint along the harbour.",
        unit="s",
        per_side=False,
        higher_is_better=False,
        plausible_min=1,
        plausible_max=10,
        decimals=2,
    )
    ankling = Test.objects.get(organisation=None, slug="ankling")
    baseline = baseline_set(
        test=test,
        organisation=club,
        kind="threshold",
        comparator="lte",
        value=3,
        note="Harbour",
        set_by=head_coach,
    )
    test_day = assessments.test_day_create(
        test=ankling, created_by=head_coach, date=DAY, team=forwards, notes="Harbour day"
    )
    result, _ = assessments.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": [240]},
        recorded_by=head_coach,
        date=DAY,
        test_day=test_day,
    )
    assessments.result_evaluate(result_id=result.id, today=DAY)
    flag = Flag.objects.get(result=result)
    api_token, _ = api_token_create(user=head_coach, name="Harbour laptop")
    endpoint = webhooks.endpoint_create(
        organisation=club,
        created_by=head_coach,
        url="https://hooks.harbour.example/baseline",
        events=["athlete.created"],
        description="Harbour CRM",
    )
    event = webhooks.event_emit(
        organisation=club, type="athlete.created", payload={"id": forward.id, "club": "harbour"}
    )

    from checkins.services import checkin_record

    checkin, _ = checkin_record(
        athlete=forward,
        recorded_by=forward.user,
        client_uuid=uuid.uuid4(),
        achilles_pain=6,
        readiness=3,
        note="Harbour morning: left Achilles stiff",
    )

    objects = {
        "organisation": club,
        "team": forwards,
        "athlete": forward,
        "exercise": exercise,
        "program": template,
        "template_session": template_session,
        "prescription": prescription,
        "assignment": assignment,
        "scheduled_session": scheduled,
        "logged_set": logged_set,
        "test": test,
        "baseline": baseline,
        "test_day": test_day,
        "result": result,
        "flag": flag,
        "api_token": api_token,
        "webhook_endpoint": endpoint,
        "webhook_delivery": event.deliveries.get(),
        "checkin": checkin,
    }
    return World(
        objects=objects,
        ours=set(snapshot()) - before,
        outsider=outsider,
        head_coach=head_coach,
        outsider_token=token,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    """Built once per module in a transaction rolled back after it; each test runs in its own
    savepoint inside (the `db` fixture), so nothing one test writes reaches the next."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def assert_nothing_of_ours_changed(before: dict, after: dict, world: World, what: str) -> None:
    changed = [key for key, fields in before.items() if after.get(key) != fields]
    assert changed == [], f"{what} changed or deleted {changed}"
    models_by_label = {model._meta.label_lower: model for model in _local_models()}
    for key in after.keys() - before.keys():
        for field in models_by_label[key[0]]._meta.concrete_fields:
            if field.many_to_one or field.one_to_one:
                target = (field.related_model._meta.label_lower, after[key][field.column])
                assert target not in world.ours, f"{what} created {key} pointing at our {target}"


def _plausible_body(objects: dict) -> dict:
    """PLAIN_FIELDS with our ids in every field that names an object."""
    ids = {kind: obj.pk for kind, obj in objects.items()}
    return {
        **PLAIN_FIELDS,
        "organisation": ids["organisation"],
        "team": ids["team"],
        "teams": [ids["team"]],
        "athlete": ids["athlete"],
        "athletes": [ids["athlete"]],
        "exercise": ids["exercise"],
        "template": ids["program"],
        "program": ids["program"],
        "session": ids["scheduled_session"],
        "test": ids["test"],
        "test_day": ids["test_day"],
        "result": ids["result"],
        "flag": ids["flag"],
        "rows": [{"athlete": ids["athlete"], "trials": {"both": [240]}}],
        "results": [{"athlete": ids["athlete"], "test": ids["test"], "trials": {"both": [2]}}],
        "client_uuid": str(uuid.uuid4()),
    }


def _query(objects: dict) -> dict:
    return {kind: obj.pk for kind, obj in objects.items()}


def _api_methods(route: Route) -> list[str]:
    """The methods the route answers (a viewset's actions, less what it turns away)."""
    view_class = getattr(route.callback, "cls", None) or route.callback.view_class
    allowed = set(view_class.http_method_names)
    actions = getattr(route.callback, "actions", None) or {
        m: m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)
    }
    return sorted(m for m in actions if m in allowed)


def _listed_ids(response) -> list:
    data = response.json()
    rows = data.get("results", data) if isinstance(data, dict) else data
    return (
        [row.get("id") for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
    )


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", API_ID_ROUTES, ids=str)
def test_outsider_token_gets_404_from_every_api_route_with_our_ids(db, api_client, world, route):
    url = url_of(route, fill(route, world.objects))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {world.outsider_token}")
    body = _plausible_body(world.objects)
    before = snapshot()
    for method in _api_methods(route):
        kwargs = {"format": "json", "data": body} if method in ("post", "put", "patch") else {}
        response = getattr(api_client, method)(url, **kwargs)

        assert response.status_code == 404, (method.upper(), url, response.content[:300])
        assert MARKER not in response.content.lower()
        assert_nothing_of_ours_changed(before, snapshot(), world, f"{method.upper()} {url}")


@pytest.mark.parametrize("route", API_PLAIN_ROUTES, ids=str)
def test_outsider_token_sees_and_writes_nothing_of_ours_on_api_routes_without_ids(
    db, api_client, world, route
):
    url = reverse(route.name)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {world.outsider_token}")
    listed_kind = route.pk_kind()
    before = snapshot()
    for method in _api_methods(route):
        if method == "get":
            response = api_client.get(url, _query(world.objects))
        else:
            response = getattr(api_client, method)(
                url, _plausible_body(world.objects), format="json"
            )

        assert response.status_code < 500, (method.upper(), url, response.content[:300])
        assert MARKER not in response.content.lower(), (method.upper(), url)
        if method == "get" and listed_kind and response.status_code == 200:
            assert world.objects[listed_kind].pk not in _listed_ids(response)
        assert_nothing_of_ours_changed(before, snapshot(), world, f"{method.upper()} {url}")


# --- web pages ---------------------------------------------------------------------------------


def _web_call(client, user, method: str, url: str, data: dict):
    client.force_login(user)  # again each time: a POST may log the client out
    return getattr(client, method)(url, data)


@pytest.mark.parametrize("route", WEB_ID_ROUTES, ids=str)
def test_outsider_gets_404_from_every_page_with_our_ids(db, client, world, route):
    kwargs = fill(route, world.objects)
    url = url_of(route, kwargs)
    made_up = url_of(
        route, {k: MISSING_ID if k not in OTHER_PARAMS else v for k, v in kwargs.items()}
    )
    form = {k: v for k, v in _plausible_body(world.objects).items() if not isinstance(v, dict)}
    statuses = {}
    before = snapshot()
    for method in ("get", "post"):
        response = _web_call(client, world.outsider, method, url, form)
        status = response.status_code
        if status == 403:  # closed to the outsider's role: fine only if existence is not told
            status = (403, _web_call(client, world.outsider, method, made_up, form).status_code)
        statuses[method] = status

        assert MARKER not in response.content.lower(), (method.upper(), url)
        assert_nothing_of_ours_changed(before, snapshot(), world, f"{method.upper()} {url}")

    assert set(statuses.values()) <= {404, 405, (403, 403)}, (url, statuses)
    assert set(statuses.values()) != {405}, (url, statuses)


@pytest.mark.parametrize("route", WEB_PLAIN_ROUTES, ids=str)
def test_outsider_sees_and_writes_nothing_of_ours_on_pages_without_ids(db, client, world, route):
    url = reverse(route.name)
    form = {k: v for k, v in _plausible_body(world.objects).items() if not isinstance(v, dict)}
    before = snapshot()
    for method, data in (("get", _query(world.objects)), ("post", form)):
        response = _web_call(client, world.outsider, method, url, data)

        assert response.status_code < 500, (method.upper(), url)
        assert MARKER not in b"".join(_content(response)).lower(), (method.upper(), url)
        assert_nothing_of_ours_changed(before, snapshot(), world, f"{method.upper()} {url}")


def _content(response) -> list[bytes]:
    if getattr(response, "streaming", False):
        return list(response.streaming_content)
    return [response.content]


# --- the meta-test ---------------------------------------------------------------------------


def test_every_url_pattern_with_an_id_has_an_outsider_test(db, world):
    unreachable = []
    for route in ROUTES:
        if not route.params or route.name in EXEMPT:
            continue
        try:
            fill(route, world.objects)
        except UnknownParameter as error:
            unreachable.append(str(error))
    tested = {r.name for r in API_ID_ROUTES + WEB_ID_ROUTES}

    assert unreachable == []
    assert {r.name for r in ROUTES if r.params and r.name not in EXEMPT} <= tested
    assert API_ID_ROUTES and WEB_ID_ROUTES
