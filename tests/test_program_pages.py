"""The program coach pages: the builder, assigning with a preview, the athlete calendar and a
team's training figures.

Personas come from conftest: the head coach runs the club, the assistant coach has Forwards
only, the athlete (Fin Forward) sees only themself and the outsider coaches another club.
"""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs import services
from programs.figures import week_start
from programs.models import (
    Assignment,
    AssignmentStatus,
    Category,
    Exercise,
    Measurement,
    Prescription,
    ProgramTemplate,
    ScheduledSession,
    SessionStatus,
    TemplateSession,
)
from tests.conftest import login
from tests.factories import AthleteFactory, library, program

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
D = datetime.timedelta
TODAY = timezone.localdate()
NEXT_MONDAY = TODAY + D(days=7 - TODAY.weekday())


def html(response) -> str:
    return response.content.decode()


def text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def search_results(page: str) -> list[str]:
    return re.findall(r'name="exercise" value="\d+">\s*<button[^>]*>Add ([^<]+)</button>', page)


def table_row(page: str, label: str) -> list[str]:
    """The cells of the first table row whose first cell reads `label`."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r}")


@pytest.fixture
def calf(club):
    return program(
        club,
        name="Calf strength",
        weeks=4,
        sessions={
            "Calf A": [
                ("bent-knee-heel-raise", {"sets": 3, "target_min": 10, "tempo": "3-0-3"}),
                ("jump-rope", {"sets": 2, "target_min": 50}),
            ]
        },
    )


def session_of(template) -> TemplateSession:
    return template.sessions.get(name="Calf A")


def row_of(template, slug) -> Prescription:
    return Prescription.objects.get(session__template=template, exercise__slug=slug)


def url(name, *args) -> str:
    return reverse(name, args=args)


def edit_data(prescription, **changes) -> dict:
    prefix = f"p{prescription.pk}-"
    data = {
        "sets": prescription.sets,
        "target_min": prescription.target_min,
        "target_max": prescription.target_max or "",
        "load_type": prescription.load_type,
        "load_value": prescription.load_value or "",
        "tempo": prescription.tempo,
        "rest_seconds": prescription.rest_seconds or "",
        "notes": prescription.notes,
        "progression": prescription.progression,
        "progression_every_weeks": prescription.progression_every_weeks,
        "progression_load_step": "",
        "progression_max_sets": "",
        "progression_steps": "",
        **changes,
    }
    return {prefix + key: value for key, value in data.items()}


def assign_data(**changes) -> dict:
    data = {
        "start_date": NEXT_MONDAY.isoformat(),
        "sessions_per_week": 2,
        "weekdays": ["0", "3"],
        "min_gap_hours": 48,
        "action": "preview",
        **changes,
    }
    return data


def assigned(template, athlete, coach, *, start=NEXT_MONDAY, **options) -> Assignment:
    [assignment] = services.program_assign(
        template=template,
        assigned_by=coach,
        athletes=[athlete],
        start_date=start,
        weekdays=options.pop("weekdays", [0, 3]),
        **options,
    )
    return assignment


# --- list, new, duplicate


def test_program_list_shows_sessions_version_and_active_assignments(
    client, head_coach, calf, forward, back
):
    assigned(calf, forward, head_coach)
    services.assignment_end(assignment=assigned(calf, back, head_coach), ended_by=head_coach)
    services.template_session_add(template=calf, added_by=head_coach, name="Calf B")

    page = html(login(client, head_coach).get(url("program_list")))

    assert table_row(page, "Calf strength")[:6] == ["Calf strength", "—", "4", "2", "2", "1"]


def test_new_program_starts_at_version_1_and_opens_the_builder(client, head_coach, club):
    data = {"program-name": "Achilles rehab", "program-weeks": 12, "program-rotation_weeks": 2}

    response = login(client, head_coach).post(url("program_create"), data)

    template = ProgramTemplate.objects.get(name="Achilles rehab")
    assert response.status_code == 302
    assert response["Location"] == url("program_builder", template.pk)
    assert (template.organisation, template.weeks, template.rotation_weeks) == (club, 12, 2)
    assert (template.version, template.created_by) == (1, head_coach)


def test_new_program_with_too_many_weeks_names_the_field(client, head_coach):
    data = {"program-name": "Long", "program-weeks": 60, "program-rotation_weeks": 1}

    response = login(client, head_coach).post(url("program_create"), data)

    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 52." in html(response)
    assert not ProgramTemplate.objects.filter(name="Long").exists()


def test_duplicate_creates_a_copy_with_the_same_sessions(client, head_coach, calf):
    response = login(client, head_coach).post(url("program_duplicate", calf.pk))

    copy = ProgramTemplate.objects.get(name="Calf strength (copy)")
    assert response["Location"] == url("program_builder", copy.pk)
    assert (copy.copied_from, copy.version) == (calf, 1)
    assert list(
        Prescription.objects.filter(session__template=copy).values_list(
            "session__name", "exercise__slug", "sets", "target_min", "tempo"
        )
    ) == [
        ("Calf A", "bent-knee-heel-raise", 3, 10, "3-0-3"),
        ("Calf A", "jump-rope", 2, 50, ""),
    ]


# --- the builder


def test_builder_shows_each_prescription_in_the_exercise_unit(client, head_coach, calf):
    page = html(login(client, head_coach).get(url("program_builder", calf.pk)))

    assert table_row(page, "1")[1:7] == [
        "Bent-knee heel raise",
        "3 × 10 reps",
        "—",
        "3-0-3",
        "—",
        "No",
    ]
    assert table_row(page, "2")[1:3] == ["Jump rope", "2 × 50 contacts"]
    assert "version 1" in page


def test_presets_offered_match_the_exercise_measurement(client, head_coach, calf):
    page = html(login(client, head_coach).get(url("program_builder", calf.pk)))
    raise_row = page.split('id="prescription-')[1]
    rope_row = page.split('id="prescription-')[2]

    assert re.findall(r'name="preset" value="(\w+)"', raise_row) == ["light", "heavy"]
    assert re.findall(r'name="preset" value="(\w+)"', rope_row) == [
        "plyo_light",
        "plyo_moderate",
        "plyo_heavy",
    ]


def test_exercise_search_lists_matching_exercises_of_the_club_library(
    client, head_coach, calf, other_club
):
    Exercise.objects.create(
        organisation=other_club,
        slug="riverside-heel-raise",
        name="Riverside heel raise",
        category=Category.STRENGTH,
        measurement=Measurement.REPS,
    )
    session = session_of(calf)

    response = login(client, head_coach).get(
        url("session_exercise_search", calf.pk, session.pk), {"q": "knee heel"}, **HTMX
    )

    assert response.status_code == 200
    assert search_results(html(response)) == [
        "Bent-knee heel raise",
        "Straight-knee heel raise",
    ]


def test_exercise_search_without_js_shows_results_in_the_builder(client, head_coach, calf):
    session = session_of(calf)
    search = url("session_exercise_search", calf.pk, session.pk)

    response = login(client, head_coach).get(search, {"q": "toe raise"}, follow=True)

    assert response.redirect_chain[0][0].startswith(url("program_builder", calf.pk))
    assert search_results(html(response)) == ["Toe raise"]


def test_adding_an_exercise_returns_only_the_session_block(client, head_coach, calf):
    session = session_of(calf)

    response = login(client, head_coach).post(
        url("prescription_add", calf.pk, session.pk),
        {"exercise": library("toe-raise").pk},
        **HTMX,
    )

    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith(f'<article id="session-{session.pk}"')
    assert "<html" not in page
    assert [p.exercise.slug for p in session.prescriptions.order_by("order")] == [
        "bent-knee-heel-raise",
        "jump-rope",
        "toe-raise",
    ]
    assert table_row(page, "3")[1:3] == ["Toe raise", "3 × 10 reps"]
    assert '<span id="program-version" class="badge" hx-swap-oob="true">version 2</span>' in page


def test_adding_another_clubs_exercise_is_refused(client, head_coach, calf, other_club):
    theirs = Exercise.objects.create(
        organisation=other_club,
        slug="theirs",
        name="Their raise",
        category=Category.STRENGTH,
        measurement=Measurement.REPS,
    )
    session = session_of(calf)

    response = login(client, head_coach).post(
        url("prescription_add", calf.pk, session.pk), {"exercise": theirs.pk}, **HTMX
    )

    assert response.status_code == 422
    assert "Exercise: Choose an exercise from the library." in html(response)
    assert session.prescriptions.count() == 2


def test_edit_form_is_swapped_in_and_saving_bumps_the_version(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")
    edit = url("prescription_edit", calf.pk, raise_.pk)
    login(client, head_coach)

    form = html(client.get(edit, **HTMX))
    response = client.post(
        edit,
        edit_data(raise_, target_max=12, load_type="kg", load_value="20", rest_seconds=90),
        **HTMX,
    )

    assert f'hx-post="{edit}"' in form
    assert response.status_code == 200
    assert html(response).lstrip().startswith(f'<article id="session-{raise_.session_id}"')
    assert table_row(html(response), "1")[2:6] == ["3 × 10–12 reps", "20 kg", "3-0-3", "90 s"]
    calf.refresh_from_db()
    assert calf.version == 2


def test_edit_errors_are_shown_inline_naming_the_field(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")

    response = login(client, head_coach).post(
        url("prescription_edit", calf.pk, raise_.pk), edit_data(raise_, target_max=8), **HTMX
    )

    assert response.status_code == 422
    assert re.search(
        r'id="id_p\d+-target_max_error"><li>The top of the range must be at least the target.',
        html(response),
    )
    calf.refresh_from_db()
    raise_.refresh_from_db()
    assert (calf.version, raise_.target_max) == (1, None)


def test_service_errors_on_an_edit_are_shown_on_the_field(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")

    response = login(client, head_coach).post(
        url("prescription_edit", calf.pk, raise_.pk), edit_data(raise_, load_type="kg"), **HTMX
    )

    assert response.status_code == 422
    assert re.search(
        r'id="id_p\d+-load_value_error"><li>Give the load for this load type.', html(response)
    )
    raise_.refresh_from_db()
    assert raise_.load_type == "none"


def test_progression_steps_are_written_as_lines(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")
    steps = "3x12-15\ntempo 3-0-3, rest 90"

    response = login(client, head_coach).post(
        url("prescription_edit", calf.pk, raise_.pk),
        edit_data(raise_, progression="steps", progression_steps=steps),
        **HTMX,
    )

    raise_.refresh_from_db()
    assert raise_.progression_steps == [
        {"sets": 3, "target_min": 12, "target_max": 15},
        {"tempo": "3-0-3", "rest_seconds": 90},
    ]
    assert table_row(html(response), "1")[8] == "Every 2 weeks: 3x12-15 → tempo 3-0-3, rest 90"


def test_an_unreadable_step_line_names_the_field(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")

    response = login(client, head_coach).post(
        url("prescription_edit", calf.pk, raise_.pk),
        edit_data(raise_, progression="steps", progression_steps="3x12-15\nfaster please"),
        **HTMX,
    )

    assert response.status_code == 422
    assert re.search(
        r'id="id_p\d+-progression_steps_error"><li>Line 2 \(&quot;faster please&quot;\)',
        html(response),
    )
    raise_.refresh_from_db()
    assert raise_.progression == "none"


def test_add_load_progression_is_summarised(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")
    data = edit_data(
        raise_,
        load_type="kg",
        load_value="20",
        progression="add_load",
        progression_load_step="2.5",
    )

    response = login(client, head_coach).post(
        url("prescription_edit", calf.pk, raise_.pk), data, **HTMX
    )

    assert table_row(html(response), "1")[8] == "+2.5 kg every 2 weeks"


def test_edit_without_js_is_a_page_and_redirects_back(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")
    edit = url("prescription_edit", calf.pk, raise_.pk)
    login(client, head_coach)

    page = html(client.get(edit))
    response = client.post(edit, edit_data(raise_, sets=4))

    assert "<html" in page and "hx-post" not in page.split("prescription-form")[1][:400]
    assert response["Location"] == url("program_builder", calf.pk) + f"#session-{raise_.session_id}"
    raise_.refresh_from_db()
    assert raise_.sets == 4


def test_preset_fills_the_scheme(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")

    response = login(client, head_coach).post(
        url("prescription_preset", calf.pk, raise_.pk), {"preset": "heavy"}, **HTMX
    )

    assert table_row(html(response), "1")[2] == "4 × 3–6 reps"
    raise_.refresh_from_db()
    assert (raise_.sets, raise_.target_min, raise_.target_max, raise_.rest_seconds) == (
        4,
        3,
        6,
        120,
    )


def test_a_preset_for_another_measurement_shows_an_error(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")

    response = login(client, head_coach).post(
        url("prescription_preset", calf.pk, raise_.pk), {"preset": "plyo_light"}, **HTMX
    )

    assert response.status_code == 422
    assert (
        "Preset: Plyometric light: 2 × 25–40 contacts (50–80) is for exercises measured in "
        "foot contacts, not reps." in html(response)
    )
    raise_.refresh_from_db()
    assert (raise_.sets, raise_.target_min) == (3, 10)


def test_a_refused_preset_without_js_shows_the_builder_with_the_error(client, head_coach, calf):
    rope = row_of(calf, "jump-rope")

    response = login(client, head_coach).post(
        url("prescription_preset", calf.pk, rope.pk), {"preset": "heavy"}
    )

    assert response.status_code == 400
    assert "<html" in html(response)
    assert "Preset: Heavy: 3–6 reps × 4 is for exercises measured in reps" in html(response)


def test_moving_a_row_up_reorders_the_session(client, head_coach, calf):
    rope = row_of(calf, "jump-rope")

    response = login(client, head_coach).post(
        url("prescription_move", calf.pk, rope.pk), {"direction": "up"}, **HTMX
    )

    assert table_row(html(response), "1")[1] == "Jump rope"
    assert list(
        session_of(calf).prescriptions.order_by("order").values_list("exercise__slug", flat=True)
    ) == ["jump-rope", "bent-knee-heel-raise"]


def test_moving_without_js_redirects_to_the_session(client, head_coach, calf):
    raise_ = row_of(calf, "bent-knee-heel-raise")

    response = login(client, head_coach).post(
        url("prescription_move", calf.pk, raise_.pk), {"direction": "down"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#session-{raise_.session_id}")
    assert row_of(calf, "jump-rope").order < Prescription.objects.get(pk=raise_.pk).order


def test_removing_a_row_leaves_the_rest(client, head_coach, calf):
    rope = row_of(calf, "jump-rope")

    response = login(client, head_coach).post(url("prescription_remove", calf.pk, rope.pk), **HTMX)

    assert "Jump rope" not in html(response)
    assert [p.exercise.slug for p in session_of(calf).prescriptions.all()] == [
        "bent-knee-heel-raise"
    ]


def test_sessions_are_added_with_their_rotation_week_and_removed(client, head_coach, club):
    rotation = program(club, name="Rotation", rotation_weeks=2)
    login(client, head_coach)

    page = html(client.get(url("program_builder", rotation.pk)))
    added = client.post(
        url("session_add", rotation.pk),
        {"session-name": "Workout 2", "session-rotation_week": "2"},
        **HTMX,
    )
    workout = rotation.sessions.get(name="Workout 2")
    removed = client.post(url("session_remove", rotation.pk, workout.pk), **HTMX)

    assert '<option value="2">Week 2</option>' in page
    assert workout.rotation_week == 2
    assert "Week 2 of 2" in html(added)
    assert f'id="session-{workout.pk}"' in html(added)
    assert removed.status_code == 200
    assert "Workout 2 was removed." in html(removed)
    assert list(rotation.sessions.values_list("name", flat=True)) == ["Calf A"]


def test_program_details_are_edited_inline(client, head_coach, calf):
    data = {
        "program-name": "Calf strength II",
        "program-goal": "Soleus capacity",
        "program-weeks": 6,
        "program-rotation_weeks": 1,
    }

    response = login(client, head_coach).post(url("program_builder", calf.pk), data, **HTMX)

    calf.refresh_from_db()
    assert (calf.name, calf.goal, calf.weeks, calf.version) == (
        "Calf strength II",
        "Soleus capacity",
        6,
        2,
    )
    assert "The program details were saved." in html(response)
    assert "version 2" in html(response)


# --- assigning


def test_preview_shows_the_dates_without_assigning(client, head_coach, calf, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(athletes=[forward.pk])
    )

    page = html(response)
    assert response.status_code == 200
    dates = re.findall(r'<time datetime="([\d-]+)">', page)
    assert dates == [
        (NEXT_MONDAY + D(days=days)).isoformat() for days in (0, 3, 7, 10, 14, 17, 21, 24)
    ]
    assert "Preview: 8 sessions" in page
    assert not Assignment.objects.exists()


def test_htmx_preview_returns_only_the_panel(client, head_coach, calf, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(athletes=[forward.pk]), **HTMX
    )

    assert html(response).lstrip().startswith('<div id="assign-panel">')
    assert len(re.findall(r"<time datetime=", html(response))) == 8


def test_preview_shows_the_schedule_warnings(client, head_coach, calf, forward):
    data = assign_data(athletes=[forward.pk], weekdays=["0", "6"])

    page = html(login(client, head_coach).post(url("program_assign", calf.pk), data))

    assert "Week 2 fits 1 of 2 sessions with these weekdays and a 48 h gap." in page


def test_confirm_assigns_and_opens_the_athletes_calendar(client, head_coach, calf, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(athletes=[forward.pk], action="confirm")
    )

    [assignment] = Assignment.objects.all()
    assert response.status_code == 302
    assert response["Location"] == (
        url("athlete_calendar", forward.pk) + f"?month={NEXT_MONDAY:%Y-%m}"
    )
    assert (assignment.athlete, assignment.weekdays, assignment.sessions.count()) == (
        forward,
        [0, 3],
        8,
    )


def test_confirm_for_a_team_opens_the_team_page(client, head_coach, calf, forwards, forward):
    response = login(client, head_coach).post(
        url("program_assign", calf.pk), assign_data(team=forwards.pk, action="confirm")
    )

    assert response["Location"] == url("team_training", forwards.pk)
    assert Assignment.objects.get().athlete == forward


def test_service_errors_show_on_the_named_field(client, head_coach, calf, forward):
    data = assign_data(athletes=[forward.pk], sessions_per_week=3, action="confirm")

    response = login(client, head_coach).post(url("program_assign", calf.pk), data)

    assert response.status_code == 400
    assert re.search(
        r'id="id_weekdays_error"><li>3 sessions a week need at least 3 weekdays.', html(response)
    )
    assert not Assignment.objects.exists()


def test_choosing_nobody_is_refused(client, head_coach, calf):
    response = login(client, head_coach).post(url("program_assign", calf.pk), assign_data())

    assert response.status_code == 400
    assert "Choose at least one athlete or a team." in html(response)


@pytest.mark.parametrize("field", ["athletes", "team"])
def test_assistant_coach_cannot_assign_to_the_backs(client, assistant_coach, calf, back, field):
    chosen = {"athletes": [back.pk]} if field == "athletes" else {"team": back.teams.get().pk}

    response = login(client, assistant_coach).post(
        url("program_assign", calf.pk), assign_data(action="confirm", **chosen)
    )

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in html(response)
    assert not Assignment.objects.exists()


# --- access


@pytest.fixture
def our_urls(club, head_coach, calf, forward, forwards):
    assignment = assigned(calf, forward, head_coach)
    scheduled = assignment.sessions.get(sequence=1)
    session = session_of(calf)
    raise_ = row_of(calf, "bent-knee-heel-raise")
    gets = [
        url("program_builder", calf.pk),
        url("program_assign", calf.pk),
        url("session_block", calf.pk, session.pk),
        url("session_exercise_search", calf.pk, session.pk) + "?q=heel",
        url("prescription_edit", calf.pk, raise_.pk),
        url("athlete_calendar", forward.pk),
        url("team_training", forwards.pk),
    ]
    posts = [
        (url("program_builder", calf.pk), {"program-name": "X", "program-weeks": 2}),
        (url("program_duplicate", calf.pk), {}),
        (url("program_assign", calf.pk), assign_data(athletes=[forward.pk], action="confirm")),
        (url("session_add", calf.pk), {"session-name": "Extra"}),
        (url("session_remove", calf.pk, session.pk), {}),
        (url("prescription_add", calf.pk, session.pk), {"exercise": library("toe-raise").pk}),
        (url("prescription_edit", calf.pk, raise_.pk), edit_data(raise_, sets=9)),
        (url("prescription_preset", calf.pk, raise_.pk), {"preset": "heavy"}),
        (url("prescription_move", calf.pk, raise_.pk), {"direction": "down"}),
        (url("prescription_remove", calf.pk, raise_.pk), {}),
        (url("assignment_change", forward.pk, assignment.pk, "pause"), {}),
        (url("assignment_change", forward.pk, assignment.pk, "end"), {}),
        (url("session_reschedule", forward.pk, scheduled.pk), {"date": TODAY.isoformat()}),
    ]
    return gets, posts


def snapshot():
    return (
        list(ProgramTemplate.objects.values_list("id", "name", "version")),
        list(TemplateSession.objects.values_list("id", "name")),
        list(Prescription.objects.values_list("id", "order", "sets", "target_min")),
        list(Assignment.objects.values_list("id", "status")),
        list(ScheduledSession.objects.values_list("id", "date", "status")),
    )


def test_outsider_gets_404_everywhere_and_changes_nothing(client, outsider, our_urls):
    gets, posts = our_urls
    before = snapshot()
    login(client, outsider)

    for address in gets:
        assert client.get(address).status_code == 404, address
        assert client.get(address, **HTMX).status_code == 404, address
    for address, data in posts:
        assert client.post(address, data).status_code == 404, address
        assert client.post(address, data, **HTMX).status_code == 404, address

    assert snapshot() == before
    assert "Calf strength" not in html(client.get(url("program_list")))


def test_athlete_gets_403_on_coach_pages_and_404_on_others_calendars(
    client, athlete_user, calf, back, backs
):
    login(client, athlete_user)

    for address in (
        url("program_list"),
        url("program_create"),
        url("program_builder", calf.pk),
        url("program_assign", calf.pk),
    ):
        assert client.get(address).status_code == 403, address
    assert client.post(url("program_duplicate", calf.pk)).status_code == 403
    assert client.get(url("athlete_calendar", back.pk)).status_code == 404
    assert client.get(url("team_training", backs.pk)).status_code == 404
    assert (
        client.get(url("athlete_calendar", athlete_user.athlete_profiles.get().pk)).status_code
        == 403
    )
    assert ProgramTemplate.objects.count() == 1


def test_assistant_coach_cannot_open_a_backs_calendar(client, assistant_coach, back, backs):
    login(client, assistant_coach)

    assert client.get(url("athlete_calendar", back.pk)).status_code == 404
    assert client.get(url("team_training", backs.pk)).status_code == 404


# --- the athlete calendar


def test_calendar_shows_the_month_with_status_badges(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    first = assignment.sessions.get(sequence=1)
    services.session_complete(session=first, completed_by=head_coach, session_rpe=6)
    month = f"{NEXT_MONDAY:%Y-%m}"

    page = html(
        login(client, head_coach).get(url("athlete_calendar", forward.pk), {"month": month})
    )

    cell = page.split(f'<time datetime="{first.date:%Y-%m-%d}">')[1].split("</td>")[0]
    assert text(cell) == f"{first.date.day} Calf A Completed"
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert "0 of 8 sessions done" not in page and "1 of 8 sessions done" in page


def test_a_bad_month_is_a_400_naming_the_field(client, head_coach, forward):
    response = login(client, head_coach).get(url("athlete_calendar", forward.pk), {"month": "13"})

    assert response.status_code == 400
    assert "Month: Give the month as YYYY-MM, e.g. 2026-11." in html(response)


def test_rescheduling_moves_later_sessions_and_says_which(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    first = assignment.sessions.get(sequence=1)

    response = login(client, head_coach).post(
        url("session_reschedule", forward.pk, first.pk),
        {"date": (NEXT_MONDAY + D(days=2)).isoformat()},
        follow=True,
    )

    dates = dict(assignment.sessions.values_list("sequence", "date"))
    assert dates[1] == NEXT_MONDAY + D(days=2)
    assert dates[2] == NEXT_MONDAY + D(days=7)
    assert dates[3] == NEXT_MONDAY + D(days=10)
    old, new = NEXT_MONDAY + D(days=3), NEXT_MONDAY + D(days=7)
    assert (
        f"Later sessions moved to keep the gap: Calf A (session 2) {old:%a %d %b} → "
        f"{new:%a %d %b}; " in html(response)
    )


def test_rescheduling_too_close_names_the_date(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    second = assignment.sessions.get(sequence=2)

    response = login(client, head_coach).post(
        url("session_reschedule", forward.pk, second.pk),
        {"date": (NEXT_MONDAY + D(days=1)).isoformat()},
    )

    assert response.status_code == 400
    assert "New date: It must be at least 48 h after the session before" in html(response)
    assert assignment.sessions.get(sequence=2).date == NEXT_MONDAY + D(days=3)


def test_pause_resume_and_end_from_the_calendar(client, head_coach, calf, forward):
    assignment = assigned(calf, forward, head_coach)
    calendar = url("athlete_calendar", forward.pk)
    login(client, head_coach)

    paused = client.post(url("assignment_change", forward.pk, assignment.pk, "pause"))
    statuses_paused = set(assignment.sessions.values_list("status", flat=True))
    again = client.post(url("assignment_change", forward.pk, assignment.pk, "pause"))
    client.post(url("assignment_change", forward.pk, assignment.pk, "resume"))
    first_after_resume = assignment.sessions.get(sequence=1)
    client.post(url("assignment_change", forward.pk, assignment.pk, "end"))

    assert paused["Location"].startswith(calendar)
    assert statuses_paused == {SessionStatus.ON_HOLD}
    assert again.status_code == 400
    assert "Calf strength: The assignment is paused." in html(again)
    assert first_after_resume.status == SessionStatus.SCHEDULED
    assert first_after_resume.date >= TODAY
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ENDED
    assert set(assignment.sessions.values_list("status", flat=True)) == {SessionStatus.CANCELLED}


def log_sets(athlete, session, exercise, coach, *, count, **values):
    when = timezone.make_aware(datetime.datetime.combine(session.date, datetime.time(18)))
    for number in range(1, count + 1):
        services.set_log(
            athlete=athlete,
            logged_by=coach,
            client_uuid=uuid.uuid4(),
            exercise=exercise,
            session=session,
            performed_at=when,
            set_number=number,
            **values,
        )


def test_weekly_figures_on_the_calendar_match_the_logged_sets(client, head_coach, calf, forward):
    last_monday = week_start(TODAY) - D(days=7)
    assignment = assigned(calf, forward, head_coach, start=last_monday)
    monday = assignment.sessions.get(sequence=1)
    log_sets(forward, monday, library("bent-knee-heel-raise"), head_coach, count=2, reps=12)
    log_sets(forward, monday, library("jump-rope"), head_coach, count=2, contacts=50)
    services.session_complete(
        session=monday, completed_by=head_coach, session_rpe=5, duration_minutes=30
    )

    page = html(login(client, head_coach).get(url("athlete_calendar", forward.pk)))

    # 1 of the 2 sessions due; 24 reps × 6 s (tempo 3-0-3) = 2.4 min; 100 contacts; 5 × 30.
    assert table_row(page, f"{last_monday:%d %b}") == [
        f"{last_monday:%d %b}",
        "50 %",
        "1/2",
        "24",
        "2.4",
        "100",
        "150",
    ]
    earlier = last_monday - D(days=7)
    assert table_row(page, f"{earlier:%d %b}")[1:] == ["—", "0/0", "0", "0.0", "0", "0"]


def test_team_training_shows_each_athlete_and_the_team_totals(
    client, head_coach, calf, forwards, forward
):
    teammate = AthleteFactory(
        organisation=forward.organisation, teams=[forwards], first_name="Tom", last_name="Tight"
    )
    last_monday = week_start(TODAY) - D(days=7)
    for athlete in (forward, teammate):
        done = assigned(calf, athlete, head_coach, start=last_monday).sessions.get(sequence=1)
        log_sets(athlete, done, library("bent-knee-heel-raise"), head_coach, count=1, reps=10)
        services.session_complete(
            session=done, completed_by=head_coach, session_rpe=4, duration_minutes=20
        )

    page = html(login(client, head_coach).get(url("team_training", forwards.pk)))

    team_weeks = page.split('id="team-weeks-heading"')[1].split("</section>")[0]
    assert table_row(team_weeks, f"{last_monday:%d %b}") == [
        f"{last_monday:%d %b}",
        "2",
        "50 %",
        "2/4",
        "20",
        "2.0",
        "0",
        "160",
    ]
    per_athlete = page.split(f'id="athlete-{teammate.pk}-figures"')[1].split("</tbody>")[0]
    assert "Tom Tight" in per_athlete
    assert table_row(per_athlete, f"{last_monday:%d %b}")[1:5] == ["50 %", "1/2", "10", "1.0"]


# --- query counts


def test_program_list_query_count_does_not_grow(
    client, head_coach, club, forward, django_assert_num_queries
):
    def add(n, start):
        for i in range(start, start + n):
            template = program(club, name=f"Program {i:02}")
            if i % 2:
                assigned(template, forward, head_coach)

    add(5, 0)
    login(client, head_coach)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get(url("program_list"))).count("<tr>") == 6
    add(45, 5)

    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get(url("program_list"))).count("<tr>") == 51


def test_calendar_query_count_does_not_grow(
    client, head_coach, club, forward, django_assert_num_queries
):
    one_week = program(club, name="One week", weeks=1)
    month = {"month": f"{NEXT_MONDAY:%Y-%m}"}

    def add(n):
        for i in range(n):
            assigned(one_week, forward, head_coach, sessions_per_week=1, weekdays=[i % 7])

    add(5)
    login(client, head_coach)
    calendar = url("athlete_calendar", forward.pk)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get(calendar, month)).count('class="calendar-session"') == 5
    add(45)

    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get(calendar, month)).count('class="calendar-session"') == 50


def test_team_training_query_count_does_not_grow(
    client, head_coach, club, forwards, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            AthleteFactory(organisation=club, teams=[forwards])

    add(5)
    login(client, head_coach)
    with CaptureQueriesContext(connection) as five:
        assert html(client.get(url("team_training", forwards.pk))).count("<tbody id=") == 5
    add(45)

    with django_assert_num_queries(len(five.captured_queries)):
        assert html(client.get(url("team_training", forwards.pk))).count("<tbody id=") == 50
