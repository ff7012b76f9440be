"""The assessment pages: one athlete's results, test days and their grid, access, and the
athlete's own results with their flag in plain words.

Personas come from conftest: the assistant coach (Forwards only) records, the athlete sees only
themself, the outsider nothing of the club.
"""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import Baseline, Flag, Result, Test, TestDay
from tests.assessment_pages import (
    DAY,
    HTMX,
    day,
    flagged,
    html,
    new_test_day,
    record,
    row_url,
)
from tests.conftest import login
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db

# --- one athlete's results ----------------------------------------------------------------------


def test_recording_a_result_from_the_athlete_page_stores_it_with_who_and_when(
    client, head_coach, forward, ankling
):
    login(client, head_coach)
    form = client.get(reverse("athlete_results", args=[forward.pk]), {"test": ankling.pk})
    assert 'name="both_1"' in html(form)

    response = client.post(
        reverse("athlete_results", args=[forward.pk]),
        {"test": ankling.pk, "both_1": "320", "date": "", "client_uuid": str(uuid.uuid4())},
    )

    assert response.status_code == 302
    result = Result.objects.get()
    assert (result.athlete, result.test, result.both, result.recorded_by) == (
        forward,
        ankling,
        Decimal("320"),
        head_coach,
    )
    page = html(client.get(reverse("athlete_results", args=[forward.pk])))
    assert "320 reps" in page
    assert "Awaiting evaluation" in page
    assert str(head_coach) in page


def test_the_results_page_shows_fail_and_the_reasons_once_evaluated(
    client, head_coach, forward, ankling
):
    flagged(forward, ankling, {"both": [240]}, head_coach)

    page = html(login(client, head_coach).get(reverse("athlete_results", args=[forward.pk])))

    assert "Fail" in page
    assert "240 reps &lt; 300" in page


def test_choosing_a_test_with_htmx_returns_only_its_inputs(client, head_coach, forward, heel_rise):
    response = login(client, head_coach).get(
        reverse("athlete_results", args=[forward.pk]),
        {"test": heel_rise.pk},
        HTTP_HX_TARGET="record-result",
        **HTMX,
    )

    page = html(response)
    assert 'name="left_1"' in page and 'name="right_1"' in page
    assert "<html" not in page


def test_missing_side_is_refused_naming_the_side(client, head_coach, forward, heel_rise):
    response = login(client, head_coach).post(
        reverse("athlete_results", args=[forward.pk]),
        {"test": heel_rise.pk, "left_1": "", "right_1": "30", "client_uuid": str(uuid.uuid4())},
    )

    assert response.status_code == 400
    assert "Left: Enter the left result." in html(response)
    assert not Result.objects.exists()


def test_another_clubs_test_in_the_form_is_refused(
    client, head_coach, outsider, other_club, forward
):
    foreign = Test.objects.create(
        organisation=other_club,
        slug="river",
        name="River test",
        protocol="-",
        unit="reps",
        per_side=False,
        plausible_max=100,
    )

    response = login(client, head_coach).post(
        reverse("athlete_results", args=[forward.pk]), {"test": foreign.pk, "both_1": "10"}
    )

    assert response.status_code == 400
    assert not Result.objects.exists()


# --- test days and the grid ---------------------------------------------------------------------


def test_creating_a_test_day_opens_its_grid(client, head_coach, forwards, forward, ankling):
    response = login(client, head_coach).post(
        reverse("test_day_create"),
        {"team": forwards.pk, "test": ankling.pk, "date": DAY.isoformat(), "notes": "Pre-season"},
    )

    test_day = TestDay.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("test_day_detail", args=[test_day.pk])
    grid = html(client.get(response.url))
    assert forward.full_name in grid
    assert f'hx-post="{row_url(test_day, forward)}"' in grid
    assert 'inputmode="decimal"' in grid
    assert 'hx-trigger="change, submit"' in grid


def test_assistant_cannot_open_a_test_day_for_another_team(
    client, head_coach, assistant_coach, backs, back, ankling
):
    test_day = new_test_day(backs, ankling, head_coach)

    login(client, assistant_coach)
    assert client.get(reverse("test_day_detail", args=[test_day.pk])).status_code == 404
    response = client.post(row_url(test_day, back), {"both_1": "320"}, **HTMX)
    assert response.status_code == 404
    assert not Result.objects.exists()
    grid_url = reverse("test_day_detail", args=[test_day.pk])
    assert f'href="{grid_url}"' not in html(client.get(reverse("test_day_list")))


