"""A coach's day in the browser: log in, build a program, assign it to a team, run a test day
with a failing ankling result, let the worker evaluate it, then see the flag with the protocol
and retest date, and the athlete's ankling chart.

Every page visited is saved under test-output/screenshots/<test name>/."""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Flag, FlagStatus
from config.celery import app
from tests.browser.conftest import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def day(date: datetime.date) -> str:
    """A date as the pages print it: 2 Jan 2027."""
    return f"{date.day} {date:%b %Y}"


def fact(card, term: str):
    """The <dd> after the <dt> reading `term` in a card's facts."""
    return card.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_coach_builds_a_program_runs_a_test_day_and_follows_up_the_flag(
    page, head_coach, forwards, forward, ankling
):
    today = timezone.localdate()
    login(page, head_coach.email)
    shot(page, "dashboard")
    nav = page.get_by_role("navigation", name="Main")

    # Build a program: name it, add a session, find an exercise in the library, prescribe it.
    nav.get_by_role("link", name="Programs").click()
    shot(page, "programs")
    page.get_by_role("button", name="New program").click()
    page.get_by_label("Name:", exact=True).fill("Pre-season calves")
    page.get_by_label("Weeks:", exact=True).fill("4")
    shot(page, "new-program")
    page.get_by_role("button", name="Create the program").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pre-season calves")
    shot(page, "builder")

    page.get_by_label("Session name").fill("Calf A")
    page.get_by_role("button", name="Add the session").click()
    session = page.get_by_role("article", name="Calf A")
    session.get_by_role("searchbox", name="Add an exercise to Calf A").fill("bent-knee")
    session.get_by_role("button", name="Add Bent-knee heel raise").click()
    expect(session.get_by_role("row", name="Bent-knee heel raise")).to_be_visible()
    shot(page, "exercise-added")

    session.get_by_role("button", name="Edit Bent-knee heel raise").click()
    form = session.get_by_role("form", name="Edit Bent-knee heel raise")
    form.get_by_label("Sets:", exact=True).fill("3")
    form.get_by_label("Target (reps)").fill("12")
    form.get_by_label("Tempo").fill("3-0-3")
    shot(page, "prescription-form")
    form.get_by_role("button", name="Save").click()
    row = session.get_by_role("row", name="Bent-knee heel raise")
    expect(row).to_contain_text("3 × 12 reps")
    expect(row).to_contain_text("3-0-3")
    shot(page, "prescription-saved")

    # Assign it to the Forwards: preview the calendar, then confirm.
    page.get_by_role("button", name="Assign").first.click()
    page.get_by_label("Team").select_option(label="Forwards")
    page.get_by_role("button", name="Preview the calendar").click()
    expect(page.get_by_role("heading", name="Preview: 8 sessions")).to_be_visible()
    shot(page, "assign-preview")
    page.get_by_role("button", name="Confirm and assign").click()
    expect(page.get_by_text("Pre-season calves was assigned to 1 athlete.")).to_be_visible()
    shot(page, "assigned")

    # A test day for the Forwards: Fin manages 240 ankling reps, short of the 300 baseline.
    nav.get_by_role("link", name="Test days").click()
    shot(page, "test-days")
    page.get_by_role("button", name="Run a test day").click()
    page.get_by_label("Team").select_option(label="Forwards")
    page.get_by_label("Test").select_option(label=ankling.name)
    shot(page, "new-test-day")
    page.get_by_role("button", name="Open the grid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{ankling.name}: Forwards")
    fin = page.get_by_role("row", name="Fin Forward")
    fin.get_by_role("spinbutton").fill("240")
    fin.get_by_role("spinbutton").press("Tab")  # the row saves itself once every box is filled
    expect(fin).to_contain_text("Fail")
    expect(fin).to_contain_text("240 reps < 300")
    shot(page, "test-day-grid")

    # Saving queued the result's evaluation (on commit); the worker runs it.
    assert not Flag.objects.exists()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert wait_for(lambda: Flag.objects.filter(status=FlagStatus.ON_PROTOCOL).exists())

    # The flag inbox: the reason, the protocol from tomorrow, the retest in six weeks.
    nav.get_by_role("link", name="Flags").click()
    flag = page.get_by_role("article", name=f"Fin Forward · {ankling.name}")
    expect(flag).to_contain_text("240 reps < 300")
    expect(flag).to_contain_text("On protocol")
    protocol_start = today + datetime.timedelta(days=1)
    expect(fact(flag, "Protocol")).to_have_text(
        f"Ankling strength protocol from {day(protocol_start)}"
    )
    expect(fact(flag, "Retest")).to_have_text(day(today + datetime.timedelta(days=42)))
    shot(page, "flag-inbox")

    # Fin's page: the ankling chart is drawn, and its numbers are in the table beneath.
    nav.get_by_role("link", name="Roster").click()
    shot(page, "roster")
    page.get_by_role("link", name="Fin Forward").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fin Forward")
    chart = page.locator(f'figure[data-test="{ankling.slug}"]')
    canvas = chart.locator("canvas[data-chart]").first
    expect(canvas).to_have_attribute("data-drawn", "1")
    assert canvas.evaluate("canvas => canvas.width > 0 && canvas.height > 0")
    chart.get_by_text("Numbers in a table").click()
    result = chart.get_by_role("row", name=day(today))
    expect(result.get_by_role("cell").first).to_have_text("240")
    expect(result).to_contain_text("Fail: 240 reps < 300")
    shot(page, "athlete-page")


def test_javascript_errors_on_a_page_are_collected_to_fail_the_test(page, request):
    page.goto("/accounts/login/")
    page.evaluate("console.error('a console error')")
    page.evaluate("setTimeout(() => { throw new Error('an uncaught error'); })")
    page.evaluate("fetch('/no-such-page/')")  # a missing file is an error too
    page.wait_for_timeout(300)

    errors = request.node.browser_errors[0]
    assert [e.rsplit(": ", 1)[-1] for e in errors] == [
        "a console error",
        "an uncaught error",
        "the server responded with a status of 404 (Not Found)",
    ]
    errors.clear()  # collected as they should be: this test itself passes
