"""The flag inbox and a flag's timeline, dismissing and resolving by hand, and how coaches are
told: an immediate email or a daily digest, by each staff member's choice.

Flags are made the way the product makes them: a failing result is recorded and evaluated
(assessments.services.result_evaluate), which raises the flag and puts the athlete on the
protocol.
"""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import Flag, FlagEvent, FlagStatus, Test
from assessments.notifications import digest_send, flag_email_send
from athletes.models import FlagEmail, Membership
from tests.conftest import login
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date.today() - datetime.timedelta(days=7)
HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def knee_to_wall(db):
    return Test.objects.get(organisation=None, slug="knee-to-wall")


def flagged(athlete, test, trials, by, day=DAY) -> Flag:
    result, _ = services.result_record(
        athlete=athlete, test=test, trials=trials, recorded_by=by, date=day
    )
    services.result_evaluate(result_id=result.id, today=day)
    return Flag.objects.get(athlete=athlete, test=test)


def card_ids(page: str) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'<article class="flag-card[^"]*" id="flag-(\d+)"', page)]


def prefer(user, club, choice):
    Membership.objects.filter(user=user, organisation=club).update(flag_email=choice)


# --- the inbox ----------------------------------------------------------------------------------


def test_inbox_shows_open_flags_first_with_protocol_and_retest(
    client, head_coach, forward, back, ankling, knee_to_wall
):
    on_protocol = flagged(forward, ankling, {"both": [240]}, head_coach)
    open_flag = flagged(back, knee_to_wall, {"left": [8], "right": [12]}, head_coach)
    dismissed = flagged(back, ankling, {"both": [200]}, head_coach)
    services.flag_dismiss(flag=dismissed, dismissed_by=head_coach, reason="Injured, not tested")

    response = login(client, head_coach).get(reverse("flag_list"))

    page = html(response)
    assert response.status_code == 200
    assert card_ids(page) == [open_flag.pk, on_protocol.pk, dismissed.pk]
    assert open_flag.status == FlagStatus.OPEN  # knee-to-wall has no shipped protocol
    assert "left 8.0 cm &lt; 10.0" in page
    assert f"Ankling strength protocol from {on_protocol.protocol.start_date:%-d %b %Y}" in page
    assert f"{on_protocol.retest_due:%-d %b %Y}" in page


def test_overdue_retest_is_highlighted(client, head_coach, forward, ankling):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach, day=DAY - datetime.timedelta(60))

    page = html(login(client, head_coach).get(reverse("flag_list")))

    assert flag.retest_due < datetime.date.today()
    assert f'<span class="overdue">{flag.retest_due:%-d %b %Y} · overdue</span>' in page
    assert "flag-card is-overdue" in page


def test_inbox_filters_by_team_test_status_and_kind(
    client, physio, head_coach, forwards, backs, forward, back, ankling, knee_to_wall
):
    forward_ankling = flagged(forward, ankling, {"both": [240]}, head_coach)
    back_ankling = flagged(back, ankling, {"both": [250]}, head_coach)
    back_knee = flagged(back, knee_to_wall, {"left": [8], "right": [12]}, head_coach)
    services.flag_resolve(flag=back_ankling, resolved_by=head_coach, note="Fine now")
    login(client, physio)

    def shown(**filters):
        return card_ids(html(client.get(reverse("flag_list"), filters)))

    assert shown(team=forwards.pk) == [forward_ankling.pk]
    assert shown(team=backs.pk) == [back_knee.pk, back_ankling.pk]
    assert shown(test=ankling.pk) == [forward_ankling.pk, back_ankling.pk]
    assert shown(status="resolved") == [back_ankling.pk]
    assert shown(status="active") == [back_knee.pk, forward_ankling.pk]
    assert shown(kind="pain") == []
    assert shown(team=backs.pk, test=ankling.pk) == [back_ankling.pk]


def test_htmx_filter_returns_only_the_results(client, head_coach, forward, ankling):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)

    response = login(client, head_coach).get(
        reverse("flag_list"), {"status": "on_protocol"}, HTTP_HX_TARGET="flag-results", **HTMX
    )

    page = html(response)
    assert card_ids(page) == [flag.pk]
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_unknown_filter_is_a_400_naming_the_field(client, head_coach, foreign_team):
    response = login(client, head_coach).get(reverse("flag_list"), {"team": foreign_team.pk})

    assert response.status_code == 400
    assert "Team: Select a valid choice." in html(response)


