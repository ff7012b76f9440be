"""The REST API for baselines (the rules results must meet): global rules are read-only, the
head coach and physios override them for their organisation or a team, coaches and athletes
read them; scoping per persona, "Invalid pk" for foreign ids, 400s naming the field."""

import pytest
from django.forms.models import model_to_dict

from assessments.models import Baseline, Norm, Test
from tests.api_error_format import error_fields, error_roots

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def snapshot(obj) -> dict:
    obj.refresh_from_db()
    return model_to_dict(obj)


def own_test(organisation, name="Club sprint", **fields) -> Test:
    values = {
        "slug": name.lower().replace(" ", "-"),
        "protocol": "Sprint 20 m from a standing start.",
        "unit": "s",
        "per_side": False,
        "higher_is_better": False,
        "plausible_min": 1,
        "plausible_max": 10,
    }
    return Test.objects.create(organisation=organisation, name=name, **{**values, **fields})


@pytest.fixture
def foreign_test(other_club):
    return own_test(other_club, name="Road mile", unit="min", plausible_max=20)


@pytest.fixture
def club_rule(club, ankling, head_coach):
    return Baseline.objects.create(
        test=ankling, organisation=club, kind="threshold", value=250, updated_by=head_coach
    )


@pytest.fixture
def forwards_rule(club, forwards, ankling):
    return Baseline.objects.create(
        test=ankling, organisation=club, team=forwards, kind="threshold", value=280
    )


@pytest.fixture
def foreign_rule(other_club, ankling):
    return Baseline.objects.create(test=ankling, organisation=other_club, kind="threshold", value=1)


@pytest.mark.parametrize(
    ("persona", "overrides"),
    [
        ("head_coach", {"club_rule", "forwards_rule"}),
        ("assistant_coach", {"club_rule", "forwards_rule"}),
        ("physio", {"club_rule", "forwards_rule"}),
        ("athlete", {"club_rule", "forwards_rule"}),
        ("outsider", {"foreign_rule"}),
    ],
)
def test_baseline_list_shows_global_rules_and_exactly_the_personas_overrides(
    as_user, personas, club_rule, forwards_rule, foreign_rule, persona, overrides
):
    named = {"club_rule": club_rule, "forwards_rule": forwards_rule, "foreign_rule": foreign_rule}
    shipped = set(Baseline.objects.filter(organisation=None).values_list("id", flat=True))

    response = as_user(personas[persona]).get("/api/v1/baselines/")

    assert len(shipped) == 15
    assert ids(response) == shipped | {named[name].id for name in overrides}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("scope=organisation", {"club_rule"}),
        ("scope=team", {"forwards_rule"}),
        ("team={forwards}", {"forwards_rule"}),
        ("organisation={club}", {"club_rule", "forwards_rule"}),
        ("scope=global&test={ankling}", {"global_ankling"}),
        ("kind=threshold&test={ankling}", {"global_ankling", "club_rule", "forwards_rule"}),
    ],
)
def test_baseline_list_filters(
    as_user, physio, club, forwards, ankling, club_rule, forwards_rule, query, expected
):
    named = {
        "club_rule": club_rule.id,
        "forwards_rule": forwards_rule.id,
        "global_ankling": Baseline.objects.get(test=ankling, organisation=None).id,
    }
    query = query.format(forwards=forwards.id, club=club.id, ankling=ankling.id)

    response = as_user(physio).get(f"/api/v1/baselines/?{query}")

    assert ids(response) == {named[name] for name in expected}


NORMS = [
    {"sex": "female", "age_min": 18, "age_max": None, "value": "28.00"},
    {"sex": "male", "age_min": 18, "age_max": 29, "value": "35.00"},
]


@pytest.mark.parametrize("persona", ["physio", "head_coach"])
def test_physio_and_head_coach_override_a_rule_for_a_team_with_norms(
    as_user, personas, club, forwards, heel_rise, persona
):
    body = {
        "test": heel_rise.id,
        "organisation": club.id,
        "team": forwards.id,
        "kind": "norm",
        "active": True,
        "note": "Forwards: our own norms",
        "norms": NORMS,
    }

    response = as_user(personas[persona]).post("/api/v1/baselines/", body)

    assert response.status_code == 201, response.content
    baseline = Baseline.objects.get(organisation=club)
    assert response.json()["norms"] == NORMS
    assert response.json()["scope"] == "team"
    assert (baseline.team, baseline.kind, baseline.updated_by) == (
        forwards,
        "norm",
        personas[persona],
    )
    assert baseline.norms.count() == 2


