"""The one-hand set logger in Chromium on a phone (390×844, touch): the ankling drill's 2:00
countdown runs to zero (Playwright's clock fast-forwards it) and fills the seconds; the rep
counter's taps fill the reps and the saved set has them on the server."""

import pytest
from playwright.sync_api import expect

from programs.models import LoggedSet
from tests.browser.conftest import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stop_the_clock(page):
    """From here on the page's time moves only when the test moves it (a slow machine's own
    seconds would otherwise count too)."""
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)


def test_the_ankling_timer_counts_down_two_minutes_and_fills_the_seconds(
    phone_page, athlete_user, session
):
    page = phone_page
    page.clock.install()
    login(page, athlete_user.email, next="/today/")
    stop_the_clock(page)
    drill = page.get_by_role("region", name="Ankling drill")
    timer = drill.locator('[data-logger="timer"]')
    display = timer.get_by_role("timer")
    seconds = drill.get_by_label("Seconds")
    expect(timer).to_be_visible()
    expect(display).to_have_text("2:00")
    seconds.fill("")  # so the timer, not the server's prefill, is what fills it
    start = timer.get_by_role("button", name="Start")
    box = start.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    shot(page, "timer-ready")

    start.tap()
    expect(timer.get_by_role("button", name="Pause")).to_be_visible()
    page.clock.run_for(30_000)
    expect(display).to_have_text("1:30")
    shot(page, "timer-running")

    # Pause holds the time; resume goes on from there.
    timer.get_by_role("button", name="Pause").tap()
    page.clock.run_for(10_000)
    expect(display).to_have_text("1:30")
    timer.get_by_role("button", name="Resume").tap()
    page.clock.run_for(90_000)

    expect(display).to_have_text("0:00")
    expect(timer.get_by_role("status")).to_have_text(
        "Time! 2 minutes done. Seconds set to 120: save the set."
    )
    expect(seconds).to_have_value("120")
    expect(timer.get_by_role("button", name="Start")).to_be_visible()
    shot(page, "timer-done")

    # Reset goes back to the prescribed time.
    timer.get_by_role("button", name="Reset").tap()
    expect(display).to_have_text("2:00")


def test_the_stopwatch_counts_a_hold_up_and_writes_the_seconds_when_paused(
    phone_page, athlete_user, session
):
    page = phone_page
    page.clock.install()
    login(page, athlete_user.email, next="/today/")
    stop_the_clock(page)
    drill = page.get_by_role("region", name="Ankling drill")
    timer = drill.locator('[data-logger="timer"]')
    timer.get_by_role("button", name="Stopwatch").tap()
    expect(timer.get_by_role("timer")).to_have_text("0:00")
    timer.get_by_role("button", name="Start").tap()
    page.clock.run_for(45_000)
    expect(timer.get_by_role("timer")).to_have_text("0:45")
    timer.get_by_role("button", name="Pause").tap()
    expect(drill.get_by_label("Seconds")).to_have_value("45")


def test_rep_counter_taps_fill_the_reps_and_the_saved_set_has_them(
    phone_page, athlete_user, forward, session
):
    page = phone_page
    login(page, athlete_user.email, next="/today/")
    raises = page.get_by_role("region", name="Bent-knee heel raise")
    counter = raises.locator('[data-logger="counter"]')
    reps = raises.get_by_label("Reps")
    expect(counter).to_be_visible()
    expect(reps).to_have_value("12")  # the prescription, for a save without counting
    tap = counter.get_by_role("button", name="Tap +1 rep")
    box = tap.bounding_box()
    assert box["height"] >= 96 and box["width"] >= 300  # the whole width, most of a thumb
    for _ in range(11):
        tap.tap()
    counter.get_by_role("button", name="Undo −1").tap()
    expect(tap).to_contain_text("10")
    expect(reps).to_have_value("10")
    # No shot here: a full-page screenshot just before an htmx swap logs CSP errors (style="").

    raises.get_by_role("button", name="Save set 1 · Left").tap()
    expect(raises.get_by_role("list", name="Sets logged for Bent-knee heel raise")).to_have_text(
        "Set 1 Left · 10 reps"
    )
    # the next set is the other side, and the counter starts again from zero
    expect(raises.get_by_role("button", name="Save set 1 · Right")).to_be_visible()
    expect(raises.locator("[data-counter-value]")).to_have_text("0")
    shot(page, "saved")

    logged = LoggedSet.objects.get(athlete=forward)
    assert (logged.reps, logged.side, logged.session_id) == (10, "left", session.id)
