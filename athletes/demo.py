"""Demo people for `make run`: a rugby club and a running club, with fixed logins that the docs
and scripts rely on. Deterministic: the same names and numbers on every machine."""

import datetime
import random
from decimal import Decimal

from django.db import transaction

from .models import Athlete, Organisation, Role, User
from .services import athlete_create, membership_set, organisation_create, team_create

DEMO_PASSWORD = "baseline-demo"  # noqa: S105 - demo data only, never loaded in production
DEMO_LOGINS = [
    ("coach@rugby.example", "Harbour RFC head coach (owner)"),
    ("forwards.coach@rugby.example", "Harbour RFC forwards coach"),
    ("physio@rugby.example", "Harbour RFC physio"),
    ("athlete@rugby.example", "Harbour RFC athlete (Tom Harris, flanker)"),
    ("coach@running.example", "Riverside Running Club coach (another club)"),
    ("admin@baseline.example", "site administrator (Django admin)"),
]
RUGBY_SLUG = "harbour-rfc"
RUNNING_SLUG = "riverside-running"

FORWARDS = [
    ("Tom", "Harris", "Flanker"),
    ("Rhys", "Owen", "Prop"),
    ("Ollie", "Barnes", "Prop"),
    ("Sione", "Tuilagi", "Prop"),
    ("Jack", "Moran", "Hooker"),
    ("Dan", "Fletcher", "Hooker"),
    ("Callum", "Reid", "Lock"),
    ("Will", "Ashby", "Lock"),
    ("Ben", "Okafor", "Lock"),
    ("Harry", "Pearce", "Flanker"),
    ("Luke", "Davies", "Flanker"),
    ("Sam", "Whitaker", "Flanker"),
    ("Josh", "McBride", "Number 8"),
    ("Finn", "Gallagher", "Number 8"),
    ("Matt", "Kerr", "Prop"),
    ("Ed", "Sutton", "Lock"),
]
BACKS = [
    ("Alex", "Turner", "Scrum-half"),
    ("Ryan", "Lloyd", "Scrum-half"),
    ("George", "Ford", "Fly-half"),
    ("Kieran", "Walsh", "Fly-half"),
    ("Joe", "Marler", "Centre"),
    ("Nathan", "Hughes", "Centre"),
    ("Elliot", "Price", "Centre"),
    ("Marcus", "Bell", "Wing"),
    ("Tobi", "Adeyemi", "Wing"),
    ("Liam", "O'Connor", "Wing"),
    ("Jamie", "Rowe", "Full-back"),
    ("Cameron", "Doyle", "Full-back"),
    ("Reece", "Patel", "Centre"),
    ("Owen", "Jenkins", "Wing"),
]
RUNNERS = [
    ("Priya", "Shah", "female"),
    ("Hannah", "Cole", "female"),
    ("Grace", "Murphy", "female"),
    ("Ruth", "Ellis", "female"),
    ("Maya", "Brooks", "female"),
    ("David", "Kim", "male"),
    ("Peter", "Lang", "male"),
    ("Simon", "Yates", "male"),
    ("Chris", "Norton", "male"),
    ("Andrew", "Fox", "male"),
]


def _user(email: str, first: str, last: str, **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, first_name=first, last_name=last, **extra
        )
    return user


def _born(rng: random.Random, youngest: int, oldest: int) -> datetime.date:
    today = datetime.date(2026, 7, 1)
    return today - datetime.timedelta(days=rng.randint(youngest * 365, oldest * 365))


@transaction.atomic
def demo_people_load() -> bool:
    """Create both clubs, their staff and athletes, unless they exist. Returns whether it did."""
    if Organisation.objects.filter(slug=RUGBY_SLUG).exists():
        return False
    rng = random.Random(2026)

    head = _user("coach@rugby.example", "Rachel", "Hughes")
    rugby = organisation_create(name="Harbour RFC", owner=head)
    rugby.slug = RUGBY_SLUG
    rugby.save(update_fields=["slug"])
    forwards = team_create(organisation=rugby, name="Forwards", sport="Rugby union")
    backs = team_create(organisation=rugby, name="Backs", sport="Rugby union")
    membership_set(
        organisation=rugby,
        user=_user("forwards.coach@rugby.example", "Gareth", "Price"),
        role=Role.COACH,
        teams=[forwards],
    )
    membership_set(
        organisation=rugby, user=_user("physio@rugby.example", "Nadia", "Khan"), role=Role.PHYSIO
    )

    for squad, team, mass in ((FORWARDS, forwards, (100, 124)), (BACKS, backs, (80, 96))):
        for first, last, position in squad:
            athlete_create(
                organisation=rugby,
                created_by=head,
                teams=[team],
                first_name=first,
                last_name=last,
                email=f"{first}.{last}@rugby.example".lower().replace("'", ""),
                date_of_birth=_born(rng, 19, 34),
                sex="male",
                sport="Rugby union",
                position=position,
                dominant_side=rng.choice(["right", "right", "right", "left"]),
                body_mass_kg=Decimal(rng.randint(mass[0] * 10, mass[1] * 10)) / 10,
            )
    tom = Athlete.objects.get(organisation=rugby, first_name="Tom", last_name="Harris")
    tom.medical_notes = "Right calf strain (grade 1) last season; cleared in March."
    tom.save(update_fields=["medical_notes"])
    athlete_user = _user("athlete@rugby.example", "Tom", "Harris")
    membership_set(organisation=rugby, user=athlete_user, role=Role.ATHLETE)
    tom.user = athlete_user
    tom.email = athlete_user.email
    tom.save(update_fields=["user", "email"])

    running_coach = _user("coach@running.example", "Laura", "Bennett")
    running = organisation_create(name="Riverside Running Club", owner=running_coach)
    running.slug = RUNNING_SLUG
    running.save(update_fields=["slug"])
    road = team_create(organisation=running, name="Road squad", sport="Distance running")
    for first, last, sex in RUNNERS:
        athlete_create(
            organisation=running,
            created_by=running_coach,
            teams=[road],
            first_name=first,
            last_name=last,
            email=f"{first}.{last}@running.example".lower(),
            date_of_birth=_born(rng, 24, 62),
            sex=sex,
            sport="Distance running",
            position="10k / half marathon",
            dominant_side=rng.choice(["right", "left"]),
            body_mass_kg=Decimal(rng.randint(500, 820)) / 10,
        )

    if not User.objects.filter(email="admin@baseline.example").exists():
        User.objects.create_superuser("admin@baseline.example", DEMO_PASSWORD, first_name="Admin")
    return True


def demo_load() -> bool:
    """Everything `make run` shows. Each part loads once; a re-run changes nothing."""
    from assessments.demo import demo_assessments_load
    from programs.demo import demo_programs_load

    people = demo_people_load()
    programs = demo_programs_load()
    assessments = demo_assessments_load()
    return people or programs or assessments
