"""The installable web app: the manifest and the service worker served from the root with the
headers browsers need, the week pages the worker keeps for offline, the forms the offline queue
takes over, and the outcome header that tells the queue a refused set from a saved one.

The queue itself (IndexedDB, replays, the status bar) is driven in Chromium by
tests/browser/test_offline.py.
"""

import datetime
import json
import re
import struct
import uuid

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from programs.models import LoggedSet
from tests import test_today_page
from tests.conftest import login
from tests.test_today_page import HTMX, assign, complete_url, completion, set_data, set_url

pytestmark = pytest.mark.django_db

# The today page's fixtures: Calf A, today's session of `forward` and of `back`.
calf_a = test_today_page.calf_a
session = test_today_page.session
back_session = test_today_page.back_session


def test_service_worker_is_served_from_the_root_as_javascript_without_caching(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    config = json.loads(re.match(r"self\.BASELINE = (\{.*\});\n", body).group(1))
    assert "/static/js/offline.js" in config["shell"]
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in config["shell"]
    assert "/static/css/baseline.css" in config["shell"]
    assert "/manifest.webmanifest" in config["shell"]
    assert all(finders.find(u.removeprefix("/static/")) for u in config["shell"][:-1])
    assert 'addEventListener("fetch"' in body
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    assert client.get("/sw.js").content == response.content  # same files, same worker


def test_manifest_makes_today_an_installable_standalone_app(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert response["Cache-Control"] == "no-cache"
    manifest = response.json()
    assert manifest["start_url"] == "/today/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#007a50"
    icons = {(i["sizes"], i["purpose"]): i["src"] for i in manifest["icons"]}
    assert set(icons) == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    }
    for (sizes, _), src in icons.items():
        path = finders.find(src.removeprefix("/static/"))
        with open(path, "rb") as handle:
            head = handle.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", head[16:24])
        assert f"{width}x{height}" == sizes


def test_pages_link_the_manifest_and_load_the_offline_script(client, athlete_user):
    page = login(client, athlete_user).get("/today/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#007a50">' in page
    assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in page
    assert '<script src="/static/js/offline.js" defer></script>' in page
    assert f'<meta name="baseline-user" content="{athlete_user.pk}">' in page


def test_set_and_completion_forms_go_through_the_offline_queue(client, athlete_user, session):
    page = login(client, athlete_user).get("/today/").content.decode()

    assert page.count('class="set-form" data-offline="set"') == 4
    assert page.count('class="complete-form" data-offline="session completion"') == 1
    assert '<a href="/today/week/" data-offline-week>' in page


def test_week_lists_this_weeks_sessions_with_links_the_worker_keeps(
    client, athlete_user, forward, calf_a, head_coach, back_session
):
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    assign(calf_a, forward, head_coach, monday)

    page = login(client, athlete_user).get("/today/week/").content.decode()

    days = re.findall(r'href="/today/(\d{4}-\d{2}-\d{2})/" data-offline-page', page)
    week = [(monday + datetime.timedelta(days=n)).isoformat() for n in range(7)]
    assert sorted(set(days)) == sorted(set(days) & set(week)) and days
    assert today.isoformat() in days
    assert '<a href="/checkin/" data-offline-page>' in page


def test_a_days_page_is_that_days_session_with_its_cues(
    client, athlete_user, forward, calf_a, head_coach
):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    session = assign(calf_a, forward, head_coach, tomorrow).sessions.get(date=tomorrow)

    page = login(client, athlete_user).get(f"/today/{tomorrow.isoformat()}/").content.decode()

    assert "<h1>Calf A</h1>" in page
    assert '<details class="cues">' in page
    assert f'hx-post="{set_url(session)}"' in page
    rest = login(client, athlete_user).get(f"/today/{timezone.localdate().isoformat()}/")
    assert "<h1>Rest day</h1>" in rest.content.decode()
    assert client.get("/today/2026-02-30/").status_code == 404


def test_a_day_shows_only_the_athletes_own_session(client, outsider, athlete_user, back_session):
    day = back_session.date.isoformat()

    mine = login(client, athlete_user).get(f"/today/{day}/").content.decode()
    assert f'hx-post="{set_url(back_session)}"' not in mine
    assert login(client, outsider).get(f"/today/{day}/").status_code == 302  # staff: home


def test_the_outcome_header_tells_saved_replayed_conflict_and_invalid(
    client, athlete_user, session
):
    login(client, athlete_user)
    data = set_data()

    def outcome(body):
        return client.post(set_url(session), body, headers=HTMX)["X-Baseline-Outcome"]

    assert outcome(data) == "saved"
    assert outcome(data) == "replayed"
    assert outcome({**data, "reps": 5}) == "conflict"
    assert outcome(set_data(reps="")) == "invalid"
    assert LoggedSet.objects.filter(session=session).count() == 1

    done = completion()
    headers = HTMX

    def finished(body):
        return client.post(complete_url(session), body, headers=headers)["X-Baseline-Outcome"]

    assert finished(completion(session_rpe="")) == "invalid"
    assert finished(done) == "saved"
    assert finished(done) == "replayed"
    assert finished({**done, "client_uuid": str(uuid.uuid4()), "session_rpe": 9}) == "conflict"
