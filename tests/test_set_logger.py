"""The one-hand set logger on the athlete's phone page: the server renders, inside each set
form, the helper the exercise needs with what it must know (a timer with the prescribed seconds,
a tap counter for reps or foot contacts, nothing for metres), hidden until set-logger.js shows
it, so the plain form keeps working without JavaScript. The browser side is in
tests/browser/test_set_logger.py.
"""

import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from programs import services
from programs.models import LoggedSet, SessionStatus
from tests.conftest import login
from tests.factories import library, program

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SESSION = {
    "Calf A": [
        (
            "bent-knee-heel-raise",  # reps, one side at a time
            {"sets": 3, "target_min": 10, "target_max": 12, "per_side": True},
        ),
        ("ankling-drill", {"sets": 3, "target_min": 120}),  # seconds: 3 × 2:00
        ("jump-rope", {"sets": 2, "target_min": 50}),  # foot contacts
        ("duck-walk", {"sets": 3, "target_min": 20}),  # metres
        ("single-leg-balance", {"sets": 2, "target_min": 15, "per_side": True}),  # seconds
    ]
}


@pytest.fixture
def session(club, forward, head_coach, athlete_user):
    today = timezone.localdate()
    [assignment] = services.program_assign(
        template=program(club, sessions=SESSION),
        assigned_by=head_coach,
        athletes=[forward],
        start_date=today,
        sessions_per_week=7,
        weekdays=[],
        min_gap_hours=0,
    )
    return assignment.sessions.get(date=today)


def section(page: str, index: int) -> str:
    """The HTML of the session's `index`-th exercise."""
    start = page.index(f'<section id="exercise-{index}"')
    return page[start : page.index("</section>", start)]


def logger(block: str) -> str:
    """The opening tag of the block's logger."""
    match = re.search(r"<div class=\"logger [^\"]+\"[^>]*>", block)
    assert match, "no logger in this block"
    return match.group(0)


def today_page(client, user) -> str:
    login(client, user)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_timed_set_gets_a_hidden_timer_knowing_the_prescribed_seconds(
    client, athlete_user, session
):
    block = section(today_page(client, athlete_user), 2)
    assert logger(block) == (
        '<div class="logger timer" data-logger="timer" data-field="ex2-seconds" '
        'data-target-seconds="120" hidden>'
    )
    assert '<p class="timer-display" role="timer" data-timer-display>2:00</p>' in block
    assert 'role="status" aria-live="assertive" data-timer-message' in block
    for control in ('data-timer-action="toggle"', 'data-timer-action="reset"'):
        assert control in block
    assert 'data-timer-mode="down" aria-pressed="true"' in block
    assert 'data-timer-mode="up" aria-pressed="false"' in block  # the stopwatch for holds
    # the field it fills, prefilled for a save without JavaScript
    assert 'name="seconds" value="120"' in block
    assert 'id="ex2-seconds"' in block
    assert "data-counter-action" not in block


def test_a_reps_exercise_gets_a_tap_counter_writing_reps(client, athlete_user, session):
    block = section(today_page(client, athlete_user), 1)
    assert logger(block) == (
        '<div class="logger counter" data-logger="counter" data-field="ex1-reps" '
        'data-measurement="reps" data-target="12" hidden>'
    )
    assert "Tap +1 rep · target 12" in block
    assert 'data-counter-action="tap"' in block
    assert 'data-counter-action="undo"' in block
    assert "data-timer-action" not in block


def test_a_plyometric_exercise_counts_foot_contacts(client, athlete_user, session):
    block = section(today_page(client, athlete_user), 3)
    assert logger(block) == (
        '<div class="logger counter" data-logger="counter" data-field="ex3-contacts" '
        'data-measurement="contacts" data-target="50" hidden>'
    )
    assert "Tap +1 foot contact · target 50" in block


def test_metres_get_no_logger_only_the_stepper(client, athlete_user, session):
    block = section(today_page(client, athlete_user), 4)
    assert "data-logger" not in block
    assert 'data-step="5" data-target="ex4-metres"' in block


