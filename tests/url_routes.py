"""Every URL pattern of the project, and which of our objects each one's parameters name.

The cross-tenant walk (tests/test_cross_tenant.py) and the authorization matrix
(tests/test_authorization_matrix.py) both read the URL resolver through this module, so a new
route is tested by both without being listed anywhere. How to teach it a new kind of id is in
tests/test_cross_tenant.py's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# A URL parameter with its own name → the kind of object it names.
ID_PARAMS = {
    "athlete_id": "athlete",
    "team_id": "team",
    "assignment_id": "assignment",
    "session_id": "scheduled_session",
    "session_pk": "template_session",
    "prescription_pk": "prescription",
    "baseline_id": "baseline",
    "test_id": "test",
}

# `pk` names the object of the path segment before it (`athletes/<pk>/`, `api/v1/sets/<pk>/`);
# a two-segment key wins over a one-segment one (`webhooks/deliveries/<pk>/`).
PK_BY_PREFIX = {
    "organisations": "organisation",
    "teams": "team",
    "athletes": "athlete",
    "exercises": "exercise",
    "programs": "program",
    "program-sessions": "template_session",
    "prescriptions": "prescription",
    "assignments": "assignment",
    "sessions": "scheduled_session",
    "sets": "logged_set",
    "tests": "test",
    "baselines": "baseline",
    "test-days": "test_day",
    "results": "result",
    "flags": "flag",
    "tokens": "api_token",
    "webhooks": "webhook_endpoint",
    "webhook-deliveries": "webhook_delivery",
    "webhooks/deliveries": "webhook_delivery",
    "checkins": "checkin",
}

# Parameters that are not object ids, with the value to fill.
OTHER_PARAMS = {"action": "pause"}

# Routes whose parameters are not ids of a club's objects, and why.
EXEMPT = {
    "invite_accept": "a signed, single-use invitation token, not an object id",
    "password_reset_confirm": "Django's signed password-reset token",
    "today_day": "a date, not an object id: the page shows only the logged-in athlete's own day",
}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]
    callback: object

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/v1/")

    @property
    def prefix(self) -> str:
        """The path before `pk` (the whole path when there is none), without /api/v1/."""
        path = self.route.removeprefix("api/v1/").lstrip("^").replace("$", "")
        path = path.split("<int:pk>", 1)[0].split("(?P<pk>", 1)[0]
        return "/".join(part for part in path.split("/") if part).split("\\", 1)[0]

    def pk_kind(self) -> str | None:
        segments = self.prefix.split("/")
        for key in ("/".join(segments[-2:]), segments[-1]):
            if key in PK_BY_PREFIX:
                return PK_BY_PREFIX[key]
        return None

    def __str__(self) -> str:
        return f"{self.name} ({self.route})"


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            params = tuple(pattern.pattern.regex.groupindex)
            yield Route(pattern.name or route, route, params, pattern.callback)


def project_routes() -> list[Route]:
    """Every URL pattern of the project but the admin and DRF's `.json` format twins."""
    return [
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.route.startswith("admin/") and "format" not in route.params
    ]


ROUTES = project_routes()
ID_ROUTES = [r for r in ROUTES if r.params and r.name not in EXEMPT]
API_ID_ROUTES = [r for r in ID_ROUTES if r.is_api]
WEB_ID_ROUTES = [r for r in ID_ROUTES if not r.is_api]
API_PLAIN_ROUTES = [r for r in ROUTES if r.is_api and not r.params]
WEB_PLAIN_ROUTES = [
    r for r in ROUTES if not r.is_api and not r.params and not r.route.startswith("api/")
]


class UnknownParameter(LookupError):
    pass


def kind_of(route: Route, param: str) -> str:
    if param in ID_PARAMS:
        return ID_PARAMS[param]
    if param == "pk" and route.pk_kind():
        return route.pk_kind()
    raise UnknownParameter(
        f"{route}: tests/url_routes.py does not know which object the URL parameter "
        f"`{param}` names, so no outsider test reaches this route. Add the kind to ID_PARAMS "
        f"(or, for `pk`, the path before it, `{route.prefix}`, to PK_BY_PREFIX) and an object "
        f"of it to world() in tests/test_cross_tenant.py; see its docstring."
    )


def fill(route: Route, objects: dict) -> dict:
    kwargs = {}
    for param in route.params:
        if param in OTHER_PARAMS:
            kwargs[param] = OTHER_PARAMS[param]
            continue
        kind = kind_of(route, param)
        if kind not in objects:
            raise UnknownParameter(f"{route}: world() builds no object of kind `{kind}`.")
        kwargs[param] = objects[kind].pk
    return kwargs


def url_of(route: Route, kwargs: dict) -> str:
    return reverse(route.name, kwargs=kwargs)