@pytest.mark.parametrize("persona", ["assistant_coach", "athlete"])
def test_coaches_and_athletes_may_not_override_a_rule(as_user, personas, club, ankling, persona):
    body = {"test": ankling.id, "organisation": club.id, "kind": "threshold", "value": "200"}

    response = as_user(personas[persona]).post("/api/v1/baselines/", body)

    assert response.status_code == 403
    assert not Baseline.objects.filter(organisation__isnull=False).exists()


@pytest.mark.parametrize("field", ["test", "organisation", "team"])
def test_a_foreign_id_in_a_baseline_is_an_invalid_pk(
    as_user, physio, club, forwards, ankling, foreign_test, other_club, foreign_team, field
):
    body = {
        "test": ankling.id,
        "organisation": club.id,
        "team": forwards.id,
        "kind": "threshold",
        "value": "200",
    }
    body[field] = {"test": foreign_test, "organisation": other_club, "team": foreign_team}[field].id

    response = as_user(physio).post("/api/v1/baselines/", body)

    assert response.status_code == 400
    assert list(error_fields(response)) == [field]
    assert "Invalid pk" in error_fields(response)[field][0]
    assert not Baseline.objects.filter(organisation__isnull=False).exists()


def test_a_second_rule_of_the_same_kind_in_the_same_scope_names_kind(
    as_user, physio, club, ankling, club_rule
):
    body = {"test": ankling.id, "organisation": club.id, "kind": "threshold", "value": "200"}

    response = as_user(physio).post("/api/v1/baselines/", body)

    assert response.status_code == 400
    assert list(error_fields(response)) == ["kind"]
    assert Baseline.objects.filter(organisation=club).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "threshold", "value": None}, "value"),
        ({"kind": "norm", "norms": []}, "norms"),
        ({"kind": "lsi", "value": "120"}, "value"),
        ({"kind": "lsi", "value": "90", "test": "ankling"}, "kind"),
        ({"kind": "threshold", "value": "5000", "test": "ankling"}, "value"),
        (
            {"kind": "norm", "norms": [{"sex": "male", "age_min": 30, "age_max": 20, "value": 1}]},
            "norms",
        ),
    ],
    ids=[
        "no-value",
        "no-norms",
        "lsi-over-100",
        "lsi-on-both-feet",
        "threshold-beyond-plausible",
        "age-band-reversed",
    ],
)
def test_an_invalid_override_names_the_field(
    as_user, physio, club, heel_rise, ankling, body, field
):
    test = ankling if body.pop("test", None) == "ankling" else heel_rise

    response = as_user(physio).post(
        "/api/v1/baselines/", {"test": test.id, "organisation": club.id, **body}
    )

    assert response.status_code == 400
    assert error_roots(response) == [field]
    assert not Baseline.objects.filter(organisation__isnull=False).exists()


def test_an_inactive_override_switches_a_rule_off_without_a_value(as_user, physio, club, ankling):
    body = {"test": ankling.id, "organisation": club.id, "kind": "threshold", "active": False}

    response = as_user(physio).post("/api/v1/baselines/", body)

    assert response.status_code == 201, response.content
    assert Baseline.objects.get(organisation=club).active is False


@pytest.mark.parametrize("persona", ["head_coach", "physio"])
def test_global_rules_are_read_only(as_user, personas, ankling, persona):
    rule = Baseline.objects.get(test=ankling, organisation=None)
    client = as_user(personas[persona])

    patched = client.patch(f"/api/v1/baselines/{rule.id}/", {"value": "1"})
    deleted = client.delete(f"/api/v1/baselines/{rule.id}/")

    assert (patched.status_code, deleted.status_code) == (403, 403)
    assert snapshot(rule)["value"] == 300


