"""Who may reach which URL: every URL pattern of the project (the same walk as
tests/test_cross_tenant.py, whose world and id-filling it reuses), called as every persona, must
answer the class of response written in EXPECTED for that route and persona.

Personas: `anonymous`; our club's `athlete` (Fin, a forward, with a login), `assistant` (coach
of Forwards), `physio`, `head` (the owner); and the `outsider` (owner of another club). Every
id in a URL is one of our club's objects (tests/test_cross_tenant.py's `world()`), so:

- ALLOW: the view was reached: 2xx, a redirect that is not to the login page, or a 4xx about the
  input (400, 409, 422; the call sends an empty body);
- DENY: 403 or 404 (the outsider always gets one of these on a route with our ids);
- LOGIN: a redirect to the login page (web) or 401 (API).

A route is called with GET, or with POST and an empty body where GET is not allowed (405);
each call runs in a savepoint rolled back after it, so a write by one persona is not seen by the
next. A route without an entry in EXPECTED fails `test_every_url_pattern_has_an_expectation`:
add one (a row from ROLE_PROFILES, or a tuple of six classes) when you add a URL.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from athletes.models import Role
from tests.factories import MembershipFactory, library
from tests.test_cross_tenant import build_world
from tests.url_routes import ROUTES, Route, fill, url_of

ALLOW, DENY, LOGIN = "allow", "deny", "login"
PERSONAS = ("anonymous", "outsider", "athlete", "physio", "assistant", "head")

# Classes per persona, in PERSONAS order: anonymous, outsider, athlete, physio, assistant, head.
PUBLIC = (ALLOW,) * 6
LOGGED_OUT = (LOGIN,) * 6
MEMBER = (LOGIN, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)  # any logged-in user, scoped to their own
STAFF = (LOGIN, ALLOW, DENY, ALLOW, ALLOW, ALLOW)  # staff pages; the outsider sees their own club
STAFF_OBJECT = (LOGIN, DENY, DENY, ALLOW, ALLOW, ALLOW)  # staff, on one of our club's objects
OWNER = (LOGIN, ALLOW, DENY, DENY, DENY, ALLOW)  # the head coach's (owner's) settings
OWNER_OBJECT = (LOGIN, DENY, DENY, DENY, DENY, ALLOW)
OWN_OBJECT = OWNER_OBJECT  # the head coach's own object (their API token): nobody else's
MEDICAL_OBJECT = (LOGIN, DENY, DENY, ALLOW, DENY, ALLOW)  # baselines: physio and head coach
ATHLETE_OBJECT = (LOGIN, DENY, ALLOW, DENY, DENY, DENY)  # the athlete's own session, logged by them
READ_OBJECT = (
    LOGIN,
    DENY,
    ALLOW,
    ALLOW,
    ALLOW,
    ALLOW,
)  # our club's object the athlete may read too

EXPECTED: dict[str, tuple[str, ...]] = {
    "home": MEMBER,
    "organisation_switch": READ_OBJECT,  # POSTed with our club"s id
    "athlete_list": STAFF,
    "athlete_create": STAFF,
    "athlete_detail": STAFF_OBJECT,
    "athlete_edit": STAFF_OBJECT,
    "athlete_archive": STAFF_OBJECT,
    "athlete_restore": STAFF_OBJECT,
    "athlete_invite": STAFF_OBJECT,
    "team_list": STAFF,
    "team_create": OWNER,
    "team_detail": STAFF_OBJECT,
    "team_edit": OWNER_OBJECT,
    "invite_accept": PUBLIC,
    "roster_import": STAFF,
    "roster_import_template": STAFF,
    "roster_export": STAFF,
    "api_tokens": MEMBER,
    "api_token_revoke": OWN_OBJECT,  # the head coach"s own token
    "exercise_list": MEMBER,
    "exercise_create": STAFF,
    "exercise_detail": READ_OBJECT,
    "exercise_edit": STAFF_OBJECT,
    "exercise_copy": STAFF,  # a library exercise, into the caller"s own club
    "program_list": STAFF,
    "program_create": STAFF,
    "program_builder": STAFF_OBJECT,
    "program_duplicate": STAFF_OBJECT,
    "program_assign": STAFF_OBJECT,
    "session_add": STAFF_OBJECT,
    "session_block": STAFF_OBJECT,
    "session_remove": STAFF_OBJECT,
    "session_exercise_search": STAFF_OBJECT,
    "prescription_add": STAFF_OBJECT,
    "prescription_edit": STAFF_OBJECT,
    "prescription_preset": STAFF_OBJECT,
    "prescription_move": STAFF_OBJECT,
    "prescription_remove": STAFF_OBJECT,
    "athlete_calendar": STAFF_OBJECT,
    "assignment_change": STAFF_OBJECT,
    "session_reschedule": STAFF_OBJECT,
    "team_training": STAFF_OBJECT,
    "today": MEMBER,
    "today_adhoc_log": MEMBER,
    "today_week": MEMBER,
    "today_day": MEMBER,
    "today_set_log": ATHLETE_OBJECT,
    "today_session_complete": ATHLETE_OBJECT,
    "session_log": STAFF_OBJECT,
    "session_log_set": STAFF_OBJECT,
    "session_log_complete": STAFF_OBJECT,
    "test_list": STAFF,
    "test_create": STAFF,
    "test_detail": STAFF_OBJECT,
    "baseline_save": MEDICAL_OBJECT,
    "baseline_remove": MEDICAL_OBJECT,
    "athlete_results": STAFF_OBJECT,
    "test_day_list": STAFF,
    "test_day_create": STAFF,
    "test_day_detail": STAFF_OBJECT,
    "test_day_row": STAFF_OBJECT,
    "flag_list": STAFF,
    "flag_detail": STAFF_OBJECT,
    "flag_dismiss": STAFF_OBJECT,
    "flag_resolve": STAFF_OBJECT,
    "notification_settings": STAFF,
    "my_results": MEMBER,
    "export_results": STAFF,
    "export_flags": STAFF,
    "results_import": STAFF,
    "results_import_template": STAFF,
    "export_sets": STAFF,
    "webhook_list": OWNER,
    "webhook_create": OWNER,
    "webhook_detail": OWNER_OBJECT,
    "webhook_delete": OWNER_OBJECT,
    "webhook_redeliver": OWNER_OBJECT,
    "dashboard": STAFF,
    "report_index": STAFF,
    "report_test": STAFF_OBJECT,
    "report_test_csv": STAFF_OBJECT,
    "report_training": STAFF,
    "report_training_csv": STAFF,
    "checkin": MEMBER,
    "healthz": PUBLIC,
    "service_worker": PUBLIC,
    "web_manifest": PUBLIC,
    "login": PUBLIC,
    "logout": LOGGED_OUT,  # everyone ends on the login page
    "password_change": MEMBER,
    "password_change_done": MEMBER,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "api-token": PUBLIC,
    "api-me": MEMBER,
    "api-export-results": STAFF,
    "api-export-flags": STAFF,
    "api-export-sets": STAFF,
    "api-results-import": STAFF,
    "api-organisation-list": MEMBER,
    "api-organisation-detail": READ_OBJECT,
    "api-team-list": MEMBER,
    "api-team-detail": READ_OBJECT,
    "api-athlete-list": MEMBER,
    "api-athlete-detail": READ_OBJECT,
    "api-athlete-invite": STAFF_OBJECT,
    "api-athlete-restore": STAFF_OBJECT,
    "api-exercise-list": MEMBER,
    "api-exercise-detail": READ_OBJECT,
    "api-program-list": MEMBER,
    "api-program-detail": STAFF_OBJECT,
    "api-program-duplicate": STAFF_OBJECT,
    "api-program-session-list": MEMBER,
    "api-program-session-detail": STAFF_OBJECT,
    "api-prescription-list": MEMBER,
    "api-prescription-detail": STAFF_OBJECT,
    "api-prescription-move": STAFF_OBJECT,
    "api-prescription-preset": STAFF_OBJECT,
    "api-assignment-list": MEMBER,
    "api-assignment-preview": STAFF,
    "api-assignment-detail": READ_OBJECT,
    "api-assignment-end": STAFF_OBJECT,
    "api-assignment-pause": STAFF_OBJECT,
    "api-assignment-resume": STAFF_OBJECT,
    "api-session-list": MEMBER,
    "api-session-detail": READ_OBJECT,
    "api-session-complete": READ_OBJECT,
    "api-set-list": MEMBER,
    "api-set-detail": READ_OBJECT,
    "api-test-list": MEMBER,
    "api-test-detail": READ_OBJECT,
    "api-baseline-list": MEMBER,
    "api-baseline-detail": READ_OBJECT,
    "api-test-day-list": MEMBER,
    "api-test-day-detail": STAFF_OBJECT,
    "api-result-list": MEMBER,
    "api-result-batch": STAFF,
    "api-result-detail": READ_OBJECT,
    "api-flag-list": MEMBER,
    "api-flag-detail": READ_OBJECT,
    "api-flag-dismiss": STAFF_OBJECT,
    "api-flag-resolve": STAFF_OBJECT,
    "api-webhook-list": OWNER,
    "api-webhook-detail": OWNER_OBJECT,
    "api-webhook-deliveries": OWNER_OBJECT,
    "api-webhook-delivery-detail": OWNER_OBJECT,
    "api-webhook-delivery-redeliver": OWNER_OBJECT,
    "api-checkin-list": MEMBER,
    "api-checkin-detail": READ_OBJECT,
    "api-root": MEMBER,
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
}

# Parameters test_cross_tenant.py exempts (not object ids), with a value to fill.
PLAIN_PARAMS = {"uidb64": "MQ", "token": "set-password", "day": "2026-11-02"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """tests/test_cross_tenant.py's world (one object of every kind in our club, and the
    outsider's club) plus the physio and the assistant coach, built once per module in a
    transaction rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            club, forwards = world.objects["organisation"], world.objects["team"]
            world.people = {
                "anonymous": None,
                "outsider": world.outsider,
                "athlete": world.objects["athlete"].user,
                "physio": MembershipFactory(
                    organisation=club, role=Role.PHYSIO, user__email="physio@harbour.example"
                ).user,
                "assistant": MembershipFactory(
                    organisation=club,
                    role=Role.COACH,
                    teams=[forwards],
                    user__email="assistant@harbour.example",
                ).user,
                "head": world.head_coach,
            }
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def url_for(route: Route, world) -> str:
    plain = {p: PLAIN_PARAMS[p] for p in route.params if p in PLAIN_PARAMS}
    rest = Route(route.name, route.route, tuple(p for p in route.params if p not in plain), None)
    kwargs = {**fill(rest, world.objects), **plain}
    if route.name == "exercise_copy":  # only library exercises are copied
        kwargs["pk"] = library("bent-knee-heel-raise").pk
    return url_of(route, kwargs)


