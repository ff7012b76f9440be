"""The exercise library pages: browse, search, read, add, change and copy exercises."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from athletes.context import SESSION_KEY
from athletes.models import Role
from athletes.selectors import forget_memberships
from programs.models import Category, Exercise, Measurement, Muscle
from programs.services import exercise_create
from programs.services.exercises import EXERCISE_FIELDS
from tests.conftest import login
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("exercise_list")
NEW = reverse("exercise_create")

DOMAIN_SLUGS = [
    "ankling-drill",
    "straight-knee-heel-raise",
    "bent-knee-heel-raise",
    "one-leg-mini-squat",
    "jump-rope",
    "toe-raise",
    "calf-raise-on-a-step",
    "weighted-calf-raise",
    "eccentric-calf-raise",
    "aerobic-step-box-raise",
    "ankle-alphabet",
    "single-leg-balance",
    "resistance-band-plantar-flexion",
    "resistance-band-dorsiflexion",
    "resistance-band-inversion",
    "resistance-band-eversion",
    "lateral-hops",
    "duck-walk",
    "duck-walk-backward",
    "duck-walk-side",
    "duck-walk-weighted",
    "heel-toe-walk",
    "skip-ups",
    "ankle-hops",
    "small-box-step-downs",
    "bounds",
    "single-leg-hops",
    "wall-gastrocnemius-stretch",
    "soleus-stretch",
]
GLOBAL_COUNT = 43


def detail_url(exercise):
    return reverse("exercise_detail", args=[exercise.pk])


def edit_url(exercise):
    return reverse("exercise_edit", args=[exercise.pk])


def copy_url(exercise):
    return reverse("exercise_copy", args=[exercise.pk])


def global_exercise(slug):
    return Exercise.objects.get(organisation=None, slug=slug)


def listed_slugs(response):
    return [exercise.slug for exercise in response.context["exercises"]]


def form_data(**overrides):
    data = {
        "name": "Pogo hops",
        "description": "Small stiff-ankle hops on the balls of the feet.",
        "cues": "Stay tall\n\n  Quick ground contacts  \nHeels never touch",
        "category": Category.PLYOMETRIC,
        "muscles": [Muscle.GASTROCNEMIUS, Muscle.SOLEUS],
        "equipment": ["none"],
        "measurement": Measurement.CONTACTS,
        "per_side": "",
        "source": "Club S&C",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def club_exercise(club, head_coach):
    return exercise_create(
        organisation=club,
        created_by=head_coach,
        name="Harbour hill calf raise",
        description="Calf raises on the clubhouse hill.",
        cues=["Slow down", "Pause at the top"],
        category=Category.STRENGTH,
        muscles=[Muscle.GASTROCNEMIUS],
        equipment=["none"],
        measurement=Measurement.REPS,
        per_side=True,
        source="Harbour RFC",
    )


@pytest.fixture
def foreign_exercise(other_club, outsider):
    return exercise_create(
        organisation=other_club,
        created_by=outsider,
        name="Riverside pogo",
        category=Category.PLYOMETRIC,
        measurement=Measurement.CONTACTS,
    )


# The global library ------------------------------------------------------------------------


@pytest.mark.parametrize("slug", DOMAIN_SLUGS)
def test_global_library_has_every_exercise_domain_names_fully_described(slug):
    exercise = global_exercise(slug)
    assert exercise.description.strip()
    assert exercise.cues
    assert all(cue.strip() for cue in exercise.cues)
    assert exercise.category in Category.values
    assert exercise.muscles
    assert set(exercise.muscles) <= set(Muscle.values)
    assert exercise.measurement in Measurement.values


def test_member_browses_the_whole_global_library(client, athlete_user):
    response = login(client, athlete_user).get(LIST)

    assert response.status_code == 200
    assert len(response.context["exercises"]) == GLOBAL_COUNT
    assert set(DOMAIN_SLUGS) <= set(listed_slugs(response))
    assert f"{GLOBAL_COUNT} exercises" in response.text
    assert "Ankling drill" in response.text
    assert NEW not in response.text


def test_list_shows_muscles_with_human_labels(client, physio):
    response = login(client, physio).get(LIST, {"q": "toe raise"}, HTTP_HX_REQUEST="true")

    assert listed_slugs(response) == ["toe-raise"]
    assert '<span class="badge">Tibialis anterior</span>' in response.text
    assert "tibialis_anterior" not in response.text


def test_user_without_organisation_sees_only_the_global_library(client, foreign_exercise):
    loner = UserFactory()

    response = login(client, loner).get(LIST)

    assert response.status_code == 200
    assert len(response.context["exercises"]) == GLOBAL_COUNT
    assert "Riverside pogo" not in response.text
    assert "Our exercises only" not in response.text
    assert "Add an exercise" not in response.text
    assert login(client, loner).get(detail_url(foreign_exercise)).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# Search and filters ------------------------------------------------------------------------


def test_search_by_name_returns_exactly_the_matching_exercises(client, head_coach):
    response = login(client, head_coach).get(LIST, {"q": "duck walk"})

    assert listed_slugs(response) == [
        "duck-walk",
        "duck-walk-backward",
        "duck-walk-side",
        "duck-walk-weighted",
    ]
    assert "4 exercises" in response.text


def test_search_by_name_ignores_case_and_surrounding_spaces(client, head_coach):
    response = login(client, head_coach).get(LIST, {"q": "  JUMP ROPE "})

    assert listed_slugs(response) == ["jump-rope", "jump-rope-alternate-feet"]


def test_filter_by_category_returns_exactly_that_category(client, head_coach):
    response = login(client, head_coach).get(LIST, {"category": Category.BALANCE})

    assert listed_slugs(response) == [
        "heel-toe-walk",
        "single-leg-balance",
        "single-leg-balance-knee-forward",
        "single-leg-balance-leg-rotation",
    ]


def test_filter_by_muscle_returns_exactly_the_exercises_working_it(client, head_coach):
    response = login(client, head_coach).get(LIST, {"muscle": Muscle.HAMSTRINGS})

    assert listed_slugs(response) == ["bounds", "seated-calf-stretch"]


def test_filters_combine(client, head_coach):
    response = login(client, head_coach).get(
        LIST, {"q": "raise", "category": Category.STRENGTH, "equipment": "dumbbell"}
    )

    assert listed_slugs(response) == [
        "bent-knee-heel-raise",
        "straight-knee-heel-raise",
        "weighted-calf-raise",
    ]


def test_search_without_match_says_so(client, head_coach):
    response = login(client, head_coach).get(LIST, {"q": "bench press"})

    assert listed_slugs(response) == []
    assert "0 exercises" in response.text
    assert "No exercises match" in response.text


def test_unknown_filter_value_is_a_400_naming_the_field(client, head_coach):
    response = login(client, head_coach).get(LIST, {"category": "yoga"})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["category"]
    assert listed_slugs(response) == []


def test_our_exercises_only_shows_the_clubs_own(client, assistant_coach, club_exercise):
    response = login(client, assistant_coach).get(LIST, {"scope": "own"})

    assert listed_slugs(response) == [club_exercise.slug]
    assert '<span class="badge badge-pass">club</span>' in response.text
    assert re.search(r'id="exercise-count"[^>]*>\s*1 exercise\s*<', response.text)


def test_htmx_request_gets_only_the_results_partial(client, head_coach):
    response = login(client, head_coach).get(LIST, {"q": "soleus"}, HTTP_HX_REQUEST="true")

    templates = [template.name for template in response.templates]
    assert response.status_code == 200
    assert "programs/_exercise_results.html" in templates
    assert "programs/exercise_list.html" not in templates
    assert "base.html" not in templates
    assert "<html" not in response.text
    assert listed_slugs(response) == ["soleus-stretch"]
    assert 'id="exercise-count" hx-swap-oob="innerHTML">1 exercise' in response.text
    assert "HX-Request" in response["Vary"]


def test_full_page_has_live_count_and_htmx_filter_bar(client, head_coach):
    response = login(client, head_coach).get(LIST)

    assert '<p id="exercise-count" role="status" aria-live="polite"' in response.text
    assert 'hx-trigger="input changed delay:300ms, search"' in response.text
    assert 'hx-push-url="true"' in response.text
    assert 'hx-target="#exercise-results"' in response.text
    assert "hx-swap-oob" not in response.text


def test_list_shows_only_the_active_organisations_exercises(client, head_coach, club_exercise):
    second_club = OrganisationFactory(name="Second club")
    MembershipFactory(organisation=second_club, user=head_coach, role=Role.COACH)
    forget_memberships(head_coach)
    second = exercise_create(
        organisation=second_club,
        created_by=head_coach,
        name="Second club raise",
        category=Category.STRENGTH,
        measurement=Measurement.REPS,
    )
    login(client, head_coach)
    session = client.session
    session[SESSION_KEY] = second_club.id
    session.save()

    assert listed_slugs(client.get(LIST, {"scope": "own"})) == [second.slug]
    assert club_exercise.slug not in listed_slugs(client.get(LIST))


def test_list_query_count_does_not_grow_with_the_library(
    client, club, head_coach, django_assert_num_queries
):
    login(client, head_coach)

    def add(n, start):
        for i in range(start, start + n):
            exercise_create(
                organisation=club,
                created_by=head_coach,
                name=f"Club drill {i:03}",
                category=Category.STRENGTH,
                muscles=[Muscle.SOLEUS],
                measurement=Measurement.REPS,
            )

    # session, user, memberships, their teams, exercises
    add(5, 0)
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert len(response.context["exercises"]) == GLOBAL_COUNT + 5

    add(45, 5)
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert len(response.context["exercises"]) == GLOBAL_COUNT + 50


# Detail -----------------------------------------------------------------------------------


def test_detail_shows_description_cues_muscles_and_facts(client, athlete_user):
    exercise = global_exercise("bent-knee-heel-raise")

    response = login(client, athlete_user).get(detail_url(exercise))

    assert response.status_code == 200
    text = response.text
    assert exercise.name in text
    for cue in exercise.cues:
        assert f"<li>{escape(cue)}</li>" in text
    assert '<span class="badge">Soleus</span>' in text
    assert "Dumbbell" in text
    assert exercise.get_measurement_display() in text
    assert edit_url(exercise) not in text
    assert "Copy to our library" not in text


def test_detail_of_a_global_exercise_offers_staff_a_copy_not_an_edit(client, assistant_coach):
    response = login(client, assistant_coach).get(detail_url(global_exercise("jump-rope")))

    assert "Copy to our library" in response.text
    assert response.context["can_edit"] is False


def test_detail_of_a_club_exercise_offers_staff_an_edit(client, physio, club_exercise):
    response = login(client, physio).get(detail_url(club_exercise))

    assert response.context["can_edit"] is True
    assert edit_url(club_exercise) in response.text
    assert "Copy to our library" not in response.text
    assert "<li>Pause at the top</li>" in response.text


def test_athlete_reads_a_club_exercise_without_edit_link(client, athlete_user, club_exercise):
    response = login(client, athlete_user).get(detail_url(club_exercise))

    assert response.status_code == 200
    assert edit_url(club_exercise) not in response.text


def test_another_clubs_exercise_is_a_404(client, head_coach, foreign_exercise):
    response = login(client, head_coach).get(detail_url(foreign_exercise))

    assert response.status_code == 404


def test_unknown_exercise_is_a_404(client, head_coach):
    response = login(client, head_coach).get(reverse("exercise_detail", args=[10**9]))

    assert response.status_code == 404


# Adding and changing ---------------------------------------------------------------------


def test_coach_adds_an_exercise_the_club_sees_and_the_outsider_does_not(
    client, club, assistant_coach, athlete_user, outsider
):
    response = login(client, assistant_coach).post(NEW, form_data())

    exercise = Exercise.objects.get(name="Pogo hops")
    assert response.status_code == 302
    assert response.url == detail_url(exercise)
    assert exercise.organisation == club
    assert exercise.created_by == assistant_coach
    assert exercise.slug == "pogo-hops"
    assert exercise.cues == ["Stay tall", "Quick ground contacts", "Heels never touch"]
    assert exercise.muscles == [Muscle.GASTROCNEMIUS, Muscle.SOLEUS]
    assert exercise.equipment == ["none"]
    assert exercise.category == Category.PLYOMETRIC
    assert exercise.measurement == Measurement.CONTACTS
    assert exercise.per_side is False
    assert exercise.source == "Club S&C"

    assert "pogo-hops" in listed_slugs(login(client, athlete_user).get(LIST, {"q": "pogo"}))

    login(client, outsider)
    assert listed_slugs(client.get(LIST, {"q": "pogo"})) == []
    assert client.get(detail_url(exercise)).status_code == 404
    assert client.get(edit_url(exercise)).status_code == 404


def test_outsider_cannot_change_a_clubs_exercise(client, outsider, club_exercise):
    response = login(client, outsider).post(edit_url(club_exercise), form_data(name="Hijacked"))

    club_exercise.refresh_from_db()
    assert response.status_code == 404
    assert club_exercise.name == "Harbour hill calf raise"
    assert club_exercise.cues == ["Slow down", "Pause at the top"]


def test_outsider_cannot_copy_into_a_club(client, outsider, club, foreign_exercise):
    response = login(client, outsider).post(copy_url(foreign_exercise))

    assert response.status_code == 404
    assert Exercise.objects.filter(organisation=club).count() == 0


def test_athlete_gets_403_on_new_and_edit(client, athlete_user, club_exercise):
    login(client, athlete_user)

    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data()).status_code == 403
    assert client.get(edit_url(club_exercise)).status_code == 403
    assert client.post(edit_url(club_exercise), form_data(name="Renamed")).status_code == 403
    assert client.post(copy_url(global_exercise("toe-raise"))).status_code == 403

    club_exercise.refresh_from_db()
    assert club_exercise.name == "Harbour hill calf raise"
    assert not Exercise.objects.filter(name__in=["Pogo hops", "Toe raise (club)"]).exists()


def test_user_without_organisation_gets_403_on_new(client):
    response = login(client, UserFactory()).get(NEW)

    assert response.status_code == 403


def test_new_form_renders_every_field(client, head_coach):
    response = login(client, head_coach).get(NEW)

    assert response.status_code == 200
    for field in EXERCISE_FIELDS:
        assert f'name="{field}"' in response.text
    assert 'type="checkbox" name="muscles" value="tibialis_anterior"' in response.text
    assert "Tibialis anterior" in response.text


def test_form_without_name_is_a_400_naming_the_field(client, head_coach):
    response = login(client, head_coach).post(NEW, form_data(name=""))

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert 'aria-invalid="true"' in response.text
    assert Exercise.objects.exclude(organisation=None).count() == 0


def test_form_with_unknown_category_is_a_400_naming_the_field(client, head_coach):
    response = login(client, head_coach).post(NEW, form_data(category="yoga"))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["category"]
    assert "yoga is not one of the available choices" in response.text
    assert Exercise.objects.exclude(organisation=None).count() == 0


def test_form_with_unknown_muscle_is_a_400_naming_the_field(client, head_coach):
    response = login(client, head_coach).post(NEW, form_data(muscles=["biceps"]))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["muscles"]
    assert Exercise.objects.exclude(organisation=None).count() == 0


def test_overlong_cue_is_a_400_naming_the_cue(client, head_coach):
    response = login(client, head_coach).post(NEW, form_data(cues="Fine\n" + "x" * 201))

    assert response.status_code == 400
    assert response.context["form"].errors == {"cues": ["Cue 2 is longer than 200 characters."]}
    assert Exercise.objects.exclude(organisation=None).count() == 0


def test_duplicate_name_in_the_club_is_an_error_on_name(client, head_coach, club_exercise):
    response = login(client, head_coach).post(NEW, form_data(name="HARBOUR hill calf raise"))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["Your library already has an exercise with this name."]
    }
    assert Exercise.objects.exclude(organisation=None).count() == 1


def test_same_name_as_another_clubs_exercise_is_fine(client, head_coach, club, foreign_exercise):
    response = login(client, head_coach).post(NEW, form_data(name="Riverside pogo"))

    assert response.status_code == 302
    assert Exercise.objects.filter(organisation=club, name="Riverside pogo").count() == 1


def test_edit_form_is_prefilled_with_the_exercise(client, physio, club_exercise):
    response = login(client, physio).get(edit_url(club_exercise))

    assert response.status_code == 200
    form = response.context["form"]
    assert form["name"].value() == "Harbour hill calf raise"
    assert form["cues"].value() == "Slow down\nPause at the top"
    assert form["muscles"].value() == [Muscle.GASTROCNEMIUS]
    assert form["per_side"].value() is True


def test_staff_edit_changes_the_clubs_exercise(client, physio, club_exercise):
    response = login(client, physio).post(
        edit_url(club_exercise),
        form_data(name="Hill raise", cues="One\nTwo", muscles=[Muscle.SOLEUS], per_side="on"),
    )

    club_exercise.refresh_from_db()
    assert response.status_code == 302
    assert response.url == detail_url(club_exercise)
    assert club_exercise.name == "Hill raise"
    assert club_exercise.cues == ["One", "Two"]
    assert club_exercise.muscles == [Muscle.SOLEUS]
    assert club_exercise.per_side is True
    assert club_exercise.category == Category.PLYOMETRIC


def test_edit_may_keep_the_exercises_own_name(client, head_coach, club_exercise):
    response = login(client, head_coach).post(
        edit_url(club_exercise), form_data(name="Harbour hill calf raise")
    )

    assert response.status_code == 302


def test_invalid_edit_changes_nothing(client, head_coach, club_exercise):
    response = login(client, head_coach).post(
        edit_url(club_exercise), form_data(name="", measurement="miles")
    )

    club_exercise.refresh_from_db()
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "measurement"}
    assert club_exercise.name == "Harbour hill calf raise"
    assert club_exercise.measurement == Measurement.REPS


def test_editing_a_global_exercise_is_a_404(client, head_coach):
    exercise = global_exercise("ankling-drill")

    login(client, head_coach)

    assert client.get(edit_url(exercise)).status_code == 404
    assert client.post(edit_url(exercise), form_data(name="Mine now")).status_code == 404
    exercise.refresh_from_db()
    assert exercise.name == "Ankling drill"


# Copying a global exercise -----------------------------------------------------------------


def test_copy_to_our_library_makes_an_editable_club_copy(client, club, assistant_coach):
    original = global_exercise("calf-raise-on-a-step")

    response = login(client, assistant_coach).post(copy_url(original))

    copy = Exercise.objects.get(organisation=club)
    assert response.status_code == 302
    assert response.url == edit_url(copy)
    assert copy.name == "Calf raise on a step (club)"
    assert copy.created_by == assistant_coach
    for field in ("description", "cues", "category", "muscles", "equipment", "measurement"):
        assert getattr(copy, field) == getattr(original, field)
    assert (copy.per_side, copy.source) == (original.per_side, original.source)
    assert client.get(edit_url(copy)).status_code == 200
    assert listed_slugs(client.get(LIST, {"scope": "own"})) == [copy.slug]


def test_copying_twice_leads_to_the_existing_copy(client, club, head_coach):
    original = global_exercise("toe-raise")
    login(client, head_coach)
    first = client.post(copy_url(original))

    second = client.post(copy_url(original))

    assert Exercise.objects.filter(organisation=club).count() == 1
    assert second.status_code == 302
    assert second.url == first.url


def test_only_global_exercises_are_copied(client, club, head_coach, club_exercise):
    response = login(client, head_coach).post(copy_url(club_exercise))

    assert response.status_code == 404
    assert Exercise.objects.filter(organisation=club).count() == 1


def test_copy_needs_a_post(client, head_coach):
    response = login(client, head_coach).get(copy_url(global_exercise("toe-raise")))

    assert response.status_code == 405


# Admin --------------------------------------------------------------------------------------


def test_admin_lists_exercises_filtered_by_category_and_searched_by_name(admin_client):
    response = admin_client.get(
        reverse("admin:programs_exercise_changelist"),
        {"category__exact": Category.MOBILITY, "q": "stretch"},
    )

    assert response.status_code == 200
    names = [exercise.name for exercise in response.context["cl"].result_list]
    assert sorted(names) == sorted(
        global_exercise(slug).name
        for slug in ("seated-calf-stretch", "soleus-stretch", "wall-gastrocnemius-stretch")
    )


def test_admin_change_page_of_a_club_exercise_opens(admin_client, club_exercise):
    response = admin_client.get(reverse("admin:programs_exercise_change", args=[club_exercise.pk]))

    assert response.status_code == 200
