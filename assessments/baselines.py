"""Writes for a club's catalogue: its own tests, and its overrides of the baseline rules.

A rule (Baseline) is global (shipped), the club's, or one team's; per kind the narrowest one
applies (assessments.selectors.rules_for), and an inactive override switches the kind off.
Only owners and physios change the rules. Every change bumps `updated_at`, so the nightly sweep
re-evaluates the results whose rules changed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from athletes.models import Organisation, Role, Team, User
from athletes.selectors import is_staff_in, role_in

from .catalogue import FIELDS as CATALOGUE_FIELDS
from .models import Baseline, Comparator, Norm, RuleKind, Test

RULE_ROLES = (Role.OWNER, Role.PHYSIO)
TEST_FIELDS = CATALOGUE_FIELDS  # the fields a test has, shipped or the club's own


def may_set_rules(user: User, organisation_id: int | None) -> bool:
    return role_in(user, organisation_id) in RULE_ROLES


RULES_DENIED = "Only the head coach and physios change the club's baselines."


def _require_rule_role(user: User, organisation_id: int | None) -> None:
    if not may_set_rules(user, organisation_id):
        raise PermissionDenied(RULES_DENIED)


# --- the club's own tests -----------------------------------------------------------------------


def _free_slug(organisation: Organisation, name: str) -> str:
    base = (slugify(name) or "test")[:70]
    taken = set(
        Test.objects.filter(organisation=organisation, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def test_create(*, organisation: Organisation, created_by: User, **fields) -> Test:
    """Add a test of the club's own to the catalogue (any of the club's staff may)."""
    if not is_staff_in(created_by, organisation.id):
        raise PermissionDenied("Only the club's staff add tests.")
    unknown = set(fields) - set(TEST_FIELDS)
    if unknown:
        raise ValidationError({"__all__": f"Unknown fields: {', '.join(sorted(unknown))}."})
    test = Test(organisation=organisation, **fields)
    test.slug = _free_slug(organisation, test.name or "")
    errors: dict[str, list[str]] = {}
    try:
        # The slug is made free above; the plausible range is checked here with a clear message.
        test.full_clean(validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    low, high = test.plausible_min, test.plausible_max
    if "plausible_max" not in errors and low is not None and high is not None and high <= low:
        errors["plausible_max"] = ["The highest plausible value must be above the lowest."]
    if errors:
        raise ValidationError(errors)
    test.save()
    return test


# --- rules -------------------------------------------------------------------------------------


def _decimal(value, field: str = "value") -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise ValidationError({field: f"{value!r} is not a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: f"{value!r} is not a number."})
    return number


def _norm_source(test: Test, organisation: Organisation, team: Team | None) -> Baseline | None:
    """The nearest broader norm rule that has a norm table: the club's, else the global one."""
    candidates = Baseline.objects.filter(test=test, kind=RuleKind.NORM, norms__isnull=False)
    scopes = []
    if team is not None:
        scopes.append(Q(organisation=organisation, team__isnull=True))
    scopes.append(Q(organisation__isnull=True))
    for scope in scopes:
        found = candidates.filter(scope).distinct().order_by("id").first()
        if found is not None:
            return found
    return None


def _check_value(test: Test, kind: str, value: Decimal | None, active: bool) -> None:
    if kind == RuleKind.NORM or not active:
        return
    unit = test.unit
    if value is None:
        raise ValidationError({"value": "Enter the rule's value."})
    if kind == RuleKind.THRESHOLD and not test.plausible_min <= value <= test.plausible_max:
        raise ValidationError(
            {
                "value": f"A threshold must lie in the test's plausible range "
                f"{test.plausible_min.normalize():f}–{test.plausible_max.normalize():f} {unit}."
            }
        )
    if kind == RuleKind.LSI and not 0 < value <= 100:
        raise ValidationError({"value": "An LSI is a percentage above 0 and at most 100."})
    if kind == RuleKind.SIDE_DIFFERENCE and not (
        0 <= value <= test.plausible_max - test.plausible_min
    ):
        raise ValidationError({"value": f"A side difference is 0 or more {unit}."})