def test_saving_a_grid_row_stores_one_result_and_shows_fail_at_once(
    client, head_coach, forwards, forward, ankling
):
    test_day = new_test_day(forwards, ankling, head_coach)

    response = login(client, head_coach).post(
        row_url(test_day, forward), {"both_1": "240", "client_uuid": str(uuid.uuid4())}, **HTMX
    )

    assert response.status_code == 200
    result = Result.objects.get()
    assert (result.athlete, result.test_day, result.trials, result.recorded_by) == (
        forward,
        test_day,
        {"both": [240.0]},
        head_coach,
    )
    row = html(response)
    assert 'class="badge badge-fail">Fail<' in row
    assert "240 reps &lt; 300" in row
    assert 'hx-swap-oob="true"' in row
    assert "<html" not in row


def test_saving_a_row_updates_the_grids_saved_count(client, head_coach, forwards, forward, ankling):
    test_day = new_test_day(forwards, ankling, head_coach)
    grid = login(client, head_coach).get(reverse("test_day_detail", args=[test_day.pk]))
    total = re.search(r'<p id="grid-saved" class="muted">0 of (\d+) saved.</p>', html(grid))[1]

    response = client.post(
        row_url(test_day, forward), {"both_1": "240", "client_uuid": str(uuid.uuid4())}, **HTMX
    )

    assert f'<p id="grid-saved" class="muted" hx-swap-oob="true">1 of {total} saved.</p>' in html(
        response
    )


def test_a_passing_row_shows_pass(client, physio, forwards, forward, ankling):
    test_day = new_test_day(forwards, ankling, physio)

    response = login(client, physio).post(
        row_url(test_day, forward), {"both_1": "310", "client_uuid": str(uuid.uuid4())}, **HTMX
    )

    assert 'class="badge badge-pass">Pass<' in html(response)
    assert Result.objects.get().both == Decimal("310")


def test_resaving_the_same_row_stores_one_result(client, head_coach, forwards, forward, ankling):
    test_day = new_test_day(forwards, ankling, head_coach)
    data = {"both_1": "240", "client_uuid": str(uuid.uuid4())}
    login(client, head_coach)

    client.post(row_url(test_day, forward), data, **HTMX)
    again = client.post(row_url(test_day, forward), data, **HTMX)

    assert again.status_code == 200
    assert Result.objects.count() == 1
    assert "Already saved." in html(again)


def test_same_client_uuid_with_other_values_is_a_conflict_showing_the_saved_row(
    client, head_coach, forwards, forward, ankling
):
    test_day = new_test_day(forwards, ankling, head_coach)
    key = str(uuid.uuid4())
    login(client, head_coach)
    client.post(row_url(test_day, forward), {"both_1": "240", "client_uuid": key}, **HTMX)

    response = client.post(
        row_url(test_day, forward), {"both_1": "250", "client_uuid": key}, **HTMX
    )

    assert response.status_code == 422
    assert Result.objects.get().both == Decimal("240")
    assert "press Edit to record a correction" in html(response)


def test_out_of_range_value_names_the_side_and_stores_nothing(
    client, head_coach, forwards, forward, heel_rise
):
    test_day = new_test_day(forwards, heel_rise, head_coach)

    response = login(client, head_coach).post(
        row_url(test_day, forward),
        {"left_1": "200", "right_1": "30", "client_uuid": str(uuid.uuid4())},
        **HTMX,
    )

    assert response.status_code == 400
    assert "Left: 200 reps is outside the plausible range 0–150 reps." in html(response)
    assert 'value="200"' in html(response)  # the typed values stay in the row
    assert not Result.objects.exists()