def test_assistant_coach_sees_only_flags_of_the_teams_they_coach(
    client, head_coach, assistant_coach, forward, back, ankling
):
    mine = flagged(forward, ankling, {"both": [240]}, head_coach)
    theirs = flagged(back, ankling, {"both": [250]}, head_coach)
    login(client, assistant_coach)

    assert card_ids(html(client.get(reverse("flag_list")))) == [mine.pk]
    assert client.get(reverse("flag_detail", args=[theirs.pk])).status_code == 404
    reason = {f"dismiss-{theirs.pk}-reason": "not mine"}
    assert client.post(reverse("flag_dismiss", args=[theirs.pk]), reason).status_code == 404
    assert Flag.objects.get(pk=theirs.pk).status == FlagStatus.ON_PROTOCOL


def test_inbox_runs_the_same_queries_for_5_and_30_flags(
    client, head_coach, club, forwards, knee_to_wall, django_assert_num_queries
):
    login(client, head_coach)

    def add_flags(count):
        for _ in range(count):
            athlete = AthleteFactory(organisation=club, teams=[forwards])
            flagged(athlete, knee_to_wall, {"left": [8], "right": [12]}, head_coach)

    add_flags(5)
    client.get(reverse("flag_list"))  # warm the session
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("flag_list"))
    assert len(card_ids(html(response))) == 5

    add_flags(25)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(reverse("flag_list"))
    assert len(card_ids(html(response))) == 30


# --- dismiss, resolve, the timeline -------------------------------------------------------------


def test_dismissing_needs_a_reason(client, head_coach, forward, ankling):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)

    response = login(client, head_coach).post(
        reverse("flag_dismiss", args=[flag.pk]), {f"dismiss-{flag.pk}-reason": "  "}, **HTMX
    )

    assert response.status_code == 400
    assert "Reason: Say why the flag is dismissed." in html(response)
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.ON_PROTOCOL
    assert not FlagEvent.objects.filter(flag=flag, to_status="dismissed").exists()


def test_dismissing_with_a_reason_closes_the_flag_and_rerenders_its_card(
    client, head_coach, forward, ankling
):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)

    response = login(client, head_coach).post(
        reverse("flag_dismiss", args=[flag.pk]),
        {f"dismiss-{flag.pk}-reason": "Tested in the wrong shoes"},
        **HTMX,
    )

    flag.refresh_from_db()
    assert response.status_code == 200
    assert (flag.status, flag.resolution) == (FlagStatus.DISMISSED, "Tested in the wrong shoes")
    event = flag.events.last()
    assert (event.from_status, event.to_status, event.by) == (
        "on_protocol",
        "dismissed",
        head_coach,
    )
    card = html(response)
    assert card.startswith("\n<article") or card.lstrip().startswith("<article")
    assert "Dismissed" in card and "Dismiss the flag" not in card


def test_resolving_by_hand_without_javascript_redirects_back(client, physio, forward, ankling):
    flag = flagged(forward, ankling, {"both": [240]}, physio)

    response = login(client, physio).post(
        reverse("flag_resolve", args=[flag.pk]),
        {f"resolve-{flag.pk}-note": "Retested informally", "next": reverse("flag_list")},
    )

    assert response.status_code == 302
    assert response.url == reverse("flag_list")
    flag.refresh_from_db()
    assert (flag.status, flag.resolution) == (FlagStatus.RESOLVED, "Retested informally")


def test_resolving_a_closed_flag_is_refused_naming_the_status(client, head_coach, forward, ankling):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)
    services.flag_resolve(flag=flag, resolved_by=head_coach)

    response = login(client, head_coach).post(reverse("flag_resolve", args=[flag.pk]))

    assert response.status_code == 400
    assert "The flag is already resolved." in html(response)


def test_an_offsite_next_url_is_ignored(client, head_coach, forward, ankling):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)

    response = login(client, head_coach).post(
        reverse("flag_resolve", args=[flag.pk]), {"next": "https://evil.example/"}
    )

    assert response.url == reverse("flag_detail", args=[flag.pk])


