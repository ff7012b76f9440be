"""Browser tests: Playwright drives Debian's Chromium (headless, no browser download) against
pytest-django's live server.

One browser per run of this package; every test gets a fresh context and page. A page that
logs a JavaScript error (console.error, an uncaught exception, a Content-Security-Policy
violation, a resource that failed to load other than a refused form: 400, 409, 422) fails its
test. `shot(page, "name")` saves a full-page screenshot under
test-output/screenshots/<test name>/NN-name.png.

Chromium is found at $BASELINE_CHROMIUM or as `chromium` on the PATH (scripts/install_chromium.sh
installs Debian's package); without it the tests are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from programs import services
from tests.conftest import PASSWORD
from tests.factories import program

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No network: without these Chromium calls Google hosts for updates, sync and the like.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
]

# A form refused with 400, 409 or 422 is an answer the page shows (htmx swaps in the errors),
# though Chromium logs it as a failed resource; any other failed load is an error.
REFUSAL = re.compile(
    r"^Failed to load resource: the server responded with a status of 4(00|09|22)\b"
)

_shots: dict[int, dict] = {}


def chromium_path() -> str | None:
    return os.environ.get("BASELINE_CHROMIUM") or shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a test whose pages logged JavaScript errors, after its own assertions passed."""
    result = yield
    errors = [e for page_errors in getattr(item, "browser_errors", []) for e in page_errors]
    if errors:
        pytest.fail("JavaScript errors in the browser:\n" + "\n".join(errors), pytrace=False)
    return result


@pytest.fixture(scope="package")
def _async_unsafe_allowed():
    """Playwright's sync API keeps an asyncio loop running in the main thread, which trips
    Django's async-unsafe check on every query the test itself makes. Allowed for this package
    only; the loop is stopped again when the package is done (see `playwright`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
        yield


@pytest.fixture(scope="package")
def playwright(_async_unsafe_allowed):
    executable = chromium_path()
    if not executable:
        pytest.skip(
            "No Chromium: install Debian's `chromium` (scripts/install_chromium.sh, run by "
            "`make test`) or set BASELINE_CHROMIUM to its path"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright):
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


def _screenshot_dir(request) -> Path:
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    folder = SCREENSHOTS / name
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _open_page(request, browser, live_server, **context_options):
    context = browser.new_context(base_url=live_server.url, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message):
        if message.type == "error" and not REFUSAL.search(message.text):
            location = message.location or {}
            source = location.get("url") or "the page"
            errors.append(f"console.error on {page.url} from {source}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught exception on {page.url}: {error}"))
    if not hasattr(request.node, "browser_errors"):
        request.node.browser_errors = []
    request.node.browser_errors.append(errors)
    _shots[id(page)] = {"folder": _screenshot_dir(request), "count": 0}
    return context, page


def _close_page(request, context, page):
    call = getattr(request.node, "report_call", None)
    try:
        if call is not None and call.failed and not page.is_closed():
            shot(page, "failure")
    finally:
        _shots.pop(id(page), None)
        context.close()


@pytest.fixture
def page(request, browser, live_server, transactional_db):
    """A desktop browser tab (1280×900) on the live server; relative URLs work in goto()."""
    context, page = _open_page(request, browser, live_server, viewport=DESKTOP)
    yield page
    _close_page(request, context, page)


@pytest.fixture
def phone_page(request, browser, live_server, transactional_db):
    """A phone-sized touch tab (390×844, like an iPhone 14) on the live server."""
    context, page = _open_page(
        request,
        browser,
        live_server,
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        user_agent=(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36"
        ),
    )
    yield page
    _close_page(request, context, page)


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as test-output/screenshots/<test>/NN-<name>.png."""
    state = _shots[id(page)]
    state["count"] += 1
    slug = re.sub(r"[^\w-]+", "-", name.lower()).strip("-")
    path = state["folder"] / f"{state['count']:02d}-{slug}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret leaves style="" on every input, which htmx then copies
    # onto swapped elements, and the Content-Security-Policy refuses (a console error).
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def login(page, email: str, password: str = PASSWORD, *, next: str = "") -> None:
    """Log in through the real login form (then on to `next`, else the home page) and wait for
    the page it leads to."""
    from urllib.parse import urlencode

    from playwright.sync_api import expect

    page.goto("/accounts/login/" + (f"?{urlencode({'next': next})}" if next else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def session(club, forward, head_coach, athlete_user):
    """The phone tests' athlete: a session every day of the week, today's included: bent-knee heel
    raises each side (3 × 10–12) and the ankling drill (3 × 2:00)."""
    today = timezone.localdate()
    template = program(
        club,
        sessions={
            "Calf A": [
                (
                    "bent-knee-heel-raise",
                    {"sets": 3, "target_min": 10, "target_max": 12, "per_side": True},
                ),
                ("ankling-drill", {"sets": 3, "target_min": 120}),
            ]
        },
    )
    [assignment] = services.program_assign(
        template=template,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=today,
        sessions_per_week=7,
        weekdays=[],
        min_gap_hours=0,
    )
    return assignment.sessions.get(date=today)