def test_a_half_typed_row_waits_until_every_box_is_filled(
    client, head_coach, forwards, forward, heel_rise
):
    test_day = new_test_day(forwards, heel_rise, head_coach)
    data = {"left_1": "30", "right_1": "", "client_uuid": str(uuid.uuid4())}
    login(client, head_coach)

    waiting = client.post(row_url(test_day, forward), data, **HTMX)
    saved_anyway = client.post(row_url(test_day, forward), {**data, "save": "1"}, **HTMX)

    assert waiting.status_code == 204
    assert saved_anyway.status_code == 400
    assert "Right: Enter the right result." in html(saved_anyway)
    assert not Result.objects.exists()


def test_edit_reopens_a_saved_row_and_saving_records_a_correction(
    client, head_coach, forwards, forward, ankling
):
    test_day = new_test_day(forwards, ankling, head_coach)
    login(client, head_coach)
    client.post(
        row_url(test_day, forward), {"both_1": "240", "client_uuid": str(uuid.uuid4())}, **HTMX
    )

    edit = client.get(row_url(test_day, forward), {"edit": "1"}, **HTMX)
    assert 'name="both_1"' in html(edit) and 'value="240"' in html(edit)
    client.post(
        row_url(test_day, forward), {"both_1": "305", "client_uuid": str(uuid.uuid4())}, **HTMX
    )

    assert Result.objects.filter(test_day=test_day).count() == 2
    grid = html(client.get(reverse("test_day_detail", args=[test_day.pk])))
    assert "305" in grid and 'class="badge badge-pass">Pass<' in grid


def test_grid_row_without_javascript_redirects_back_to_the_grid(
    client, head_coach, forwards, forward, ankling
):
    test_day = new_test_day(forwards, ankling, head_coach)

    response = login(client, head_coach).post(
        row_url(test_day, forward), {"both_1": "240", "client_uuid": str(uuid.uuid4())}
    )

    assert response.status_code == 302
    assert response.url == reverse("test_day_detail", args=[test_day.pk]) + f"#row-{forward.pk}"
    assert Result.objects.count() == 1


def test_grid_runs_the_same_queries_for_5_and_30_athletes(
    client, head_coach, club, forwards, heel_rise, django_assert_num_queries
):
    test_day = new_test_day(forwards, heel_rise, head_coach)
    url = reverse("test_day_detail", args=[test_day.pk])
    login(client, head_coach)

    def add_athletes(count):
        for _ in range(count):
            athlete = AthleteFactory(organisation=club, teams=[forwards])
            record(athlete, heel_rise, {"left": [30], "right": [20]}, head_coach, test_day=test_day)

    add_athletes(5)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert html(response).count("badge badge-fail") == 5

    add_athletes(25)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(url)
    assert html(response).count("badge badge-fail") == 30


# --- access -------------------------------------------------------------------------------------


