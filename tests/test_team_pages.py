"""The team pages: list with athlete counts, team page, create and edit (owner only).

Personas come from conftest: the head coach owns the club, the assistant coach coaches Forwards,
the physio sees every team but may not change them.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from athletes.models import Membership, Role, Team
from tests.conftest import login
from tests.factories import AthleteFactory, MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def team_rows(response) -> list[tuple[str, str]]:
    return re.findall(
        r'<a href="/teams/\d+/">([^<]+)</a></th>\s*<td>[^<]*</td>\s*<td>(\d+)</td>',
        html(response),
    )


def test_team_list_counts_active_athletes(client, head_coach, club, forward, back, backs):
    AthleteFactory(organisation=club, teams=[backs], archived_at=timezone.now())

    response = login(client, head_coach).get("/teams/")

    assert team_rows(response) == [("Backs", "1"), ("Forwards", "1")]
    assert 'href="/teams/new/"' in html(response)


def test_assistant_coach_team_list_shows_only_forwards(client, assistant_coach, forward, back):
    response = login(client, assistant_coach).get("/teams/")

    assert team_rows(response) == [("Forwards", "1")]
    assert 'href="/teams/new/"' not in html(response)


def test_team_page_lists_its_active_athletes_and_coaches(
    client, head_coach, assistant_coach, forward, forwards, club
):
    AthleteFactory(
        organisation=club, teams=[forwards], first_name="Old", archived_at=timezone.now()
    )

    page = html(login(client, head_coach).get(f"/teams/{forwards.pk}/"))

    assert re.findall(r'<a href="/athletes/\d+/">([^<]+)</a>', page) == ["Fin Forward"]
    assert f"<li>{assistant_coach}</li>" in page
    assert f'href="/teams/{forwards.pk}/edit/"' in page


def test_assistant_coach_gets_404_on_the_backs_team_page(client, assistant_coach, backs):
    assert login(client, assistant_coach).get(f"/teams/{backs.pk}/").status_code == 404


def test_owner_creates_a_team(client, head_coach, club):
    response = login(client, head_coach).post("/teams/new/", {"name": "Sevens", "sport": "Rugby"})

    team = Team.objects.get(organisation=club, name="Sevens")
    assert response.status_code == 302
    assert response.url == f"/teams/{team.pk}/"


def test_duplicate_team_name_is_an_error_on_the_name_field(client, head_coach, club, forwards):
    response = login(client, head_coach).post("/teams/new/", {"name": "forwards"})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["The club already has a team with this name."]
    }
    assert Team.objects.filter(organisation=club).count() == 1


@pytest.mark.parametrize("persona", ["assistant_coach", "physio"])
def test_only_the_owner_creates_and_edits_teams(client, personas, forwards, persona):
    login(client, personas[persona])

    assert client.get("/teams/new/").status_code == 403
    assert client.post("/teams/new/", {"name": "Sevens"}).status_code == 403
    assert client.post(f"/teams/{forwards.pk}/edit/", {"name": "Hacked"}).status_code == 403
    assert not Team.objects.filter(name__in=["Sevens", "Hacked"]).exists()


def test_owner_renames_a_team_and_chooses_its_coaches(
    client, head_coach, assistant_coach, club, forwards, backs
):
    other_coach = MembershipFactory(organisation=club, role=Role.COACH, teams=[forwards])
    assistant = Membership.objects.get(user=assistant_coach)

    response = login(client, head_coach).post(
        f"/teams/{backs.pk}/edit/", {"name": "Backs XV", "sport": "", "coaches": [assistant.pk]}
    )

    assert response.status_code == 302
    backs.refresh_from_db()
    assert backs.name == "Backs XV"
    assert set(assistant.teams.all()) == {forwards, backs}
    assert list(other_coach.teams.all()) == [forwards]

    client.post(f"/teams/{forwards.pk}/edit/", {"name": "Forwards", "coaches": [other_coach.pk]})

    assert list(assistant.teams.all()) == [backs]
    assert list(other_coach.teams.all()) == [forwards]


def test_team_edit_rejects_a_coach_of_another_club(client, head_coach, forwards):
    foreign = MembershipFactory(role=Role.COACH)

    response = login(client, head_coach).post(
        f"/teams/{forwards.pk}/edit/", {"name": "Forwards", "coaches": [foreign.pk]}
    )

    assert response.status_code == 400
    assert "coaches" in response.context["form"].errors
    assert list(foreign.teams.all()) == []


def test_team_list_query_count_does_not_grow(
    client, head_coach, club, forwards, backs, django_assert_num_queries
):
    for _ in range(5):
        AthleteFactory(organisation=club, teams=[forwards, backs])
    login(client, head_coach)
    with CaptureQueriesContext(connection) as five:
        assert team_rows(client.get("/teams/")) == [("Backs", "5"), ("Forwards", "5")]
    for _ in range(45):
        AthleteFactory(organisation=club, teams=[forwards])
    TeamFactory(organisation=club, name="Sevens")

    with django_assert_num_queries(len(five.captured_queries)):
        rows = team_rows(client.get("/teams/"))

    assert rows == [("Backs", "5"), ("Forwards", "50"), ("Sevens", "0")]
