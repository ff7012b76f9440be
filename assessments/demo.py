"""Demo assessments for `make run`: Harbour RFC's pre-season test day, so the first start
already shows flags, protocols and retest dates. Deterministic; loaded once."""

import datetime
import random
import uuid

from django.db import transaction
from django.utils import timezone

from athletes.models import Organisation, User

from .baselines import baseline_set
from .models import Test, TestDay
from .services import result_evaluate, results_record_batch, test_day_create

RUGBY_SLUG = "harbour-rfc"
NAMESPACE = uuid.UUID("6b0f4a52-3f0e-4c39-9a36-0d3c1f1f8a10")
# Players below the club's 300-rep ankling baseline, and heel-rise asymmetries.
ANKLING_FAILS = {"Rhys Owen": 212, "Ben Okafor": 265, "Marcus Bell": 238, "Liam O'Connor": 290}
HEEL_RISE_WEAK = {"Callum Reid": (21, 31), "Tobi Adeyemi": (26, 33), "Jamie Rowe": (24, 25)}


def _uuid(*parts) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


@transaction.atomic
def demo_assessments_load() -> bool:
    rugby = Organisation.objects.filter(slug=RUGBY_SLUG).first()
    if rugby is None or TestDay.objects.filter(organisation=rugby).exists():
        return False
    rng = random.Random(300)
    head = User.objects.get(email="coach@rugby.example")
    physio = User.objects.get(email="physio@rugby.example")
    ankling = Test.objects.get(organisation=None, slug="ankling")
    heel_rise = Test.objects.get(organisation=None, slug="heel-rise")
    day = timezone.localdate() - datetime.timedelta(days=5)

    # The physio switches the heel-rise age/sex norms on for the club (a club-level override).
    baseline_set(
        test=heel_rise,
        organisation=rugby,
        kind="norm",
        comparator="gte",
        value=None,
        active=True,
        note="Compare with Hébert-Losier 2017 age/sex norms",
        set_by=physio,
    )

    results = []
    for team in rugby.teams.order_by("name"):
        athletes = list(team.athletes.active().order_by("last_name", "first_name"))
        test_day = test_day_create(
            test=ankling, created_by=head, date=day, team=team, notes="Pre-season baseline"
        )
        rows = [
            {
                "athlete": athlete,
                "trials": {"both": [ANKLING_FAILS.get(athlete.full_name, rng.randint(305, 420))]},
                "client_uuid": _uuid("ankling", athlete.id),
            }
            for athlete in athletes
        ]
        results += results_record_batch(test_day=test_day, recorded_by=physio, rows=rows)

        heel_day = test_day_create(
            test=heel_rise, created_by=head, date=day, team=team, notes="Pre-season screen"
        )
        rows = []
        for athlete in athletes:
            strong = rng.randint(38, 46)
            left, right = HEEL_RISE_WEAK.get(
                athlete.full_name, (strong, strong + rng.randint(-2, 2))
            )
            rows.append(
                {
                    "athlete": athlete,
                    "trials": {"left": [left], "right": [right]},
                    "client_uuid": _uuid("heel-rise", athlete.id),
                }
            )
        results += results_record_batch(test_day=heel_day, recorded_by=physio, rows=rows)

    # The worker is not running yet at first start: evaluate now, as it would.
    for result, _ in results:
        result_evaluate(result_id=result.id, today=day)
    return True