def test_athlete_gets_403_on_every_staff_page(
    client, athlete_user, head_coach, forwards, forward, ankling
):
    test_day = new_test_day(forwards, ankling, head_coach)
    login(client, athlete_user)
    urls = [
        reverse("test_list"),
        reverse("test_create"),
        reverse("test_detail", args=[ankling.pk]),
        reverse("athlete_results", args=[forward.pk]),
        reverse("test_day_list"),
        reverse("test_day_create"),
        reverse("test_day_detail", args=[test_day.pk]),
        row_url(test_day, forward),
        reverse("flag_list"),
        reverse("notification_settings"),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(row_url(test_day, forward), {"both_1": "240"}).status_code == 403
    assert not Result.objects.exists()


def test_outsider_gets_404_on_every_url_with_our_ids_and_changes_nothing(
    client, head_coach, physio, outsider, club, forwards, forward, ankling
):
    test_day = new_test_day(forwards, ankling, head_coach)
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)
    club_test = Test.objects.create(
        organisation=club,
        slug="pogo",
        name="Pogo",
        protocol="-",
        unit="reps",
        per_side=False,
        plausible_max=100,
    )
    login(client, physio).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": "", "kind": "threshold", "comparator": "gte", "value": "280", "active": "on"},
    )
    override = Baseline.objects.get(organisation=club)
    results_before = Result.objects.count()

    login(client, outsider)
    gets = [
        reverse("test_detail", args=[club_test.pk]),
        reverse("athlete_results", args=[forward.pk]),
        reverse("test_day_detail", args=[test_day.pk]),
        row_url(test_day, forward),
        reverse("flag_detail", args=[flag.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("baseline_save", args=[club_test.pk]), {"kind": "threshold", "value": "1"}),
        (reverse("baseline_remove", args=[ankling.pk, override.pk]), {}),
        (reverse("athlete_results", args=[forward.pk]), {"test": ankling.pk, "both_1": "9"}),
        (row_url(test_day, forward), {"both_1": "9"}),
        (reverse("flag_dismiss", args=[flag.pk]), {f"dismiss-{flag.pk}-reason": "no"}),
        (reverse("flag_resolve", args=[flag.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url

    assert Result.objects.count() == results_before
    assert Baseline.objects.get(pk=override.pk).value == Decimal("280")
    assert Flag.objects.get(pk=flag.pk).status == "on_protocol"
    grid_url = reverse("test_day_detail", args=[test_day.pk])
    assert f'href="{grid_url}"' not in html(client.get(reverse("test_day_list")))
    assert "Pogo" not in html(client.get(reverse("test_list")))
    assert forward.full_name not in html(client.get(reverse("flag_list")))
    assert forward.full_name not in html(client.get(reverse("my_results")))
    our_team = {"team": forwards.pk, "test": ankling.pk, "date": DAY.isoformat()}
    assert client.post(reverse("test_day_create"), our_team).status_code == 400
    assert TestDay.objects.count() == 1


# --- the athlete's own results ------------------------------------------------------------------


def test_athlete_sees_their_flag_in_plain_words_and_no_other_athlete(
    client, head_coach, athlete_user, forward, back, ankling
):
    flagged(forward, ankling, {"both": [240]}, head_coach)
    flagged(back, ankling, {"both": [180]}, head_coach)

    response = login(client, athlete_user).get(reverse("my_results"))

    page = html(response)
    assert response.status_code == 200
    protocol_start, retest = DAY + datetime.timedelta(days=1), DAY + datetime.timedelta(days=42)
    assert (
        f"Your ankling test on {day(DAY)}: 240 reps. The target is 300 reps. "
        f"You are on the Ankling strength protocol from {day(protocol_start)} (see "
    ) in page
    assert f"Today</a>). Retest due {day(retest)}." in page
    assert "180" not in page
    assert back.full_name not in page


def test_athlete_sees_their_results_over_time(client, head_coach, athlete_user, forward, ankling):
    earlier = DAY - datetime.timedelta(days=42)
    first = record(forward, ankling, {"both": [240]}, head_coach, date=earlier)
    record(forward, ankling, {"both": [310]}, head_coach, date=DAY)
    services.result_evaluate(result_id=first.id, today=earlier)

    page = html(login(client, athlete_user).get(reverse("my_results")))

    assert page.index(f"{day(DAY)} {DAY.year}") < page.index(f"{day(earlier)} {earlier.year}")
    assert "310 reps" in page and "240 reps" in page


def test_my_flags_tag_renders_the_athletes_flag_on_any_page(
    rf, head_coach, athlete_user, forward, ankling
):
    from django.template import RequestContext, Template

    flagged(forward, ankling, {"both": [240]}, head_coach)
    request = rf.get("/")
    request.user = athlete_user
    request.session = {}

    text = Template("{% load assessment_tags %}{% my_flags %}").render(RequestContext(request))

    assert f"Your ankling test on {day(DAY)}: 240 reps." in text


def test_staff_without_an_athlete_profile_see_an_empty_my_results(client, head_coach):
    response = login(client, head_coach).get(reverse("my_results"))

    assert response.status_code == 200
    assert "has not linked your athlete profile" in html(response)


def test_admin_shows_every_assessment_model_and_a_flags_history(
    admin_client, head_coach, forward, ankling
):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)

    for model in ["test", "baseline", "testday", "result", "flag", "protocolrule"]:
        assert admin_client.get(f"/admin/assessments/{model}/").status_code == 200, model
    page = html(admin_client.get(f"/admin/assessments/flag/{flag.pk}/change/"))
    assert "240 reps &lt; 300" in page
    assert 'name="events-0-note"' not in page  # the history is read-only
    baseline = Baseline.objects.get(test=ankling, organisation=None)
    assert admin_client.get(f"/admin/assessments/baseline/{baseline.pk}/change/").status_code == 200
