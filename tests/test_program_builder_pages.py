"""The program coach pages: the program list and the builder.

Personas come from conftest: the head coach runs the club, the assistant coach has Forwards
only, the athlete (Fin Forward) sees only themself and the outsider coaches another club.
"""

import re

import pytest

from programs import services
from programs.models import (
    Prescription,
    ProgramTemplate,
)
from tests.conftest import login
from tests.factories import club_exercise, library, program
from tests.program_pages import (
    HTMX,
    assigned,
    edit_data,
    html,
    row_of,
    search_results,
    session_of,
    table_row,
    url,
)

pytestmark = pytest.mark.django_db

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
    club_exercise(other_club, "Riverside heel raise")
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
    theirs = club_exercise(other_club, "Their raise")
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
