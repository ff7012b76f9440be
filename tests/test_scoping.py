"""The one scoping layer: who sees and who may change which athletes and teams."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from athletes import services
from athletes.selectors import (
    athletes_visible_to,
    athletes_writable_by,
    organisations_visible_to,
    sees_medical_notes,
    teams_assignable_by,
    teams_visible_to,
)
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def squad(forward, back, foreign_athlete):
    return {"forward": forward, "back": back, "foreign": foreign_athlete}


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", {"forward"}),
        ("outsider", {"foreign"}),
    ],
)
def test_each_persona_sees_exactly_their_athletes(personas, squad, persona, visible):
    seen = set(athletes_visible_to(personas[persona]).values_list("id", flat=True))

    assert seen == {squad[name].id for name in visible}


@pytest.mark.parametrize(
    ("persona", "writable"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", set()),
        ("outsider", {"foreign"}),
    ],
)
def test_only_staff_may_change_athletes_and_coaches_only_their_teams(
    personas, squad, persona, writable
):
    changed = set(athletes_writable_by(personas[persona]).values_list("id", flat=True))

    assert changed == {squad[name].id for name in writable}


def test_archived_athletes_are_hidden_from_active_lists_but_kept(head_coach, forward):
    services.athlete_archive(athlete=forward, archived_by=head_coach)

    assert forward not in athletes_visible_to(head_coach)
    assert forward in athletes_visible_to(head_coach, include_archived=True)
    services.athlete_restore(athlete=forward, restored_by=head_coach)
    assert forward in athletes_visible_to(head_coach)


def test_a_user_in_two_clubs_sees_each_club_by_their_role_there(
    head_coach, club, other_club, forward, foreign_athlete, foreign_team
):
    services.membership_set(
        organisation=other_club, user=head_coach, role="coach", teams=[foreign_team]
    )

    assert set(organisations_visible_to(head_coach)) == {club, other_club}
    assert set(athletes_visible_to(head_coach)) == {forward, foreign_athlete}
    assert list(athletes_visible_to(head_coach, organisation=other_club)) == [foreign_athlete]
    assert sees_medical_notes(head_coach, club.id)
    assert not sees_medical_notes(head_coach, other_club.id)


def test_teams_follow_the_same_scope(personas, forwards, backs, foreign_team, forward):
    def names(user):
        return sorted(t.name for t in teams_visible_to(user))

    assert names(personas["head_coach"]) == ["Backs", "Forwards"]
    assert names(personas["assistant_coach"]) == ["Forwards"]
    assert names(personas["physio"]) == ["Backs", "Forwards"]
    assert names(personas["athlete"]) == ["Forwards"]
    assert names(personas["outsider"]) == ["Road squad"]
    assert list(teams_assignable_by(personas["athlete"])) == []


def test_only_physios_and_owners_see_medical_notes(personas, club):
    assert sees_medical_notes(personas["head_coach"], club.id)
    assert sees_medical_notes(personas["physio"], club.id)
    assert not sees_medical_notes(personas["assistant_coach"], club.id)
    assert not sees_medical_notes(personas["athlete"], club.id)
    assert not sees_medical_notes(personas["outsider"], club.id)


def test_coach_cannot_write_medical_notes(assistant_coach, forward):
    with pytest.raises(PermissionDenied):
        services.athlete_update(athlete=forward, updated_by=assistant_coach, medical_notes="x")

    forward.refresh_from_db()
    assert forward.medical_notes == "Left Achilles tendinopathy 2025"


def test_athlete_create_rejects_a_foreign_team_and_writes_nothing(
    assistant_coach, club, backs, foreign_team
):
    for team in (backs, foreign_team):
        with pytest.raises(ValidationError) as error:
            services.athlete_create(
                organisation=club,
                created_by=assistant_coach,
                teams=[team],
                first_name="New",
                last_name="Player",
            )
        assert "teams" in error.value.message_dict

    assert not club.athletes.filter(first_name="New").exists()


def test_athlete_profile_is_validated_with_field_names(head_coach, club):
    with pytest.raises(ValidationError) as error:
        services.athlete_create(
            organisation=club,
            created_by=head_coach,
            first_name="",
            last_name="Heavy",
            body_mass_kg=1000,
        )

    assert set(error.value.message_dict) >= {"first_name", "body_mass_kg"}


def test_email_is_unique_per_club_ignoring_case(head_coach, club, forward):
    with pytest.raises(ValidationError):
        AthleteFactory.build(organisation=club, email=forward.email.upper()).validate_constraints()


def test_coach_moving_an_athlete_keeps_teams_they_do_not_coach(
    assistant_coach, head_coach, forward, forwards, backs
):
    services.athlete_update(athlete=forward, updated_by=head_coach, teams=[forwards, backs])

    services.athlete_update(athlete=forward, updated_by=assistant_coach, teams=[])

    assert list(forward.teams.all()) == [backs]


def test_invite_creates_a_login_without_password_and_emails_a_link(
    head_coach, back, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            user = services.athlete_invite(athlete=back, invited_by=head_coach)
    finally:
        app.conf.task_always_eager = False

    back.refresh_from_db()
    assert back.user == user
    assert not user.has_usable_password()
    assert user.memberships.get().role == "athlete"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [back.email]
    assert "/invite/" in mailoutbox[0].body
