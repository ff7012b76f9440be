"""The athlete's phone, beyond logging: accepting the coach's invite lands on today's session,
and "My results" shows their own tests over time and any active flag in plain words, and
nothing of another athlete."""

from __future__ import annotations

import datetime
import uuid
from urllib.parse import urlparse

from django.test import Client
from django.urls import reverse

from assessments import services
from assessments.models import FlagKind, FlagStatus
from athletes import services as athletes
from athletes.emails import invite_link
from checkins.models import CheckIn
from tests.assessment_pages import DAY, day, flagged, html, record
from tests.conftest import login
from tests.factories import UserFactory

PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"}


def invited(athlete, coach) -> tuple[Client, str]:
    user = athletes.athlete_invite(athlete=athlete, invited_by=coach, email="bea@harbour.example")
    phone = Client(**PHONE)
    form_url = phone.get(urlparse(invite_link(user)).path).url  # the token moves to the session
    return phone, form_url


# --- Invites ------------------------------------------------------------------------------------


def test_invited_athlete_sets_a_password_and_lands_on_today(client, head_coach, back):
    phone, form_url = invited(back, head_coach)

    page = phone.get(form_url)
    response = phone.post(
        form_url, {"new_password1": "calf-raises-2025", "new_password2": "calf-raises-2025"}
    )

    assert page.status_code == 200
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html(page)
    assert 'autocomplete="new-password"' in html(page)
    assert (response.status_code, response.url) == (302, reverse("today"))
    today = phone.get(response.url)
    assert today.status_code == 200
    assert "Your password is set." in html(today)
    back.refresh_from_db()
    assert back.user.check_password("calf-raises-2025")


def test_invite_with_mismatched_passwords_names_the_field_and_sets_nothing(head_coach, back):
    phone, form_url = invited(back, head_coach)

    response = phone.post(
        form_url, {"new_password1": "calf-raises-2025", "new_password2": "calf-raises-2026"}
    )

    assert response.status_code == 200  # Django's form re-rendered with its errors
    assert "The two password fields didn’t match." in html(response)
    back.refresh_from_db()
    assert not back.user.has_usable_password()


def test_staff_accepting_a_password_link_land_on_home(client, club):
    from athletes.models import Role
    from tests.factories import MembershipFactory

    coach = MembershipFactory(organisation=club, role=Role.COACH, user=UserFactory()).user
    coach.set_unusable_password()
    coach.save()
    phone = Client(**PHONE)
    form_url = phone.get(urlparse(invite_link(coach)).path).url

    response = phone.post(
        form_url, {"new_password1": "ankle-hops-77", "new_password2": "ankle-hops-77"}
    )

    assert (response.status_code, response.url) == (302, reverse("home"))


def test_a_used_invite_link_no_longer_works(head_coach, back):
    user = athletes.athlete_invite(athlete=back, invited_by=head_coach, email="bea@harbour.example")
    link = urlparse(invite_link(user)).path
    phone = Client(**PHONE)
    form_url = phone.get(link).url
    phone.post(form_url, {"new_password1": "calf-raises-2025", "new_password2": "calf-raises-2025"})

    again = Client(**PHONE).get(link)

    assert "This invite link no longer works" in html(again)


# --- My results ---------------------------------------------------------------------------------


def test_my_results_show_a_pain_flag_in_plain_words(client, athlete_user, forward, back):
    from assessments.models import Flag

    Flag.objects.create(
        athlete=forward,
        kind=FlagKind.PAIN,
        key="pain-checkin-x",
        reasons=["Morning pain or stiffness 6/10 and 7/10 in two consecutive check-ins"],
        status=FlagStatus.OPEN,
    )
    Flag.objects.create(
        athlete=back,
        kind=FlagKind.PAIN,
        key="pain-checkin-y",
        reasons=["Pain 9/10 and 9/10 in two consecutive sessions"],
        status=FlagStatus.OPEN,
    )

    page = html(login(client, athlete_user).get(reverse("my_results")))

    assert "Morning pain or stiffness 6/10 and 7/10 in two consecutive check-ins." in page
    assert "Your coach will tell you what happens next." in page
    assert "9/10" not in page


def test_my_results_say_when_the_retest_is_due_now(
    client, head_coach, athlete_user, forward, ankling
):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)
    services.flags_mark_retest_due(today=flag.retest_due)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RETEST_DUE

    page = html(login(client, athlete_user).get(reverse("my_results")))

    assert f"Your ankling test on {day(DAY)}: 240 reps. The target is 300 reps." in page
    assert f"Your retest is due now (since {day(flag.retest_due)})." in page


def test_a_resolved_flag_leaves_my_results_but_the_results_stay(
    client, head_coach, athlete_user, forward, ankling
):
    flagged(forward, ankling, {"both": [240]}, head_coach)
    retest = record(
        forward, ankling, {"both": [320]}, head_coach, date=DAY + datetime.timedelta(days=1)
    )
    services.result_evaluate(result_id=retest.id, today=DAY + datetime.timedelta(days=1))

    page = html(login(client, athlete_user).get(reverse("my_results")))

    assert "Needs your attention" not in page
    assert "320 reps" in page and "240 reps" in page


def test_my_results_show_nothing_of_a_team_mate(
    client, head_coach, athlete_user, forward, back, ankling, heel_rise
):
    record(back, heel_rise, {"left": [31], "right": [17]}, head_coach, date=DAY)
    CheckIn.objects.create(
        athlete=back, date=DAY, client_uuid=uuid.uuid4(), readiness=1, note="Bea's shin"
    )

    page = html(login(client, athlete_user).get(reverse("my_results")))

    assert "No test results yet." in page
    assert back.full_name not in page and "Bea" not in page
    assert heel_rise.name not in page
