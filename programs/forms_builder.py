"""Forms of the program builder, the assign page and the athlete calendar.

They check the shape of the input; the rules live in programs.services, whose ValidationErrors
`add_service_errors` puts back on the field they name.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from athletes.selectors import athletes_writable_by, teams_visible_to

from .models import LoadType, Progression
from .progression import tempo_seconds

WEEKDAYS = [
    ("0", "Mon"),
    ("1", "Tue"),
    ("2", "Wed"),
    ("3", "Thu"),
    ("4", "Fri"),
    ("5", "Sat"),
    ("6", "Sun"),
]
STEPS_HELP = (
    "One line per level, each adding to the one before. A line holds one or more parts "
    'separated by commas: "3x12-15" (sets × rep range), "3x12" (sets × a target), "12-15" '
    '(a new range), "target 20", "sets 4", "tempo 3-0-3", "rest 90" (seconds) or "load 25". '
    'Example: "3x12-15" then "tempo 3-0-3".'
)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (else on the whole form)."""
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, messages in errors.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
            elif field in (None, NON_FIELD_ERRORS):
                form.add_error(None, message)
            else:
                form.add_error(None, f"{field.replace('_', ' ').capitalize()}: {message}")


# --- templates and sessions -----------------------------------------------------------------------


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    goal = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    weeks = forms.IntegerField(min_value=1, max_value=52, initial=6, help_text="1 to 52.")
    rotation_weeks = forms.IntegerField(
        label="Rotation (weeks)",
        min_value=1,
        max_value=8,
        initial=1,
        help_text="1: the same sessions every week. 2: week 1 and week 2 sessions alternate.",
    )

    @classmethod
    def for_template(cls, template, data=None) -> TemplateForm:
        initial = {f: getattr(template, f) for f in cls.base_fields}
        return cls(data, initial=initial, prefix="program")