@transaction.atomic
def baseline_set(
    *,
    test: Test,
    organisation: Organisation,
    team: Team | None = None,
    kind: str,
    comparator: str = Comparator.GTE,
    value=None,
    active: bool = True,
    note: str = "",
    set_by: User,
) -> Baseline:
    """Set the club's (or one team's) rule of a kind for a test, or switch the kind off there
    (active=False). One rule per kind and scope: setting it again changes it."""
    _require_rule_role(set_by, organisation.id)
    if test.organisation_id not in (None, organisation.id):
        raise ValidationError({"test": "Choose a test from the catalogue or your club's tests."})
    if team is not None and team.organisation_id != organisation.id:
        raise ValidationError({"team": "Choose one of the club's teams."})
    if kind not in RuleKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(RuleKind.values)}."})
    if kind in (RuleKind.LSI, RuleKind.SIDE_DIFFERENCE) and not test.per_side:
        raise ValidationError({"kind": f"{test.name} has one value, not a left and a right side."})
    if comparator not in Comparator.values:
        raise ValidationError({"comparator": "Choose at least (≥) or at most (≤)."})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": "Keep the note to 200 characters."})
    active = bool(active)
    value = _decimal(value)
    # The evaluation reads LSI as "at least" and a side difference as "at most".
    comparator = {RuleKind.LSI: Comparator.GTE, RuleKind.SIDE_DIFFERENCE: Comparator.LTE}.get(
        kind, comparator
    )
    if kind == RuleKind.NORM:
        value = None
    _check_value(test, kind, value, active)
    source = None
    if kind == RuleKind.NORM and active:
        source = _norm_source(test, organisation, team)
        if source is None:
            raise ValidationError({"kind": f"{test.name} has no age and sex norm table."})

    baseline = (
        Baseline.objects.select_for_update()
        .filter(test=test, organisation=organisation, team=team, kind=kind)
        .first()
    )
    if baseline is None:
        baseline = Baseline(test=test, organisation=organisation, team=team, kind=kind)
    baseline.comparator = comparator
    baseline.value = value
    baseline.active = active
    baseline.note = note
    baseline.updated_by = set_by
    baseline.save()  # auto_now: updated_at moves, and the sweep re-evaluates
    if source is not None and source.pk != baseline.pk:
        baseline.norms.all().delete()
        Norm.objects.bulk_create(
            Norm(baseline=baseline, sex=n.sex, age_min=n.age_min, age_max=n.age_max, value=n.value)
            for n in source.norms.all()
        )
    return baseline


@transaction.atomic
def baseline_remove(*, baseline: Baseline, removed_by: User) -> None:
    """Remove a club or team override: the broader rule of that kind applies again.

    The nightly sweep re-evaluates results whose test has a rule in their scope updated since
    their evaluation; a deleted row leaves no trace, so the narrowest remaining rules of the
    test in the override's scope (the team's other rules, else the club's, else the global
    ones) get their `updated_at` bumped."""
    _require_rule_role(removed_by, baseline.organisation_id)
    if baseline.organisation_id is None:
        raise ValidationError({"baseline": "Shipped rules stay; switch one off for the club."})
    others = Baseline.objects.filter(test_id=baseline.test_id).exclude(pk=baseline.pk)
    scopes = [
        Q(organisation_id=baseline.organisation_id, team__isnull=True),
        Q(organisation__isnull=True),
    ]
    if baseline.team_id is not None:
        scopes.insert(0, Q(team_id=baseline.team_id))
    baseline.delete()
    now = timezone.now()
    for scope in scopes:
        if others.filter(scope).update(updated_at=now):
            break


@transaction.atomic
def test_update(*, test: Test, updated_by: User, **changes) -> Test:
    """Change a club's own test (any of the club's staff; the shipped catalogue is read-only)."""
    if test.organisation_id is None or not is_staff_in(updated_by, test.organisation_id):
        raise PermissionDenied("Only your club's own tests can be changed.")
    for field, value in changes.items():
        if field in TEST_FIELDS:
            setattr(test, field, value)
    test.full_clean(validate_constraints=False)
    test.save()
    return test


@transaction.atomic
def baseline_norms_set(*, baseline: Baseline, norms: list[dict], set_by: User) -> Baseline:
    """Replace an override's norm table with the given rows ({sex, age_min, age_max, value})."""
    if baseline.organisation_id is None:
        raise PermissionDenied(RULES_DENIED)
    _require_rule_role(set_by, baseline.organisation_id)
    baseline.norms.all().delete()
    Norm.objects.bulk_create(Norm(baseline=baseline, **row) for row in norms)
    baseline.updated_by = set_by
    baseline.save(update_fields=["updated_by", "updated_at"])  # the sweep goes by updated_at
    return baseline
