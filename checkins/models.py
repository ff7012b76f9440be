"""The athlete's morning check-in: pain and stiffness per area, soreness, sleep, readiness.

One check-in per athlete per day: sending another for the same day edits it. Every submission
carries a UUID made on the device (`CheckInSubmission`), so a replay changes nothing and the
same UUID with other values is refused, however many times the day was edited.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# The areas of the lower leg an athlete rates every morning (seed 001: document daily pain
# patterns and soreness after runs).
AREAS = (
    ("calf", "Calf"),
    ("achilles", "Achilles"),
    ("shin", "Shin"),
    ("ankle", "Ankle"),
)
PAIN_FIELDS = tuple(f"{area}_pain" for area, _ in AREAS)
STIFFNESS_FIELDS = tuple(f"{area}_stiffness" for area, _ in AREAS)
AREA_FIELDS = PAIN_FIELDS + STIFFNESS_FIELDS
VALUE_FIELDS = (
    *AREA_FIELDS,
    "soreness",
    "sleep_hours",
    "sleep_quality",
    "readiness",
    "note",
)
# Above this in any area, a morning is painful (Silbernagel 2007: pain must settle by morning).
PAIN_LIMIT = 5


def _scale(label: str, low: int = 0, high: int = 10) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=f"{low}–{high}; empty when not rated.",
    )


def _range_check(field: str, low: int, high: int) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True})
        | models.Q(**{f"{field}__gte": low, f"{field}__lte": high}),
        name=f"checkin_{field}_{low}_to_{high}",
    )


class CheckIn(models.Model):
    athlete = models.ForeignKey(
        "athletes.Athlete", on_delete=models.CASCADE, related_name="checkins"
    )
    date = models.DateField(help_text="The morning the check-in is about.")
    client_uuid = models.UUIDField(help_text="The UUID of the submission that created it.")

    calf_pain = _scale("calf pain")
    achilles_pain = _scale("Achilles pain")
    shin_pain = _scale("shin pain")
    ankle_pain = _scale("ankle pain")
    calf_stiffness = _scale("calf stiffness")
    achilles_stiffness = _scale("Achilles stiffness")
    shin_stiffness = _scale("shin stiffness")
    ankle_stiffness = _scale("ankle stiffness")
    soreness = _scale("soreness")
    sleep_hours = models.DecimalField(
        "sleep (hours)",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    sleep_quality = _scale("sleep quality", 1, 5)
    readiness = _scale("readiness", 1, 5)
    note = models.CharField(max_length=1000, blank=True, default="")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["athlete", "date"], name="one_checkin_per_athlete_day"),
            models.UniqueConstraint(
                fields=["athlete", "client_uuid"], name="checkin_client_uuid_once_per_athlete"
            ),
            *(_range_check(f, 0, 10) for f in (*AREA_FIELDS, "soreness")),
            _range_check("sleep_quality", 1, 5),
            _range_check("readiness", 1, 5),
            _range_check("sleep_hours", 0, 24),
        ]
        indexes = [models.Index(fields=["athlete", "date"], name="checkin_athlete_date")]

    def __str__(self) -> str:
        return f"Check-in of athlete {self.athlete_id} on {self.date}"

    @property
    def worst_pain(self) -> int | None:
        """The highest pain or stiffness of any area, or None when none was rated."""
        values = [getattr(self, f) for f in AREA_FIELDS if getattr(self, f) is not None]
        return max(values) if values else None

    @property
    def worst_area(self) -> str:
        worst = self.worst_pain
        if worst is None:
            return ""
        labels = dict(AREAS)
        for field in AREA_FIELDS:
            if getattr(self, field) == worst:
                area, kind = field.split("_")
                return f"{labels[area]} {kind}"
        return ""


class CheckInSubmission(models.Model):
    """One accepted submission of a check-in: its device UUID and what it sent."""

    athlete = models.ForeignKey("athletes.Athlete", on_delete=models.CASCADE, related_name="+")
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="submissions")
    client_uuid = models.UUIDField()
    fingerprint = models.CharField(max_length=64, help_text="Hash of what was sent.")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["athlete", "client_uuid"], name="checkin_submission_uuid_once_per_athlete"
            )
        ]

    def __str__(self) -> str:
        return f"Submission {self.client_uuid} of check-in {self.checkin_id}"