class SessionAddForm(forms.Form):
    name = forms.CharField(label="Session name", max_length=120)
    rotation_week = forms.TypedChoiceField(
        label="Rotation week",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="The week of the rotation this session belongs to.",
    )

    def __init__(self, *args, rotation_weeks: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        weeks = [(str(w), f"Week {w}") for w in range(1, rotation_weeks + 1)]
        self.fields["rotation_week"].choices = [("", "Every week"), *weeks]


class ExerciseSearchForm(forms.Form):
    q = forms.CharField(label="Find an exercise", max_length=120, required=False)


class ExerciseChoiceForm(forms.Form):
    exercise = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": "Choose an exercise from the library."}
    )

    def __init__(self, *args, exercises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exercise"].queryset = exercises


# --- prescriptions --------------------------------------------------------------------------------

_PART = [
    (re.compile(r"^(\d+)\s*[x×]\s*(\d+)(?:\s*[-–]\s*(\d+))?$"), "scheme"),
    (re.compile(r"^(\d+)\s*[-–]\s*(\d+)$"), "range"),
    (re.compile(r"^target\s+(\d+)$"), "target"),
    (re.compile(r"^sets\s+(\d+)$"), "sets"),
    (re.compile(r"^tempo\s+(\S+)$"), "tempo"),
    (re.compile(r"^rest\s+(\d+)\s*s?$"), "rest"),
    (re.compile(r"^load\s+(\d+(?:\.\d)?)\s*(?:kg|%)?$"), "load"),
]


def _parse_part(text: str) -> dict | None:
    for pattern, kind in _PART:
        match = pattern.match(text)
        if not match:
            continue
        if kind == "scheme":
            sets, low, high = match.groups()
            return {"sets": int(sets), "target_min": int(low), "target_max": _int(high)}
        if kind == "range":
            return {"target_min": int(match[1]), "target_max": int(match[2])}
        if kind == "target":
            return {"target_min": int(match[1]), "target_max": None}
        if kind == "sets":
            return {"sets": int(match[1])}
        if kind == "tempo":
            return {"tempo": match[1]} if tempo_seconds(match[1]) else None
        if kind == "rest":
            return {"rest_seconds": int(match[1])}
        return {"load_value": str(Decimal(match[1]))}
    return None


def _int(value):
    return None if value is None else int(value)


def parse_steps(text: str) -> list[dict]:
    """Lines like "3x12-15, tempo 3-0-3" into progression steps; ValidationError naming the
    first line that is not understood."""
    steps = []
    lines = [line.strip() for line in (text or "").splitlines()]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        step = {}
        for part in filter(None, (p.strip().lower() for p in line.split(","))):
            parsed = _parse_part(part)
            if parsed is None:
                raise ValidationError(
                    f'Line {number} ("{line}"): "{part}" is not understood. Write parts such '
                    'as "3x12-15", "12-15", "target 20", "sets 4", "tempo 3-0-3", "rest 90" '
                    'or "load 25".'
                )
            step.update(parsed)
        if not 1 <= step.get("sets", 1) <= 20:
            raise ValidationError(f'Line {number} ("{line}"): sets are 1 to 20.')
        low, high = step.get("target_min"), step.get("target_max")
        if low is not None and high is not None and high < low:
            raise ValidationError(f'Line {number} ("{line}"): the range must go low to high.')
        steps.append(step)
    return steps


def steps_text(steps: list[dict]) -> str:
    """The textarea form of stored steps (the inverse of parse_steps)."""
    lines = []
    for step in steps or []:
        parts = []
        low, high = step.get("target_min"), step.get("target_max")
        target = "" if low is None else (f"{low}-{high}" if high else str(low))
        if "sets" in step and target:
            parts.append(f"{step['sets']}x{target}")
        else:
            if "sets" in step:
                parts.append(f"sets {step['sets']}")
            if target:
                parts.append(target if high else f"target {low}")
        if step.get("tempo"):
            parts.append(f"tempo {step['tempo']}")
        if step.get("rest_seconds") is not None:
            parts.append(f"rest {step['rest_seconds']}")
        if step.get("load_value") is not None:
            parts.append(f"load {step['load_value']}")
        lines.append(", ".join(parts))
    return "\n".join(lines)


class PrescriptionForm(forms.Form):
    sets = forms.IntegerField(min_value=1, max_value=20)
    target_min = forms.IntegerField(label="Target", min_value=1)
    target_max = forms.IntegerField(
        label="Up to", min_value=1, required=False, help_text="For a range such as 10–12."
    )
    load_type = forms.ChoiceField(label="Load", choices=LoadType.choices)
    load_value = forms.DecimalField(
        label="Load value", max_digits=6, decimal_places=1, required=False, min_value=0
    )
    tempo = forms.CharField(
        max_length=20, required=False, help_text="Seconds down-pause-up, e.g. 3-0-3."
    )
    rest_seconds = forms.IntegerField(label="Rest (s)", min_value=0, required=False)
    per_side = forms.BooleanField(label="Per side", required=False)
    notes = forms.CharField(max_length=300, required=False)
    progression = forms.ChoiceField(choices=Progression.choices)
    progression_every_weeks = forms.IntegerField(
        label="Every (weeks)", min_value=1, max_value=52, initial=2
    )
    progression_load_step = forms.DecimalField(
        label="Load step",
        max_digits=5,
        decimal_places=1,
        required=False,
        min_value=0,
        help_text="Added each time, in the load's unit.",
    )
    progression_max_sets = forms.IntegerField(
        label="Max sets", min_value=1, max_value=20, required=False
    )
    progression_steps = forms.CharField(
        label="Steps",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=STEPS_HELP,
    )

    def __init__(self, *args, unit: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if unit:
            self.fields["target_min"].label = f"Target ({unit})"

    @classmethod
    def for_prescription(cls, prescription, data=None, unit: str = "") -> PrescriptionForm:
        fields = [f for f in cls.base_fields if f != "progression_steps"]
        initial = {f: getattr(prescription, f) for f in fields}
        initial["progression_steps"] = steps_text(prescription.progression_steps)
        return cls(data, initial=initial, prefix=f"p{prescription.pk}", unit=unit)

    def clean_tempo(self):
        tempo = self.cleaned_data["tempo"].strip()
        if tempo and tempo_seconds(tempo) is None:
            raise ValidationError('Write the tempo as seconds per phase, e.g. "3-0-3".')
        return tempo

    def clean_progression_steps(self):
        return parse_steps(self.cleaned_data["progression_steps"])

    def clean(self):
        data = super().clean()
        low, high = data.get("target_min"), data.get("target_max")
        if low is not None and high is not None and high < low:
            self.add_error("target_max", "The top of the range must be at least the target.")
        kind = data.get("progression")
        if kind == Progression.ADD_LOAD and data.get("progression_load_step") is None:
            self.add_error("progression_load_step", "Give the load added at each step.")
        if kind == Progression.STEPS and data.get("progression_steps") == []:
            self.add_error("progression_steps", "Write at least one step.")
        return data


class PresetForm(forms.Form):
    preset = forms.CharField(max_length=40)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


# --- assigning and the calendar -------------------------------------------------------------------


class AssignForm(forms.Form):
    athletes = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
        error_messages={"invalid_choice": "%(value)s is not one of your athletes."},
    )
    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No team",
        help_text="Everyone on the team, and athletes who join it later.",
        error_messages={"invalid_choice": "Choose one of your teams."},
    )
    start_date = forms.DateField(widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    sessions_per_week = forms.IntegerField(min_value=1, max_value=7, initial=2)
    weekdays = forms.TypedMultipleChoiceField(
        label="Preferred weekdays",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any day, spread over the week.",
    )
    min_gap_hours = forms.IntegerField(
        label="Minimum gap (hours)", min_value=0, max_value=168, initial=48
    )
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, user, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["athletes"].queryset = athletes_writable_by(
            user, organisation=organisation
        ).active()
        self.fields["team"].queryset = teams_visible_to(user, organisation=organisation)

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("athletes") and not data.get("team"):
            self.add_error("athletes", "Choose at least one athlete or a team.")
        return data


class RescheduleForm(forms.Form):
    date = forms.DateField(
        label="New date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )


class MonthForm(forms.Form):
    month = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        error_messages={"invalid": "Give the month as YYYY-MM, e.g. 2026-11."},
    )