def test_timeline_shows_every_change_with_who_and_when(client, head_coach, forward, ankling):
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)
    services.flag_dismiss(flag=flag, dismissed_by=head_coach, reason="Wrong shoes")

    page = html(login(client, head_coach).get(reverse("flag_detail", args=[flag.pk])))

    timeline = page[page.index('id="timeline-heading"') :]
    assert timeline.index("New → <strong>Open</strong>") < timeline.index(
        "Open → <strong>On protocol</strong>"
    )
    assert timeline.count('<span class="who">Baseline</span>') == 2
    assert f'<span class="who">{head_coach}</span>' in timeline
    assert "On protocol → <strong>Dismissed</strong>" in timeline
    assert "Wrong shoes" in timeline
    assert "240 reps &lt; 300" in timeline


# --- notifications ------------------------------------------------------------------------------


def test_staff_choose_how_they_hear_about_flags(client, physio, club):
    response = login(client, physio).post(reverse("notification_settings"), {"flag_email": "daily"})

    assert response.status_code == 302
    assert Membership.objects.get(user=physio, organisation=club).flag_email == FlagEmail.DAILY
    page = html(client.get(reverse("notification_settings")))
    assert 'value="daily" required id="id_flag_email_1" checked' in page


def test_unknown_notification_choice_is_refused_naming_the_field(client, physio, club):
    response = login(client, physio).post(
        reverse("notification_settings"), {"flag_email": "hourly"}
    )

    assert response.status_code == 400
    assert "Select a valid choice." in html(response)
    assert Membership.objects.get(user=physio, organisation=club).flag_email == "immediate"


def test_preferences_change_only_your_own_membership(physio, head_coach, club):
    from django.core.exceptions import PermissionDenied

    from assessments.preferences import membership_notification_set

    membership = Membership.objects.get(user=head_coach, organisation=club)
    with pytest.raises(PermissionDenied):
        membership_notification_set(membership=membership, user=physio, flag_email="off")
    assert Membership.objects.get(pk=membership.pk).flag_email == "immediate"


def test_immediate_flag_email_goes_only_to_staff_who_chose_immediate(
    head_coach, assistant_coach, physio, club, forward, ankling
):
    prefer(physio, club, FlagEmail.DAILY)
    prefer(assistant_coach, club, FlagEmail.OFF)
    flag = flagged(forward, ankling, {"both": [240]}, head_coach)
    mail.outbox.clear()

    sent = flag_email_send(flag_id=flag.pk, event="flag.raised")

    assert sent == 1
    [email] = mail.outbox
    assert email.to == [head_coach.email]
    assert email.subject == "Fin Forward: Ankling test flagged"
    assert "240 reps < 300" in email.body
    assert reverse("flag_list") in email.body


def test_assistant_who_chose_immediate_is_told_about_their_teams_athlete(
    head_coach, assistant_coach, physio, club, forward, back, ankling
):
    prefer(head_coach, club, FlagEmail.OFF)
    prefer(physio, club, FlagEmail.OFF)
    own = flagged(forward, ankling, {"both": [240]}, head_coach)
    other = flagged(back, ankling, {"both": [240]}, head_coach)
    mail.outbox.clear()

    flag_email_send(flag_id=own.pk, event="flag.raised")
    flag_email_send(flag_id=other.pk, event="flag.raised")

    assert [m.to for m in mail.outbox] == [[assistant_coach.email]]


def test_daily_digest_sends_one_email_per_coach_who_chose_it(
    head_coach, assistant_coach, physio, club, forward, back, ankling
):
    prefer(head_coach, club, FlagEmail.DAILY)
    prefer(physio, club, FlagEmail.DAILY)
    prefer(assistant_coach, club, FlagEmail.IMMEDIATE)
    flagged(forward, ankling, {"both": [240]}, head_coach)
    flagged(back, ankling, {"both": [250]}, head_coach)
    mail.outbox.clear()

    sent = digest_send()

    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([head_coach.email, physio.email])
    for email in mail.outbox:
        assert "Fin Forward" in email.body and "Bea Back" in email.body
        assert email.subject == "Harbour RFC: 2 flag change(s) today"
