"""Every main page, as each persona, in Chromium under the site's Content-Security-Policy: not
one violation (an inline script, style or handler, a resource from elsewhere) may be reported.

A `securitypolicyviolation` listener, installed before any page script runs, records each
violation the browser reports; the package's console listener (tests/browser/conftest.py) also
fails the test on the console error Chromium prints for it."""

import pytest

from athletes.models import Role
from tests.browser.conftest import login
from tests.factories import MembershipFactory
from tests.test_cross_tenant import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " at " +
    event.sourceFile + ":" + event.lineNumber
  );
});
"""

STAFF_PAGES = [
    "/",
    "/dashboard/",
    "/flags/",
    "/flags/{flag}/",
    "/athletes/",
    "/athletes/{athlete}/",
    "/athletes/{athlete}/results/",
    "/athletes/{athlete}/calendar/",
    "/athletes/{athlete}/sessions/{scheduled_session}/log/",
    "/teams/",
    "/teams/{team}/",
    "/teams/{team}/training/",
    "/programs/",
    "/tests/",
    "/tests/{test}/",
    "/test-days/",
    "/test-days/{test_day}/",
    "/reports/",
    "/reports/training/",
    "/exercises/",
    "/exercises/{exercise}/",
    "/settings/tokens/",
    "/settings/notifications/",
]
PAGES = {
    "head_coach": [
        *STAFF_PAGES,
        "/programs/{program}/",
        "/programs/{program}/assign/",
        "/athletes/import/",
        "/results/import/",
        "/settings/webhooks/",
        "/settings/webhooks/{webhook_endpoint}/",
    ],
    "assistant_coach": STAFF_PAGES,
    "physio": STAFF_PAGES,
    "athlete": ["/", "/today/", "/today/week/", "/today/log/", "/checkin/", "/me/results/"],
    "outsider": ["/", "/dashboard/", "/athletes/", "/settings/tokens/"],
}
ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/password_reset/", "/api/docs/"]


def visit_all(page, paths: list[str], objects: dict) -> list[str]:
    found = []
    for path in paths:
        url = path.format(**{kind: obj.pk for kind, obj in objects.items()})
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        page.wait_for_load_state("networkidle")
        found += [f"{url}: {v}" for v in page.evaluate("window.__cspViolations")]
    return found


@pytest.fixture
def world():
    world = build_world()
    club = world.objects["organisation"]
    forwards = world.objects["team"]
    world.personas = {
        "head_coach": world.head_coach,
        "assistant_coach": MembershipFactory(
            organisation=club, role=Role.COACH, teams=[forwards], user__email="ac@harbour.example"
        ).user,
        "physio": MembershipFactory(
            organisation=club, role=Role.PHYSIO, user__email="physio@harbour.example"
        ).user,
        "athlete": world.objects["athlete"].user,
        "outsider": world.outsider,
    }
    return world


@pytest.mark.parametrize("persona", list(PAGES))
def test_no_page_breaks_the_content_security_policy(page, world, persona):
    page.add_init_script(RECORD_VIOLATIONS)
    login(page, world.personas[persona].email)

    assert visit_all(page, PAGES[persona], world.objects) == []


def test_login_pages_and_api_docs_keep_the_content_security_policy(page, world):
    page.add_init_script(RECORD_VIOLATIONS)

    assert visit_all(page, ANONYMOUS_PAGES, world.objects) == []
    assert page.locator(".swagger-ui .info .title").first.is_visible()
