"""The assessment pages: the test catalogue and the club's and teams' baselines.

Personas come from conftest: the head coach and the physio set the club's rules, the assistant
coach (Forwards only) records but does not set rules, the outsider nothing of the club.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Baseline, Test
from assessments.selectors import rules_for
from tests.assessment_pages import (
    html,
)
from tests.conftest import login

pytestmark = pytest.mark.django_db

# --- the catalogue and baselines ----------------------------------------------------------------


def test_catalogue_lists_tests_with_the_club_rules_in_words(client, head_coach, ankling):
    response = login(client, head_coach).get(reverse("test_list"))

    assert response.status_code == 200
    page = html(response)
    assert "Ankling test" in page
    assert "at least 300 reps" in page
    assert "LSI at least 90 %" in page  # heel-rise
    assert "side difference at most 2 cm" in page  # knee-to-wall


def test_test_page_shows_protocol_rules_by_scope_and_norms(client, physio, heel_rise):
    response = login(client, physio).get(reverse("test_detail", args=[heel_rise.pk]))

    page = html(response)
    assert heel_rise.protocol.splitlines()[0][:40] in page
    assert "at least 25 reps" in page
    assert "Global" in page
    assert '<th scope="row">20–29</th><td>37</td><td>30</td>' in page
    assert "Set a rule for the club or a team" in page  # physios set rules


def test_coach_sees_the_rules_but_no_rule_form(client, assistant_coach, heel_rise):
    page = html(login(client, assistant_coach).get(reverse("test_detail", args=[heel_rise.pk])))

    assert "at least 25 reps" in page
    assert "Set a rule for the club or a team" not in page


def test_physio_sets_a_club_threshold_and_it_applies_to_the_club(
    client, physio, club, forward, ankling
):
    response = login(client, physio).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": "", "kind": "threshold", "comparator": "gte", "value": "280", "active": "on"},
    )

    assert response.status_code == 302
    rule = Baseline.objects.get(test=ankling, organisation=club, team=None, kind="threshold")
    assert (rule.value, rule.active, rule.updated_by) == (Decimal("280"), True, physio)
    assert [r.value for r in rules_for(ankling, forward)] == [Decimal("280")]
    assert "at least 280 reps" in html(client.get(reverse("test_list")))


def test_coach_cannot_set_a_club_override(client, assistant_coach, ankling):
    response = login(client, assistant_coach).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": "", "kind": "threshold", "comparator": "gte", "value": "200", "active": "on"},
    )

    assert response.status_code == 403
    assert not Baseline.objects.filter(organisation__isnull=False).exists()


def test_switching_a_global_rule_off_for_the_club_leaves_no_rule(
    client, head_coach, club, forward, ankling
):
    response = login(client, head_coach).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": "", "kind": "threshold", "comparator": "gte", "value": ""},
    )

    assert response.status_code == 302
    assert Baseline.objects.get(organisation=club, test=ankling).active is False
    assert rules_for(ankling, forward) == []
    page = html(client.get(reverse("test_detail", args=[ankling.pk])))
    assert "overridden by the club" in page and "off for the club" in page


def test_team_override_beats_the_club_rule_for_that_team_only(
    client, head_coach, forwards, forward, back, ankling
):
    login(client, head_coach).post(
        reverse("baseline_save", args=[ankling.pk]),
        {
            "team": forwards.pk,
            "kind": "threshold",
            "comparator": "gte",
            "value": "250",
            "active": "on",
        },
    )

    assert [r.value for r in rules_for(ankling, forward)] == [Decimal("250")]
    assert [r.value for r in rules_for(ankling, back)] == [Decimal("300")]


def test_setting_a_rule_again_changes_it_and_moves_updated_at(client, physio, club, ankling):
    data = {"team": "", "kind": "threshold", "comparator": "gte", "value": "280", "active": "on"}
    login(client, physio).post(reverse("baseline_save", args=[ankling.pk]), data)
    first = Baseline.objects.get(organisation=club, test=ankling)

    client.post(reverse("baseline_save", args=[ankling.pk]), {**data, "value": "290"})

    again = Baseline.objects.get(organisation=club, test=ankling)
    assert again.pk == first.pk
    assert again.value == Decimal("290")
    assert again.updated_at > first.updated_at


def test_switching_the_norm_on_for_the_club_copies_the_norm_table(client, physio, club, heel_rise):
    response = login(client, physio).post(
        reverse("baseline_save", args=[heel_rise.pk]),
        {"team": "", "kind": "norm", "comparator": "gte", "value": "", "active": "on"},
    )

    assert response.status_code == 302
    norm = Baseline.objects.get(organisation=club, test=heel_rise, kind="norm")
    assert norm.active is True
    assert norm.norms.count() == 14
    assert norm.norms.get(sex="male", age_min=20).value == Decimal("37")


def test_threshold_outside_the_plausible_range_is_refused_naming_the_value(client, physio, ankling):
    response = login(client, physio).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": "", "kind": "threshold", "comparator": "gte", "value": "5000", "active": "on"},
    )

    assert response.status_code == 400
    assert "A threshold must lie in the test&#x27;s plausible range 0–3000 reps." in html(response)
    assert not Baseline.objects.filter(organisation__isnull=False).exists()


def test_rule_for_another_clubs_team_is_refused(client, physio, foreign_team, ankling):
    response = login(client, physio).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": foreign_team.pk, "kind": "threshold", "value": "200", "active": "on"},
    )

    assert response.status_code == 400
    assert not Baseline.objects.filter(organisation__isnull=False).exists()


def test_removing_an_override_restores_the_global_rule_and_bumps_it(
    client, physio, club, forward, ankling
):
    login(client, physio).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": "", "kind": "threshold", "comparator": "gte", "value": "280", "active": "on"},
    )
    override = Baseline.objects.get(organisation=club, test=ankling)
    global_rule = Baseline.objects.get(organisation=None, test=ankling)

    response = client.post(reverse("baseline_remove", args=[ankling.pk, override.pk]))

    assert response.status_code == 302
    assert not Baseline.objects.filter(pk=override.pk).exists()
    assert [r.value for r in rules_for(ankling, forward)] == [Decimal("300")]
    global_rule_after = Baseline.objects.get(pk=global_rule.pk)
    assert global_rule_after.updated_at > global_rule.updated_at


def test_coach_cannot_remove_an_override(client, physio, assistant_coach, club, ankling):
    login(client, physio).post(
        reverse("baseline_save", args=[ankling.pk]),
        {"team": "", "kind": "threshold", "comparator": "gte", "value": "280", "active": "on"},
    )
    override = Baseline.objects.get(organisation=club, test=ankling)

    response = login(client, assistant_coach).post(
        reverse("baseline_remove", args=[ankling.pk, override.pk])
    )

    assert response.status_code == 403
    assert Baseline.objects.filter(pk=override.pk).exists()


def test_staff_add_a_club_test_that_other_clubs_cannot_see(client, assistant_coach, outsider, club):
    data = {
        "name": "Pogo jumps",
        "protocol": "Jump on the spot for 20 s.",
        "unit": "contacts",
        "trials": "1",
        "combine": "best",
        "higher_is_better": "on",
        "plausible_min": "0",
        "plausible_max": "200",
        "decimals": "0",
        "measurement_error": "",
        "citation": "",
    }
    response = login(client, assistant_coach).post(reverse("test_create"), data)

    test = Test.objects.get(name="Pogo jumps")
    assert response.status_code == 302
    assert (test.organisation, test.slug, test.per_side) == (club, "pogo-jumps", False)
    assert login(client, outsider).get(reverse("test_detail", args=[test.pk])).status_code == 404


def test_club_test_with_an_upside_down_range_is_refused_naming_the_field(client, head_coach):
    data = {
        "name": "Pogo jumps",
        "protocol": "Jump.",
        "unit": "contacts",
        "trials": "1",
        "combine": "best",
        "plausible_min": "50",
        "plausible_max": "10",
        "decimals": "0",
    }
    response = login(client, head_coach).post(reverse("test_create"), data)

    assert response.status_code == 400
    assert "The highest plausible value must be above the lowest." in html(response)
    assert not Test.objects.filter(name="Pogo jumps").exists()
