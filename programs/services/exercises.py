"""Writes for the programs app."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import slugify

from athletes.models import Organisation, User
from athletes.selectors import is_staff_in

from ..models import Exercise

EXERCISE_FIELDS = (
    "name",
    "description",
    "cues",
    "category",
    "muscles",
    "equipment",
    "measurement",
    "per_side",
    "source",
)


def _unique_slug(organisation: Organisation, name: str, *, exclude_pk=None) -> str:
    base = slugify(name)[:70] or "exercise"
    slug, n = base, 1
    taken = Exercise.objects.filter(organisation=organisation).exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def exercise_create(*, organisation: Organisation, created_by: User, **fields) -> Exercise:
    """Add an organisation's own exercise to its library."""
    if not is_staff_in(created_by, organisation.id):
        raise PermissionDenied("Only the club's staff add exercises.")
    unknown = set(fields) - set(EXERCISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown exercise fields: {sorted(unknown)}")
    exercise = Exercise(
        organisation=organisation,
        created_by=created_by,
        slug=_unique_slug(organisation, fields.get("name", "")),
        **fields,
    )
    exercise.full_clean()
    exercise.save()
    return exercise


@transaction.atomic
def exercise_update(*, exercise: Exercise, updated_by: User, **changes) -> Exercise:
    """Change an organisation's own exercise (the global library is read-only)."""
    if exercise.is_global or not is_staff_in(updated_by, exercise.organisation_id):
        raise PermissionDenied("Only the club's own exercises can be changed.")
    unknown = set(changes) - set(EXERCISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown exercise fields: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(exercise, field, value)
    exercise.full_clean()
    exercise.save()
    return exercise
