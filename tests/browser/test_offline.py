"""Offline first on the athlete's phone, in Chromium (390×844, touch): a set logged online, then
without signal three sets and a check-in kept on the phone, the pages reloaded from the service
worker's cache, and on coming back online exactly those rows on the server, however often the
queue is replayed. A set the server refuses is shown as failed, with its reason, and does not
hold up the ones behind it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checkins.models import CheckIn
from programs.models import LoggedSet
from tests.browser.conftest import login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES_KEPT = """async (paths) => {
  const cache = await caches.open("baseline-pages");
  const found = await Promise.all(paths.map((path) => cache.match(path)));
  return found.every(Boolean);
}"""

# Copies every waiting item, as if the phone had sent them and died before crossing them off.
DUPLICATE_QUEUE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("baseline-offline");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const store = open.result.transaction("queue", "readwrite").objectStore("queue");
    const all = store.getAll();
    all.onsuccess = () => {
      all.result.forEach((item) => { const copy = { ...item }; delete copy.seq; store.add(copy); });
      store.transaction.oncomplete = () => resolve(all.result.length);
    };
  };
})"""

# A set for an exercise the session does not have: the server refuses it (400).
QUEUE_A_BAD_SET = """([url, user]) => new Promise((resolve, reject) => {
  const open = indexedDB.open("baseline-offline");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const store = open.result.transaction("queue", "readwrite").objectStore("queue");
    store.add({
      user, url, kind: "set", label: "Set 9", key: "bad", target: "", swap: "outerHTML",
      status: "pending", created: Date.now(),
      fields: [["item", "99"], ["client_uuid", crypto.randomUUID()], ["set_number", "9"],
               ["reps", "10"], ["load_type", "none"]],
    });
    store.transaction.oncomplete = () => resolve();
  };
})"""


def open_today_online(page, athlete_user):
    """Log in, land on today and wait until the service worker keeps today, this week and the
    check-in on the phone."""
    login(page, athlete_user.email, next="/today/")
    expect(page.locator("html")).to_have_attribute("data-offline-pages", "kept")
    assert page.evaluate(PAGES_KEPT, ["/today/", "/today/week/", "/checkin/"])
    expect(page.locator("#sync-status")).to_have_text("All saved")


def save_set(block, **fields):
    for label, value in fields.items():
        block.get_by_label(label, exact=True).fill(value)
    block.locator("button.save").tap()


def test_sets_and_a_check_in_made_offline_reach_the_server_once(
    phone_page, athlete_user, forward, session
):
    page = phone_page
    status = page.locator("#sync-status")
    heel = page.get_by_role("region", name="Bent-knee heel raise")
    drill = page.get_by_role("region", name="Ankling drill")
    open_today_online(page, athlete_user)
    shot(page, "today-online")

    # Online: the set goes straight to the server and its block comes back as htmx would.
    save_set(heel, Reps="12")
    expect(heel.locator(".logged-sets li")).to_have_count(1)
    expect(status).to_have_text("All saved")
    assert LoggedSet.objects.filter(athlete=forward).count() == 1

    # No signal: three sets and the check-in stay on the phone.
    page.context.set_offline(True)
    save_set(heel, Reps="11")
    expect(heel.locator(".offline-note")).to_contain_text("saved on this phone")
    expect(heel.locator("button.save")).to_contain_text("Save set 2")
    save_set(heel, Reps="10")
    save_set(drill, Seconds="120")
    expect(status).to_contain_text("3 sets waiting to sync")
    shot(page, "three-sets-waiting")

    response = page.goto("/checkin/")
    assert response.from_service_worker
    page.locator('.scale-readiness label:has(input[value="4"])').tap()
    page.get_by_role("button", name="Save check-in").tap()
    expect(status).to_contain_text("3 sets and 1 check-in waiting to sync")
    shot(page, "check-in-waiting")

    # Today opens offline from the phone, with what is waiting.
    page.goto("/today/")
    response = page.reload()
    assert response.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_have_text("Calf A")
    expect(status).to_contain_text("3 sets and 1 check-in waiting to sync")
    expect(heel.locator(".offline-pending li")).to_have_count(2)
    shot(page, "reloaded-offline")
    assert LoggedSet.objects.filter(athlete=forward).count() == 1
    assert CheckIn.objects.filter(athlete=forward).count() == 0

    # Every item twice in the queue: the server's client_uuid check keeps one row of each.
    assert page.evaluate(DUPLICATE_QUEUE) == 4

    back_online = timezone.now()
    page.context.set_offline(False)
    expect(status).to_have_text("All saved")
    shot(page, "all-saved")

    sets = LoggedSet.objects.filter(athlete=forward).order_by("id")
    assert [(s.exercise.slug, s.set_number, s.side) for s in sets] == [
        ("bent-knee-heel-raise", 1, "left"),
        ("bent-knee-heel-raise", 1, "right"),
        ("bent-knee-heel-raise", 2, "left"),
        ("ankling-drill", 1, ""),
    ]
    assert [s.reps for s in sets[:3]] == [12, 11, 10] and sets[3].seconds == 120
    assert len({s.client_uuid for s in sets}) == 4
    # Each set keeps the time it was typed on the phone, not the time it reached the server.
    assert all(s.performed_at < back_online for s in sets[1:])
    assert [c.readiness for c in CheckIn.objects.filter(athlete=forward)] == [4]

    page.reload()
    expect(status).to_have_text("All saved")
    expect(heel.locator(".logged-sets li")).to_have_count(3)
    assert LoggedSet.objects.filter(athlete=forward).count() == 4
    assert CheckIn.objects.filter(athlete=forward).count() == 1


def expected_refusal(request, url):
    """Chromium logs the 400 this test provokes as a console error; only that one is allowed."""
    for errors in request.node.browser_errors:
        errors[:] = [e for e in errors if not (url in e and "status of 400" in e)]


def test_a_refused_set_shows_why_and_does_not_hold_up_the_next(
    request, phone_page, athlete_user, forward, session
):
    page = phone_page
    status = page.locator("#sync-status")
    heel = page.get_by_role("region", name="Bent-knee heel raise")
    open_today_online(page, athlete_user)

    page.context.set_offline(True)
    url = f"/today/sessions/{session.pk}/sets/"
    page.evaluate(QUEUE_A_BAD_SET, [url, str(athlete_user.pk)])
    save_set(heel, Reps="12")
    expect(status).to_contain_text("2 sets waiting to sync")

    page.context.set_offline(False)
    expect(status).to_contain_text("1 failed: item: choose one of this session's exercises.")
    expect(heel.locator(".logged-sets li")).to_have_count(1)
    shot(page, "one-failed")
    assert [s.reps for s in LoggedSet.objects.filter(athlete=forward)] == [12]

    status.get_by_role("button", name="Dismiss").tap()
    expect(status).to_have_text("All saved")
    expected_refusal(request, url)
