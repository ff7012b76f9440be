"""The coach pages: home per role, organisation switch, roster, athlete profile, teams, invites.

Personas come from conftest: the head coach sees the whole club, the assistant coach Forwards
only, the physio everyone (and medical notes), the athlete themself, the outsider nothing.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from athletes.models import Athlete, Role, Team
from tests.conftest import login
from tests.factories import AthleteFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MEDICAL = "Left Achilles tendinopathy 2025"


def html(response) -> str:
    return response.content.decode()


def new_athlete_data(**overrides) -> dict:
    data = {
        "first_name": "Nia",
        "last_name": "New",
        "email": "nia@harbour.example",
        "date_of_birth": "2001-04-05",
        "sex": "female",
        "sport": "Rugby union",
        "position": "Hooker",
        "dominant_side": "left",
        "body_mass_kg": "71.5",
        "notes": "",
    }
    data.update(overrides)
    return data


def profile_data(athlete: Athlete, **overrides) -> dict:
    data = {
        "first_name": athlete.first_name,
        "last_name": athlete.last_name,
        "email": athlete.email,
        "date_of_birth": athlete.date_of_birth.isoformat() if athlete.date_of_birth else "",
        "sex": athlete.sex,
        "sport": athlete.sport,
        "position": athlete.position,
        "dominant_side": athlete.dominant_side,
        "body_mass_kg": str(athlete.body_mass_kg or ""),
        "notes": athlete.notes,
        "teams": [t.pk for t in athlete.teams.all()],
    }
    data.update(overrides)
    return data


# --- home -----------------------------------------------------------------------------------------


def test_head_coach_home_counts_every_active_athlete_and_team(client, head_coach, forward, back):
    AthleteFactory(organisation=forward.organisation, archived_at=timezone.now())

    response = login(client, head_coach).get("/")

    assert response.status_code == 200
    assert 'id="athlete-count">2<' in html(response)
    assert 'id="team-count">2<' in html(response)
    assert 'href="/athletes/"' in html(response)
    assert 'href="/teams/"' in html(response)


def test_assistant_coach_home_counts_only_the_forwards(client, assistant_coach, forward, back):
    response = login(client, assistant_coach).get("/")

    assert 'id="athlete-count">1<' in html(response)
    assert 'id="team-count">1<' in html(response)


def test_athlete_home_shows_their_profile_without_any_notes(client, athlete_user, forward):
    forward.notes = "Coach-only: works hard in the gym"
    forward.save()

    response = login(client, athlete_user).get("/")

    page = html(response)
    assert response.status_code == 200
    assert "Fin Forward" in page
    assert "Forwards" in page
    assert "Open today's session" in page
    assert "Coach-only" not in page
    assert MEDICAL not in page
    assert 'href="/athletes/"' not in page  # no coach links for an athlete


def test_user_without_membership_sees_the_welcome_text(client):
    response = login(client, UserFactory()).get("/")

    assert "You are not a member of any organisation yet" in html(response)


# --- organisation switch ------------------------------------------------------------------------


def test_member_of_two_clubs_switches_organisation(client, head_coach, other_club, forward):
    MembershipFactory(organisation=other_club, user=head_coach, role=Role.PHYSIO)
    login(client, head_coach)
    assert 'name="organisation_id"' in html(client.get("/"))  # the switcher shows

    response = client.post("/organisation/switch/", {"organisation_id": other_club.pk})

    assert response.status_code == 302
    assert response.url == "/"
    assert client.session["organisation_id"] == other_club.pk
    page = html(client.get("/"))
    assert "<h1>Riverside Runners</h1>" in page
    assert 'id="athlete-count">0<' in page


def test_switch_to_an_organisation_the_user_is_not_in_is_404(client, head_coach, other_club):
    login(client, head_coach)

    assert (
        client.post("/organisation/switch/", {"organisation_id": other_club.pk}).status_code == 404
    )
    assert client.post("/organisation/switch/", {"organisation_id": "x"}).status_code == 404
    assert "organisation_id" not in client.session


def test_switcher_is_hidden_with_a_single_membership(client, head_coach):
    assert 'name="organisation_id"' not in html(login(client, head_coach).get("/"))


# --- roster -------------------------------------------------------------------------------------


def roster_names(response) -> list[str]:
    return re.findall(r'<a href="/athletes/\d+/">([^<]+)</a>', html(response))


def test_head_coach_roster_lists_both_teams_athletes(client, head_coach, forward, back):
    response = login(client, head_coach).get("/athletes/")

    assert response.status_code == 200
    assert roster_names(response) == ["Bea Back", "Fin Forward"]


def test_assistant_coach_roster_lists_only_forwards_athletes(
    client, assistant_coach, forward, back
):
    response = login(client, assistant_coach).get("/athletes/")

    assert roster_names(response) == ["Fin Forward"]


def test_physio_roster_lists_every_athlete(client, physio, forward, back):
    assert roster_names(login(client, physio).get("/athletes/")) == ["Bea Back", "Fin Forward"]


def test_outsider_roster_lists_only_their_own_club(client, outsider, forward, foreign_athlete):
    assert roster_names(login(client, outsider).get("/athletes/")) == [foreign_athlete.full_name]


def test_roster_row_shows_teams_position_age_side_mass_and_login_status(
    client, head_coach, athlete_user, forward, back
):
    page = html(login(client, head_coach).get("/athletes/"))

    assert "<td>Forwards</td>" in page
    assert "<td>Prop</td>" in page
    assert "<td>Right</td>" in page
    assert "<td>95.0 kg</td>" in page
    assert page.count("badge-pass") == 1  # Fin logs in
    assert page.count(">No login<") == 1  # Bea has no login


@pytest.mark.parametrize("query", ["fin", "FORWARD", "fin forw"])
def test_roster_search_matches_names(client, head_coach, forward, back, query):
    response = login(client, head_coach).get("/athletes/", {"q": query})

    assert roster_names(response) == ["Fin Forward"]


def test_roster_search_matches_email(client, head_coach, forward, back):
    response = login(client, head_coach).get("/athletes/", {"q": back.email.split("@")[0]})

    assert roster_names(response) == ["Bea Back"]


def test_roster_team_filter_lists_that_teams_athletes(client, head_coach, forward, back, backs):
    response = login(client, head_coach).get("/athletes/", {"team": backs.pk})

    assert roster_names(response) == ["Bea Back"]


def test_roster_filter_by_a_team_the_coach_does_not_see_is_rejected(
    client, assistant_coach, forward, back, backs, foreign_team
):
    login(client, assistant_coach)
    for team in (backs, foreign_team):
        response = client.get("/athletes/", {"team": team.pk})

        assert response.status_code == 400
        assert "Team: Select a valid choice" in html(response)
        assert roster_names(response) == []


def test_htmx_search_returns_only_the_table(client, head_coach, forward, back):
    response = login(client, head_coach).get(
        "/athletes/", {"q": "bea"}, headers={"HX-Request": "true"}
    )

    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith("<p")
    assert "<table" in page
    assert "<html" not in page
    assert "<form" not in page
    assert roster_names(response) == ["Bea Back"]
    assert "HX-Request" in response["Vary"]


def test_roster_page_has_an_htmx_search_that_pushes_the_url(client, head_coach):
    page = html(login(client, head_coach).get("/athletes/"))

    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert 'hx-target="#roster-table"' in page
    assert 'hx-push-url="true"' in page
    assert '<div id="roster-table" aria-live="polite">' in page
    assert 'href="/athletes/new/"' in page


def test_archive_hides_from_roster_and_restore_brings_back(client, head_coach, forward, back):
    login(client, head_coach)

    response = client.post(f"/athletes/{back.pk}/archive/")

    assert response.status_code == 302
    assert roster_names(client.get("/athletes/")) == ["Fin Forward"]
    assert roster_names(client.get("/athletes/", {"archived": "1"})) == ["Bea Back", "Fin Forward"]
    assert "Restore to the roster" in html(client.get(f"/athletes/{back.pk}/"))

    client.post(f"/athletes/{back.pk}/restore/")

    assert roster_names(client.get("/athletes/")) == ["Bea Back", "Fin Forward"]
    back.refresh_from_db()
    assert back.archived_at is None


def test_archive_needs_a_post(client, head_coach, back):
    assert login(client, head_coach).get(f"/athletes/{back.pk}/archive/").status_code == 405


def test_roster_query_count_does_not_grow_with_the_roster(
    client, head_coach, club, forwards, backs, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            athlete = AthleteFactory(organisation=club, teams=[forwards, backs][: 1 + i % 2])
            if i % 3 == 0:
                athlete.user = UserFactory()
                athlete.save()

    add(5)
    login(client, head_coach)
    with CaptureQueriesContext(connection) as five:
        assert len(roster_names(client.get("/athletes/"))) == 5
    add(45)

    with django_assert_num_queries(len(five.captured_queries)):
        assert len(roster_names(client.get("/athletes/"))) == 50


# --- athlete profile ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head_coach", "physio"])
def test_medical_roles_see_medical_notes(client, personas, forward, persona):
    page = html(login(client, personas[persona]).get(f"/athletes/{forward.pk}/"))

    assert "Fin Forward" in page
    assert MEDICAL in page


def test_assistant_coach_never_sees_medical_notes(client, assistant_coach, forward):
    login(client, assistant_coach)

    detail = html(client.get(f"/athletes/{forward.pk}/"))
    edit = html(client.get(f"/athletes/{forward.pk}/edit/"))

    assert "Fin Forward" in detail
    assert MEDICAL not in detail
    assert "Medical notes" not in detail
    assert MEDICAL not in edit
    assert 'name="medical_notes"' not in edit


def test_assistant_coach_gets_404_on_every_backs_athlete_url(client, assistant_coach, back):
    login(client, assistant_coach)
    base = f"/athletes/{back.pk}"

    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/edit/").status_code == 404
    assert client.post(f"{base}/edit/", profile_data(back, first_name="X")).status_code == 404
    assert client.post(f"{base}/archive/").status_code == 404
    assert client.post(f"{base}/invite/", {"email": "b@x.example"}).status_code == 404
    back.refresh_from_db()
    assert (back.first_name, back.archived_at, back.user_id) == ("Bea", None, None)


@pytest.mark.parametrize("url", ["/athletes/", "/athletes/new/", "/teams/", "/teams/new/"])
def test_athlete_gets_403_on_coach_pages(client, athlete_user, url):
    assert login(client, athlete_user).get(url).status_code == 403


def test_athlete_gets_404_on_others_and_403_on_their_own_profile_page(
    client, athlete_user, forward, back, forwards, backs
):
    login(client, athlete_user)

    assert client.get(f"/athletes/{back.pk}/").status_code == 404
    assert client.post(f"/athletes/{back.pk}/archive/").status_code == 404
    assert client.get(f"/teams/{backs.pk}/").status_code == 404
    assert client.get(f"/athletes/{forward.pk}/").status_code == 403
    assert client.get(f"/athletes/{forward.pk}/edit/").status_code == 403
    assert client.get(f"/teams/{forwards.pk}/").status_code == 403


def test_outsider_gets_404_on_every_club_object_url_and_nothing_changes(
    client, outsider, forward, forwards
):
    login(client, outsider)
    athlete, team = f"/athletes/{forward.pk}", f"/teams/{forwards.pk}"

    for url in [f"{athlete}/", f"{athlete}/edit/", f"{team}/", f"{team}/edit/"]:
        assert client.get(url).status_code == 404, url
    posts = {
        f"{athlete}/edit/": profile_data(forward, first_name="Hacked", teams=[]),
        f"{athlete}/archive/": {},
        f"{athlete}/restore/": {},
        f"{athlete}/invite/": {"email": "thief@riverside.example"},
        f"{team}/edit/": {"name": "Hacked"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url

    forward.refresh_from_db()
    assert (forward.first_name, forward.archived_at, forward.user_id) == ("Fin", None, None)
    assert list(forward.teams.all()) == [forwards]
    assert Team.objects.get(pk=forwards.pk).name == "Forwards"


# --- add and edit -------------------------------------------------------------------------------


def test_head_coach_adds_an_athlete_to_a_team(client, head_coach, club, backs):
    response = login(client, head_coach).post("/athletes/new/", new_athlete_data(teams=[backs.pk]))

    athlete = Athlete.objects.get(email="nia@harbour.example")
    assert response.status_code == 302
    assert response.url == f"/athletes/{athlete.pk}/"
    assert athlete.organisation == club
    assert list(athlete.teams.all()) == [backs]
    assert athlete.body_mass_kg == Decimal("71.5")
    assert "Nia New added to the roster." in html(client.get(response.url))


def test_adding_an_athlete_with_a_foreign_team_is_a_form_error(client, head_coach, foreign_team):
    response = login(client, head_coach).post(
        "/athletes/new/", new_athlete_data(teams=[foreign_team.pk])
    )

    assert response.status_code == 400
    assert response.context["form"].errors["teams"] == [
        f"Select a valid choice. {foreign_team.pk} is not one of the available choices."
    ]
    assert not Athlete.objects.filter(email="nia@harbour.example").exists()


def test_assistant_coach_cannot_add_an_athlete_to_backs(client, assistant_coach, backs, forwards):
    login(client, assistant_coach)

    response = client.post("/athletes/new/", new_athlete_data(teams=[backs.pk]))

    assert response.status_code == 400
    assert "teams" in response.context["form"].errors
    assert not Athlete.objects.filter(email="nia@harbour.example").exists()


def test_medical_notes_posted_by_assistant_coach_are_not_saved(
    client, assistant_coach, forward, forwards
):
    login(client, assistant_coach)

    edit = client.post(
        f"/athletes/{forward.pk}/edit/",
        profile_data(forward, position="Lock", medical_notes="Cleared to play"),
    )
    create = client.post(
        "/athletes/new/", new_athlete_data(teams=[forwards.pk], medical_notes="Sore calf")
    )

    assert edit.status_code == 302
    forward.refresh_from_db()
    assert forward.position == "Lock"
    assert forward.medical_notes == MEDICAL
    assert create.status_code == 302
    assert Athlete.objects.get(email="nia@harbour.example").medical_notes == ""


def test_physio_writes_medical_notes(client, physio, forward):
    login(client, physio)
    assert 'name="medical_notes"' in html(client.get(f"/athletes/{forward.pk}/edit/"))

    response = client.post(
        f"/athletes/{forward.pk}/edit/", profile_data(forward, medical_notes="Cleared to play")
    )

    assert response.status_code == 302
    forward.refresh_from_db()
    assert forward.medical_notes == "Cleared to play"


def test_assistant_coach_edit_keeps_teams_they_do_not_coach(
    client, assistant_coach, head_coach, forward, forwards, backs
):
    forward.teams.set([forwards, backs])

    response = login(client, assistant_coach).post(
        f"/athletes/{forward.pk}/edit/", profile_data(forward, teams=[forwards.pk])
    )

    assert response.status_code == 302
    assert set(forward.teams.all()) == {forwards, backs}


def test_duplicate_email_is_an_error_on_the_email_field(client, head_coach, forward, back):
    response = login(client, head_coach).post(
        f"/athletes/{back.pk}/edit/", profile_data(back, email=forward.email.upper())
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "email": ["Another athlete of the club already uses this email address."]
    }
    back.refresh_from_db()
    assert back.email != forward.email


def test_implausible_body_mass_is_an_error_on_that_field(client, head_coach, back):
    response = login(client, head_coach).post(
        f"/athletes/{back.pk}/edit/", profile_data(back, body_mass_kg="400")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "body_mass_kg": ["Body mass must be between 20 and 300 kg."]
    }
    assert 'aria-invalid="true"' in html(response)


# --- invites ------------------------------------------------------------------------------------


@pytest.fixture
def eager_celery(settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_invite_emails_a_link_that_sets_the_password_and_logs_in(
    client, head_coach, back, mailoutbox, eager_celery, django_capture_on_commit_callbacks
):
    login(client, head_coach)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/athletes/{back.pk}/invite/", {"email": "Bea@Harbour.example"})

    assert response.status_code == 302
    assert "Invite sent to bea@harbour.example." in html(client.get(response.url))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["bea@harbour.example"]
    link = re.search(r"https?://[^/\s]+(/invite/\S+/)", mailoutbox[0].body).group(1)

    browser = Client()
    form_url = browser.get(link).url
    page = html(browser.get(form_url))
    assert "Welcome to Harbour RFC" in page
    response = browser.post(
        form_url, {"new_password1": "calf-raises-2025", "new_password2": "calf-raises-2025"}
    )

    assert response.status_code == 302
    assert response.url == "/today/"  # an athlete lands on today's session
    back.refresh_from_db()
    assert back.user.check_password("calf-raises-2025")
    home = html(browser.get("/"))
    assert "Hello, Bea" in home
    assert "Open today's session" in home
    used = browser.get(link)
    assert used.status_code == 200
    assert "This invite link no longer works" in html(used)


def test_invite_for_an_athlete_who_logs_in_already_is_an_error_naming_the_field(
    client, head_coach, athlete_user, forward, mailoutbox
):
    response = login(client, head_coach).post(
        f"/athletes/{forward.pk}/invite/", {"email": "fin@harbour.example"}
    )

    assert response.status_code == 400
    assert response.context["invite_form"].errors == {
        "email": ["This athlete already has a login."]
    }
    assert mailoutbox == []


def test_invite_without_an_email_is_an_error_and_creates_no_login(client, head_coach, back):
    response = login(client, head_coach).post(f"/athletes/{back.pk}/invite/", {"email": ""})

    assert response.status_code == 400
    assert response.context["invite_form"].errors == {"email": ["This field is required."]}
    back.refresh_from_db()
    assert back.user_id is None


def test_invite_to_an_email_that_logs_in_already_links_it_without_email(
    client, head_coach, physio, back, mailoutbox, eager_celery, django_capture_on_commit_callbacks
):
    login(client, head_coach)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/athletes/{back.pk}/invite/", {"email": physio.email})

    assert "physio@harbour.example already has a login; linked to it." in html(
        client.get(response.url)
    )
    assert mailoutbox == []
    back.refresh_from_db()
    assert back.user == physio


def test_a_bad_invite_link_says_so(client):
    response = client.get("/invite/MTIz/not-a-token/")

    assert "This invite link no longer works" in html(response)
    assert "<form" not in html(response).split("<main")[1]


# --- navigation ---------------------------------------------------------------------------------


def test_staff_nav_links_to_roster_teams_and_library(client, physio):
    page = html(login(client, physio).get("/teams/"))

    assert '<a href="/athletes/">Roster</a>' in page
    assert '<a href="/teams/" aria-current="page">Teams</a>' in page
    assert 'href="/exercises/"' in page