def body_for(route: Route, world) -> dict:
    if route.name == "organisation_switch":
        return {"organisation_id": world.objects["organisation"].pk}
    return {}


def classify(response, is_api: bool) -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 401 or (status == 302 and location.startswith("/accounts/login/")):
        return LOGIN
    if is_api and status == 403 and not response.wsgi_request.user.is_authenticated:
        return LOGIN
    if status in (403, 404):
        return DENY
    if status < 400 or status in (400, 409, 415, 422):  # 415: a file upload got no file
        return ALLOW
    return f"status {status}"


def call(user, url: str, is_api: bool, body: dict) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        response = client.get(url)
        if response.status_code == 405:
            if is_api:
                response = client.post(url, body, content_type="application/json")
            else:
                response = client.post(url, body)
        outcome = classify(response, is_api)
        transaction.set_rollback(True)
    return outcome


ROUTE_NAMES = [route.name for route in ROUTES]


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_each_persona_gets_the_expected_answer(db, world, route):
    if route.name not in EXPECTED:
        pytest.fail(f"{route}: no entry in EXPECTED")
    url, body = url_for(route, world), body_for(route, world)

    found = tuple(call(world.people[persona], url, route.is_api, body) for persona in PERSONAS)

    assert dict(zip(PERSONAS, found, strict=True)) == dict(
        zip(PERSONAS, EXPECTED[route.name], strict=True)
    ), url


def test_every_url_pattern_has_an_expectation():
    missing = [str(route) for route in ROUTES if route.name not in EXPECTED]
    stale = sorted(set(EXPECTED) - set(ROUTE_NAMES))

    assert missing == [], "add these routes to EXPECTED in tests/test_authorization_matrix.py"
    assert stale == [], "EXPECTED names routes that no longer exist"
    assert len(ROUTE_NAMES) == len(set(ROUTE_NAMES)), "two URL patterns share a name"
