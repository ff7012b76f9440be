"""Program templates: create, edit, duplicate; sessions and prescriptions; scheme presets.

Every change bumps the template's version. Assigned athletes keep the sessions they were given
(their schedule holds a copy), so editing a template never changes what they already have.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max

from athletes.models import Organisation, User
from athletes.selectors import is_staff_in

from ..models import Exercise, Measurement, Prescription, ProgramTemplate, TemplateSession

TEMPLATE_FIELDS = ("name", "goal", "description", "weeks", "rotation_weeks")
PRESCRIPTION_FIELDS = (
    "sets",
    "target_min",
    "target_max",
    "load_type",
    "load_value",
    "tempo",
    "rest_seconds",
    "per_side",
    "notes",
    "progression",
    "progression_every_weeks",
    "progression_load_step",
    "progression_max_sets",
    "progression_steps",
)

# One click fills a prescription with a published scheme (DOMAIN: seeds 002, NSCA).
PRESETS = {
    "light": {
        "label": "Light: 8–20 reps × 3",
        "measurement": Measurement.REPS,
        "values": {"sets": 3, "target_min": 8, "target_max": 20, "rest_seconds": 60},
    },
    "heavy": {
        "label": "Heavy: 3–6 reps × 4",
        "measurement": Measurement.REPS,
        "values": {"sets": 4, "target_min": 3, "target_max": 6, "rest_seconds": 120},
    },
    "plyo_light": {
        "label": "Plyometric light: 2 × 25–40 contacts (50–80)",
        "measurement": Measurement.CONTACTS,
        "values": {"sets": 2, "target_min": 25, "target_max": 40, "rest_seconds": 90},
    },
    "plyo_moderate": {
        "label": "Plyometric moderate: 4 × 25 contacts (100)",
        "measurement": Measurement.CONTACTS,
        "values": {"sets": 4, "target_min": 25, "target_max": None, "rest_seconds": 90},
    },
    "plyo_heavy": {
        "label": "Plyometric heavy: 5 × 30 contacts (150)",
        "measurement": Measurement.CONTACTS,
        "values": {"sets": 5, "target_min": 30, "target_max": None, "rest_seconds": 120},
    },
}
DEFAULT_TARGET = {
    Measurement.REPS: 10,
    Measurement.SECONDS: 30,
    Measurement.CONTACTS: 50,
    Measurement.METRES: 20,
}


def _require_staff(user: User, organisation_id: int) -> None:
    if not is_staff_in(user, organisation_id):
        raise PermissionDenied("Only the club's staff change programs.")


def _touch(template: ProgramTemplate) -> None:
    ProgramTemplate.objects.filter(pk=template.pk).update(version=F("version") + 1)
    template.refresh_from_db(fields=["version", "updated_at"])


def _check_fields(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


@transaction.atomic
def template_create(*, organisation: Organisation, created_by: User, **fields) -> ProgramTemplate:
    _require_staff(created_by, organisation.id)
    _check_fields(fields, TEMPLATE_FIELDS)
    template = ProgramTemplate(organisation=organisation, created_by=created_by, **fields)
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def template_update(*, template: ProgramTemplate, updated_by: User, **changes) -> ProgramTemplate:
    _require_staff(updated_by, template.organisation_id)
    _check_fields(changes, TEMPLATE_FIELDS)
    for field, value in changes.items():
        setattr(template, field, value)
    template.full_clean()
    template.save()
    _touch(template)
    return template


@transaction.atomic
def template_duplicate(
    *, template: ProgramTemplate, duplicated_by: User, name: str = ""
) -> ProgramTemplate:
    """A new template with the same sessions and prescriptions, version 1."""
    _require_staff(duplicated_by, template.organisation_id)
    copy = ProgramTemplate.objects.create(
        organisation=template.organisation,
        name=name or f"{template.name} (copy)",
        goal=template.goal,
        description=template.description,
        weeks=template.weeks,
        rotation_weeks=template.rotation_weeks,
        copied_from=template,
        created_by=duplicated_by,
    )
    for session in template.sessions.prefetch_related("prescriptions"):
        prescriptions = list(session.prescriptions.all())
        session.pk = None
        session.template = copy
        session.save()
        for prescription in prescriptions:
            prescription.pk = None
            prescription.session = session
        Prescription.objects.bulk_create(prescriptions)
    return copy


@transaction.atomic
def template_session_add(
    *,
    template: ProgramTemplate,
    added_by: User,
    name: str,
    rotation_week: int | None = None,
    notes: str = "",
) -> TemplateSession:
    _require_staff(added_by, template.organisation_id)
    if rotation_week is not None and not 1 <= rotation_week <= template.rotation_weeks:
        raise ValidationError(
            {"rotation_week": f"Choose a week from 1 to {template.rotation_weeks}, or every week."}
        )
    order = (template.sessions.aggregate(m=Max("order"))["m"] or 0) + 1
    session = TemplateSession(
        template=template, name=name, rotation_week=rotation_week, notes=notes, order=order
    )
    session.full_clean()
    session.save()
    _touch(template)
    return session


@transaction.atomic
def template_session_remove(*, session: TemplateSession, removed_by: User) -> None:
    _require_staff(removed_by, session.template.organisation_id)
    template = session.template
    session.delete()
    _touch(template)


def _validate_prescription(prescription: Prescription) -> None:
    exercise = prescription.exercise
    errors = {}
    if exercise.organisation_id not in (None, prescription.session.template.organisation_id):
        errors["exercise"] = "Choose an exercise from your library."
    if prescription.load_type in ("kg", "percent_bm") and prescription.load_value is None:
        errors["load_value"] = "Give the load for this load type."
    if prescription.load_type in ("none", "bodyweight") and prescription.load_value is not None:
        errors["load_value"] = "No load value goes with this load type."
    if prescription.load_value is not None and not 0 <= prescription.load_value <= (
        200 if prescription.load_type == "percent_bm" else 500
    ):
        errors["load_value"] = "The load is outside 0–500 kg (0–200 % body mass)."
    limits = {"reps": 1000, "seconds": 7200, "contacts": 2000, "metres": 10000}
    if prescription.target_min > limits[exercise.measurement]:
        errors["target_min"] = f"At most {limits[exercise.measurement]} {exercise.measurement}."
    if errors:
        raise ValidationError(errors)
    prescription.full_clean()


@transaction.atomic
def prescription_add(
    *, session: TemplateSession, added_by: User, exercise: Exercise, **fields
) -> Prescription:
    _require_staff(added_by, session.template.organisation_id)
    _check_fields(fields, PRESCRIPTION_FIELDS)
    fields.setdefault("target_min", DEFAULT_TARGET[exercise.measurement])
    fields.setdefault("per_side", exercise.per_side)
    order = (session.prescriptions.aggregate(m=Max("order"))["m"] or 0) + 1
    prescription = Prescription(session=session, exercise=exercise, order=order, **fields)
    _validate_prescription(prescription)
    prescription.save()
    _touch(session.template)
    return prescription


@transaction.atomic
def prescription_update(*, prescription: Prescription, updated_by: User, **changes) -> Prescription:
    _require_staff(updated_by, prescription.session.template.organisation_id)
    _check_fields(changes, PRESCRIPTION_FIELDS)
    for field, value in changes.items():
        setattr(prescription, field, value)
    _validate_prescription(prescription)
    prescription.save()
    _touch(prescription.session.template)
    return prescription


@transaction.atomic
def prescription_apply_preset(
    *, prescription: Prescription, applied_by: User, preset: str
) -> Prescription:
    scheme = PRESETS.get(preset)
    if scheme is None:
        raise ValidationError({"preset": f"Unknown preset {preset!r}."})
    if scheme["measurement"] != prescription.exercise.measurement:
        raise ValidationError(
            {
                "preset": f"{scheme['label']} is for exercises measured in "
                f"{scheme['measurement'].label.lower()}, not "
                f"{prescription.exercise.get_measurement_display().lower()}."
            }
        )
    return prescription_update(prescription=prescription, updated_by=applied_by, **scheme["values"])


@transaction.atomic
def prescription_move(*, prescription: Prescription, moved_by: User, position: int) -> None:
    """Put the prescription at `position` (0-based) within its session; the rest keep order."""
    _require_staff(moved_by, prescription.session.template.organisation_id)
    siblings = list(
        prescription.session.prescriptions.select_for_update().exclude(pk=prescription.pk)
    )
    position = max(0, min(position, len(siblings)))
    siblings.insert(position, prescription)
    for index, item in enumerate(siblings, start=1):
        item.order = index
    Prescription.objects.bulk_update(siblings, ["order"])
    _touch(prescription.session.template)


@transaction.atomic
def prescription_remove(*, prescription: Prescription, removed_by: User) -> None:
    _require_staff(removed_by, prescription.session.template.organisation_id)
    template = prescription.session.template
    prescription.delete()
    _touch(template)
