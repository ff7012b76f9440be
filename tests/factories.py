"""factory_boy factories. No fixed primary keys; every name is generated."""

import datetime
from decimal import Decimal

import factory

from athletes.models import Athlete, Membership, Organisation, Role, Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Club {n}")
    slug = factory.Sequence(lambda n: f"club-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.COACH

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teams.set(extracted)


class AthleteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Athlete
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"athlete{n}@example.org")
    date_of_birth = factory.Sequence(lambda n: datetime.date(1990 + n % 15, 1 + n % 12, 1 + n % 28))
    sex = "male"
    sport = "Rugby union"
    position = "Prop"
    dominant_side = "right"
    body_mass_kg = Decimal("95.0")

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teams.set(extracted)


def library(slug: str):
    """A global exercise shipped with the library."""
    from programs.models import Exercise

    return Exercise.objects.get(organisation=None, slug=slug)


def club_exercise(organisation, name: str, **fields):
    """An exercise of a club's own library (a strength exercise counted in reps unless given)."""
    from programs.models import Exercise

    defaults = {"category": "strength", "measurement": "reps", "muscles": ["soleus"]}
    slug = name.lower().replace(" ", "-")
    return Exercise.objects.create(
        organisation=organisation, slug=slug, name=name, **defaults | fields
    )


def program(organisation, *, weeks=4, rotation_weeks=1, sessions=None, **fields):
    """A program template with sessions: {"name": [(slug, {prescription fields}), ...]}.
    A session name may end with " @2" to place it in week 2 of the rotation."""
    from programs.models import Prescription, ProgramTemplate, TemplateSession

    template = ProgramTemplate.objects.create(
        organisation=organisation,
        name=fields.pop("name", "Calf strength"),
        weeks=weeks,
        rotation_weeks=rotation_weeks,
        **fields,
    )
    sessions = sessions or {"Calf A": [("bent-knee-heel-raise", {"sets": 3, "target_min": 10})]}
    for order, (name, items) in enumerate(sessions.items(), start=1):
        label, _, week = name.partition(" @")
        session = TemplateSession.objects.create(
            template=template, name=label, order=order, rotation_week=int(week) if week else None
        )
        for position, (slug, values) in enumerate(items, start=1):
            values = {"sets": 3, "target_min": 10, **values}
            Prescription.objects.create(
                session=session, exercise=library(slug), order=position, **values
            )
    return template