def test_a_timed_per_side_hold_gets_the_timer_and_the_side_buttons(client, athlete_user, session):
    block = section(today_page(client, athlete_user), 5)
    assert 'data-field="ex5-seconds" data-target-seconds="15" hidden>' in logger(block)
    assert '<p class="timer-display" role="timer" data-timer-display>0:15</p>' in block
    assert '<fieldset class="segmented sides" data-sides' in block
    assert 'name="side" value="left" id="ex5-side_0" required checked' in block
    assert '<span class="set-side" data-side-label>· Left</span>' in block
    assert 'data-save-label="Save set 1">Save set 1 · Left</button>' in block


def test_after_a_left_set_the_next_form_defaults_to_the_right(
    client, athlete_user, forward, session
):
    login(client, athlete_user)
    url = reverse("today_set_log", args=[session.id])
    data = {
        "item": 1,
        "client_uuid": str(uuid.uuid4()),
        "set_number": 1,
        "side": "left",
        "reps": 12,
        "load_type": "kg",
        "load_value": "22.5",
    }
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200
    block = response.content.decode()
    assert 'name="side" value="right" id="ex1-side_1" required checked' in block
    assert 'data-save-label="Save set 1">Save set 1 · Right</button>' in block
    # the load carries over to the next set
    assert 'name="load_value" value="22.5"' in block
    # and the right side's set, then left again for set 2
    data.update(client_uuid=str(uuid.uuid4()), side="right")
    block = client.post(url, data, headers=HTMX).content.decode()
    assert 'name="side" value="left" id="ex1-side_0" required checked' in block
    assert "Save set 2 · Left" in block
    assert list(LoggedSet.objects.filter(athlete=forward).values_list("side", "load_value")) == [
        ("left", Decimal("22.5")),
        ("right", Decimal("22.5")),
    ]


def test_the_load_has_steppers_of_two_and_a_half(client, athlete_user, session):
    block = section(today_page(client, athlete_user), 1)
    assert 'data-step="2.5" data-target="ex1-load_value"' in block
    assert 'data-step="-2.5" data-target="ex1-load_value"' in block


def test_the_page_loads_the_set_logger_script_and_no_inline_code(client, athlete_user, session):
    page = today_page(client, athlete_user)
    assert re.search(r'<script src="[^"]*js/set-logger\.js" defer></script>', page)
    start = page.index('<div class="today-page">')
    body = page[start:]
    assert "<script" not in body
    assert "style=" not in body
    assert not re.search(r"\son[a-z]+=", body)


def test_an_ad_hoc_timed_set_has_a_timer_without_a_prescribed_time(client, athlete_user):
    login(client, athlete_user)
    exercise = library("ankling-drill")
    response = client.get(reverse("today_adhoc_log"), {"exercise": exercise.id})
    page = response.content.decode()
    assert (
        '<div class="logger timer" data-logger="timer" data-field="adhoc-seconds" '
        'data-target-seconds="" hidden>'
    ) in page
    assert "data-timer-display>0:00</p>" in page


def test_a_set_logged_by_the_counter_and_the_session_rpe_and_pain_complete_the_session(
    client, athlete_user, forward, session
):
    """What the logger sends is the plain form's post: the set, then the session's RPE and
    pain on the completion form with its segmented scales."""
    login(client, athlete_user)
    page = today_page(client, athlete_user)
    complete = page[page.index('<section id="complete"') :]
    assert 'class="segmented scale scale-session_rpe"' in complete
    assert 'class="segmented scale scale-pain"' in complete
    assert 'name="session_rpe" value="7"' in complete

    response = client.post(
        reverse("today_set_log", args=[session.id]),
        {
            "item": 3,
            "client_uuid": str(uuid.uuid4()),
            "set_number": 1,
            "contacts": 48,
            "load_type": "bodyweight",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert LoggedSet.objects.get(athlete=forward).contacts == 48

    response = client.post(
        reverse("today_session_complete", args=[session.id]),
        {"client_uuid": str(uuid.uuid4()), "session_rpe": 7, "duration_minutes": 30, "pain": 3},
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.session_rpe, session.pain, session.session_load) == (
        SessionStatus.COMPLETED,
        Decimal("7.0"),
        3,
        Decimal("210"),
    )