def test_physio_changes_an_override_and_its_norms_are_replaced(as_user, physio, club, heel_rise):
    rule = Baseline.objects.create(test=heel_rise, organisation=club, kind="norm")
    Norm.objects.create(baseline=rule, sex="male", age_min=20, age_max=29, value=40)

    response = as_user(physio).patch(
        f"/api/v1/baselines/{rule.id}/", {"note": "Our norms", "norms": NORMS}
    )

    assert response.status_code == 200, response.content
    assert response.json()["norms"] == NORMS
    assert (snapshot(rule)["note"], rule.updated_by) == ("Our norms", physio)
    assert list(rule.norms.values_list("age_min", flat=True)) == [18, 18]


def test_changing_an_override_without_norms_keeps_its_norm_table(as_user, physio, club, heel_rise):
    rule = Baseline.objects.create(test=heel_rise, organisation=club, kind="norm")
    Norm.objects.create(baseline=rule, sex="male", age_min=20, age_max=29, value=40)

    response = as_user(physio).patch(f"/api/v1/baselines/{rule.id}/", {"active": False})

    assert response.status_code == 200, response.content
    assert response.json()["norms"] == [
        {"sex": "male", "age_min": 20, "age_max": 29, "value": "40.00"}
    ]
    assert snapshot(rule)["active"] is False


def test_a_team_norm_override_without_rows_takes_the_broader_norm_table(
    as_user, physio, club, forwards, heel_rise
):
    body = {"test": heel_rise.id, "organisation": club.id, "team": forwards.id, "kind": "norm"}

    response = as_user(physio).post("/api/v1/baselines/", body)

    assert response.status_code == 201, response.content
    shipped = Baseline.objects.get(test=heel_rise, organisation=None, kind="norm")
    assert len(response.json()["norms"]) == shipped.norms.count() == 14


@pytest.mark.parametrize(("persona", "status"), [("assistant_coach", 403), ("outsider", 404)])
def test_only_the_clubs_head_coach_and_physios_change_its_overrides(
    as_user, personas, club_rule, persona, status
):
    client = as_user(personas[persona])

    assert client.patch(f"/api/v1/baselines/{club_rule.id}/", {"value": "1"}).status_code == status
    assert client.delete(f"/api/v1/baselines/{club_rule.id}/").status_code == status
    assert snapshot(club_rule)["value"] == 250


def test_outsider_cannot_see_a_clubs_override(as_user, outsider, club_rule, forwards_rule):
    client = as_user(outsider)

    assert client.get(f"/api/v1/baselines/{club_rule.id}/").status_code == 404
    assert client.get(f"/api/v1/baselines/{forwards_rule.id}/").status_code == 404


def test_an_override_cannot_move_to_another_test(as_user, physio, club_rule, heel_rise):
    response = as_user(physio).patch(f"/api/v1/baselines/{club_rule.id}/", {"test": heel_rise.id})

    assert response.status_code == 400
    assert list(error_fields(response)) == ["test"]
    assert snapshot(club_rule)["test"] == club_rule.test_id


def test_head_coach_removes_an_override(as_user, head_coach, club_rule):
    response = as_user(head_coach).delete(f"/api/v1/baselines/{club_rule.id}/")

    assert response.status_code == 204
    assert not Baseline.objects.filter(pk=club_rule.pk).exists()


def test_the_schema_says_a_baseline_change_does_not_reevaluate_results(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]

    for method, route in [("post", "/api/v1/baselines/"), ("patch", "/api/v1/baselines/{id}/")]:
        assert "nightly sweep" in paths[route][method]["description"]


@pytest.mark.parametrize("rows", [5, 50])
def test_baseline_list_query_count_does_not_grow(
    as_user, physio, club, rows, django_assert_num_queries
):
    for n in range(rows):
        rule = Baseline.objects.create(
            test=own_test(club, name=f"Club test {n}"), organisation=club, kind="norm"
        )
        Norm.objects.create(baseline=rule, sex="female", age_min=18, value=n)
    client = as_user(physio)
    client.get("/api/v1/organisations/")

    with django_assert_num_queries(3):
        response = client.get("/api/v1/baselines/?scope=organisation")

    assert len(response.json()["results"]) == rows
