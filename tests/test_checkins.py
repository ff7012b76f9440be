"""The athlete's morning check-in: the phone page, the API, replays and conflicts, validation
that names the field, scoping, and the sweep's pain rules fed by check-ins."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Flag, FlagEvent, FlagKind
from assessments.sweep import chunk_sweep
from checkins.models import CheckIn, CheckInSubmission
from checkins.selectors import checkins_visible_to, painful_checkins_visible_to
from checkins.services import IdempotencyConflict, checkin_record
from tests.conftest import login
from tests.factories import AthleteFactory

HX = {"HTTP_HX_REQUEST": "true"}


def form_uuid(html: str) -> str:
    match = re.search(r'name="client_uuid" value="([0-9a-f-]{36})"', html)
    assert match, "the form carries a client_uuid"
    return match.group(1)


def morning(**values) -> dict:
    return {"client_uuid": str(uuid.uuid4()), "readiness": 4, **values}


# --- The phone page -----------------------------------------------------------------------------


def test_page_shows_the_form_with_a_new_uuid_each_render_and_the_offline_marker(
    client, athlete_user
):
    login(client, athlete_user)

    first = client.get(reverse("checkin"))
    second = client.get(reverse("checkin"))

    html = first.content.decode()
    assert first.status_code == 200
    assert "data-offline" in html and 'id="checkin-form"' in html
    for name in ("achilles_pain", "calf_stiffness", "soreness", "sleep_hours", "readiness"):
        assert f'name="{name}"' in html
    assert form_uuid(html) != form_uuid(second.content.decode())
    uuid.UUID(form_uuid(html))


def test_posting_the_page_stores_todays_check_in_and_redirects(client, athlete_user, forward):
    login(client, athlete_user)
    data = morning(achilles_pain=3, calf_stiffness=2, sleep_hours="7.5", note="left side")

    response = client.post(reverse("checkin"), data)

    assert response.status_code == 302 and response.url == reverse("checkin")
    checkin = CheckIn.objects.get()
    assert (checkin.athlete, checkin.date, checkin.achilles_pain, checkin.calf_stiffness) == (
        forward,
        timezone.localdate(),
        3,
        2,
    )
    assert (str(checkin.sleep_hours), checkin.readiness, checkin.note) == ("7.5", 4, "left side")
    assert checkin.created_by == athlete_user
    page = client.get(reverse("checkin")).content.decode()
    assert "You checked in this morning" in page


def test_htmx_post_answers_201_then_200_for_a_replay_and_stores_one(client, athlete_user):
    login(client, athlete_user)
    data = morning(shin_pain=2)

    first = client.post(reverse("checkin"), data, **HX)
    replay = client.post(reverse("checkin"), data, **HX)

    assert first.status_code == 201
    assert "Check-in saved." in first.content.decode()
    assert 'id="checkin-form"' in first.content.decode()
    assert replay.status_code == 200
    assert (CheckIn.objects.count(), CheckInSubmission.objects.count()) == (1, 1)


def test_a_second_check_in_the_same_day_edits_it(client, athlete_user):
    login(client, athlete_user)
    client.post(reverse("checkin"), morning(calf_pain=6), **HX)

    response = client.post(reverse("checkin"), morning(calf_pain=2, readiness=5), **HX)

    assert response.status_code == 200
    assert "Check-in updated." in response.content.decode()
    checkin = CheckIn.objects.get()
    assert (checkin.calf_pain, checkin.readiness, checkin.submissions.count()) == (2, 5, 2)


def test_htmx_post_with_bad_input_is_a_400_naming_the_field(client, athlete_user):
    login(client, athlete_user)

    response = client.post(reverse("checkin"), morning(achilles_pain=11, readiness=""), **HX)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Achilles pain: Choose 0 to 10." in html
    assert "Readiness: Choose how ready you feel, 1 to 5." in html
    assert "<html" not in html  # the form only, for htmx to swap in
    assert CheckIn.objects.count() == 0


def test_same_uuid_with_other_values_is_a_422_and_changes_nothing(client, athlete_user):
    login(client, athlete_user)
    data = morning(calf_pain=3)
    client.post(reverse("checkin"), data, **HX)

    response = client.post(reverse("checkin"), {**data, "calf_pain": 7}, **HX)

    assert response.status_code == 422
    assert "already sent with other answers" in response.content.decode()
    assert form_uuid(response.content.decode()) != data["client_uuid"]  # a fresh one to retry
    assert CheckIn.objects.get().calf_pain == 3


def test_staff_are_sent_home_and_the_outsider_has_no_check_in_page(client, head_coach, outsider):
    login(client, head_coach)
    assert client.get(reverse("checkin")).status_code == 302
    login(client, outsider)
    assert client.post(reverse("checkin"), morning()).status_code == 302
    assert CheckIn.objects.count() == 0


def test_nav_and_today_link_to_the_check_in(client, athlete_user):
    login(client, athlete_user)
    html = client.get(reverse("today")).content.decode()
    assert html.count(f'href="{reverse("checkin")}"') >= 2  # nav and the today page


# --- The service ----------------------------------------------------------------------------------


def test_service_names_every_bad_field(athlete_user, forward):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        checkin_record(
            athlete=forward,
            recorded_by=athlete_user,
            client_uuid="not-a-uuid",
            date=timezone.localdate() + datetime.timedelta(days=5),
            sleep_quality=9,
            shin_stiffness=-1,
            readiness=None,
        )
    assert set(error.value.message_dict) == {
        "client_uuid",
        "date",
        "sleep_quality",
        "shin_stiffness",
        "readiness",
    }


def test_replaying_an_old_submission_after_an_edit_does_not_undo_the_edit(athlete_user, forward):
    first = morning(calf_pain=6)
    checkin_record(athlete=forward, recorded_by=athlete_user, **first)
    checkin_record(athlete=forward, recorded_by=athlete_user, **morning(calf_pain=1))

    checkin, created = checkin_record(athlete=forward, recorded_by=athlete_user, **first)

    assert (created, checkin.calf_pain) == (False, 1)
    with pytest.raises(IdempotencyConflict):
        checkin_record(athlete=forward, recorded_by=athlete_user, **{**first, "calf_pain": 2})


def test_the_athlete_cannot_check_in_for_a_team_mate(athlete_user, back):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        checkin_record(athlete=back, recorded_by=athlete_user, **morning())


# --- The API --------------------------------------------------------------------------------------


def test_api_create_replay_and_conflict(api_client, athlete_user, forward):
    api_client.force_authenticate(athlete_user)
    url = reverse("api-checkin-list")
    body = morning(achilles_pain=4, sleep_quality=3)

    created = api_client.post(url, body, format="json")
    replay = api_client.post(url, body, format="json")
    conflict = api_client.post(url, {**body, "achilles_pain": 8}, format="json")

    assert created.status_code == 201
    assert (created.data["athlete"], created.data["achilles_pain"]) == (forward.id, 4)
    assert created.data["worst_pain"] == 4
    assert replay.status_code == 200 and replay.data["id"] == created.data["id"]
    assert conflict.status_code == 422
    assert conflict.json()["error"]["original"]["achilles_pain"] == 4
    assert CheckIn.objects.count() == 1


def test_api_idempotency_key_replays_the_first_response(api_client, athlete_user):
    api_client.force_authenticate(athlete_user)
    url = reverse("api-checkin-list")
    body = morning()

    first = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert CheckIn.objects.count() == 1


def test_api_bad_input_is_a_400_naming_the_field(api_client, athlete_user):
    api_client.force_authenticate(athlete_user)

    response = api_client.post(
        reverse("api-checkin-list"),
        {"client_uuid": "nope", "readiness": 7, "calf_pain": 12},
        format="json",
    )

    assert response.status_code == 400
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"client_uuid", "readiness", "calf_pain"}


def test_api_staff_record_for_their_athlete_but_not_for_another_club(
    api_client, assistant_coach, forward, foreign_athlete
):
    api_client.force_authenticate(assistant_coach)
    url = reverse("api-checkin-list")

    ours = api_client.post(url, morning(athlete=forward.id), format="json")
    theirs = api_client.post(url, morning(athlete=foreign_athlete.id), format="json")

    assert ours.status_code == 201
    assert CheckIn.objects.get().created_by == assistant_coach
    assert theirs.status_code == 400
    assert theirs.json()["error"]["fields"][0]["field"] == "athlete"


def test_api_list_is_scoped_and_filters_by_athlete_and_date(
    api_client, athlete_user, assistant_coach, head_coach, outsider, forward, back
):
    today = timezone.localdate()
    for athlete, days_ago in ((forward, 0), (forward, 3), (back, 0)):
        CheckIn.objects.create(
            athlete=athlete,
            date=today - datetime.timedelta(days=days_ago),
            client_uuid=uuid.uuid4(),
            readiness=3,
        )
    url = reverse("api-checkin-list")

    def listed(user, **query):
        api_client.force_authenticate(user)
        response = api_client.get(url, query)
        assert response.status_code == 200
        return sorted((r["athlete"], r["date"]) for r in response.data["results"])

    assert {a for a, _ in listed(athlete_user)} == {forward.id}
    assert {a for a, _ in listed(assistant_coach)} == {forward.id}  # coaches the Forwards
    assert len(listed(head_coach)) == 3
    assert listed(outsider) == []
    assert listed(head_coach, athlete=back.id) == [(back.id, today.isoformat())]
    assert listed(head_coach, date_from=today.isoformat()) == sorted(
        [(forward.id, today.isoformat()), (back.id, today.isoformat())]
    )
    assert len(listed(head_coach, date_to=(today - datetime.timedelta(days=1)).isoformat())) == 1


def test_api_outsider_gets_404_for_our_check_in(api_client, outsider, forward):
    checkin = CheckIn.objects.create(
        athlete=forward, date=timezone.localdate(), client_uuid=uuid.uuid4(), readiness=3
    )
    api_client.force_authenticate(outsider)
    assert api_client.get(reverse("api-checkin-detail", args=[checkin.id])).status_code == 404


def test_selectors_scope_check_ins(athlete_user, head_coach, outsider, forward, back):
    today = timezone.localdate()
    mine = CheckIn.objects.create(
        athlete=forward, date=today, client_uuid=uuid.uuid4(), achilles_pain=7, readiness=2
    )
    CheckIn.objects.create(
        athlete=back, date=today, client_uuid=uuid.uuid4(), shin_pain=2, readiness=4
    )

    assert list(checkins_visible_to(athlete_user)) == [mine]
    assert list(checkins_visible_to(outsider)) == []
    assert list(painful_checkins_visible_to(head_coach)) == [mine]


# --- The sweep ------------------------------------------------------------------------------------

TODAY = datetime.date(2026, 11, 11)  # a Wednesday, ISO week 46


def checkin(athlete, on: str, **values):
    return CheckIn.objects.create(
        athlete=athlete,
        date=datetime.date.fromisoformat(on),
        client_uuid=uuid.uuid4(),
        readiness=values.pop("readiness", 3),
        **values,
    )


def sweep(today=TODAY):
    from athletes.models import Athlete

    ids = list(Athlete.objects.values_list("id", flat=True))
    return chunk_sweep(lo_id=min(ids), hi_id=max(ids) + 1, today=today)


def pain_flags():
    return list(Flag.objects.filter(kind=FlagKind.PAIN).order_by("athlete_id", "key"))


def test_two_consecutive_check_ins_above_five_in_any_area_raise_one_pain_flag(forward, back):
    checkin(forward, "2026-11-08", achilles_pain=6)
    checkin(forward, "2026-11-09", calf_stiffness=7, achilles_pain=3)
    # Back: a fine morning (nothing rated) between two painful ones breaks the pair.
    checkin(back, "2026-11-08", shin_pain=8)
    checkin(back, "2026-11-09")
    checkin(back, "2026-11-10", shin_pain=8)

    report = sweep()

    [flag] = pain_flags()
    assert (flag.athlete, flag.key, flag.reasons) == (
        forward,
        "pain-checkin-2026-11-09",
        ["Morning pain or stiffness 6/10 and 7/10 in two consecutive check-ins (8 Nov, 9 Nov)"],
    )
    assert report.pain_flags == 1


def test_pain_of_five_each_morning_is_acceptable(forward):
    checkin(forward, "2026-11-08", achilles_pain=5)
    checkin(forward, "2026-11-09", achilles_pain=5)

    sweep()

    assert pain_flags() == []


def test_weekly_average_morning_pain_rising_raises_a_flag(forward, back):
    checkin(forward, "2026-11-03", achilles_pain=2)
    checkin(forward, "2026-11-05", achilles_pain=3)  # week 45 average 2.5
    checkin(forward, "2026-11-09", achilles_pain=4)
    checkin(forward, "2026-11-10", achilles_pain=3)  # week 46 average 3.5
    # Back: one bad morning among easy ones does not lift the average to 3/10.
    checkin(back, "2026-11-03", shin_pain=1)
    checkin(back, "2026-11-09", shin_pain=5)
    checkin(back, "2026-11-10", shin_pain=0)

    sweep()

    [flag] = pain_flags()
    assert (flag.athlete, flag.key, flag.reasons) == (
        forward,
        "pain-rising-checkin-2026-W46",
        ["Average morning pain or stiffness rose week on week: 2.5/10 → 3.5/10"],
    )


def test_a_session_and_a_check_in_are_never_a_pair(forward):
    from tests.test_sweep import scheduled_session

    scheduled_session(forward, "2026-11-08", pain=7)
    checkin(forward, "2026-11-09", achilles_pain=7)

    sweep()

    assert pain_flags() == []


def test_check_ins_keep_one_open_pain_flag_and_a_rerun_adds_nothing(forward):
    checkin(forward, "2026-11-06", achilles_pain=7)
    checkin(forward, "2026-11-07", achilles_pain=7)
    first = sweep()
    checkin(forward, "2026-11-09", achilles_pain=8)
    counts = (Flag.objects.count(), FlagEvent.objects.count())

    second = sweep()

    assert (first.pain_flags, second.pain_flags) == (1, 0)
    assert (Flag.objects.count(), FlagEvent.objects.count()) == counts


def test_check_ins_do_not_add_queries_per_athlete(club, django_assert_num_queries):
    def painful(count):
        athletes = AthleteFactory.create_batch(count, organisation=club)
        for athlete in athletes:
            checkin(athlete, "2026-11-08", ankle_pain=6)
            checkin(athlete, "2026-11-09", ankle_pain=7)
        return athletes

    small = painful(1)
    with CaptureQueriesContext(connection) as one:
        chunk_sweep(lo_id=small[0].id, hi_id=small[-1].id + 1, today=TODAY)
    large = painful(5)
    with django_assert_num_queries(len(one)):
        report = chunk_sweep(lo_id=large[0].id, hi_id=large[-1].id + 1, today=TODAY)
    assert report.pain_flags == 5


# --- The coach's dashboard --------------------------------------------------------------------


def test_dashboard_pain_section_shows_high_morning_pain_of_visible_athletes_only(
    client, head_coach, assistant_coach, forward, back
):
    today = timezone.localdate()
    CheckIn.objects.create(
        athlete=forward, date=today, client_uuid=uuid.uuid4(), achilles_stiffness=7, readiness=2
    )
    CheckIn.objects.create(
        athlete=back, date=today, client_uuid=uuid.uuid4(), shin_pain=8, readiness=2
    )

    coach_page = login(client, head_coach).get(reverse("home")).content.decode()
    assistant_page = login(client, assistant_coach).get(reverse("home")).content.decode()

    assert '7/10</span> <span class="muted">achilles stiffness' in coach_page
    assert '8/10</span> <span class="muted">shin pain' in coach_page
    assert "achilles stiffness" in assistant_page
    assert "shin pain" not in assistant_page  # Bea is on the Backs
