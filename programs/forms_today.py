"""Forms of the athlete's phone page: one set, and completing the session.

They only validate and shape input (limits come from the models, so the browser gets the same
min/max the database enforces); the writes go through programs.services (`set_log`,
`session_complete`), and the errors those raise land back on the fields they name.
"""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator

from .models import LoadType, LoggedSet, Measurement, ScheduledSession

SCALE = [(value, str(value)) for value in range(11)]
MEASURE_LABELS = {
    Measurement.REPS: "Reps",
    Measurement.SECONDS: "Seconds",
    Measurement.CONTACTS: "Foot contacts",
    Measurement.METRES: "Metres",
}
SIDES = [("left", "Left"), ("right", "Right")]


def max_of(model, name: str) -> int | None:
    """The tightest MaxValueValidator limit of a model field."""
    limits = [
        v.limit_value
        for v in model._meta.get_field(name).validators
        if isinstance(v, MaxValueValidator)
    ]
    return min(limits) if limits else None


def scale_field(label: str, *, required: bool = False) -> forms.TypedChoiceField:
    """A 0–10 scale (RPE on Borg's CR-10, pain), shown as big segmented buttons."""
    return forms.TypedChoiceField(
        label=label,
        choices=SCALE,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose 0 to 10.", "required": "Choose 0 to 10."},
    )


def numeric(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", **attrs})


class SetForm(forms.Form):
    """One set. The measure field is named after the exercise's measurement (reps, seconds,
    contacts or metres); the side buttons appear for exercises done one side at a time."""

    client_uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"invalid": "Reload the page: the set's id is not a UUID."},
    )
    set_number = forms.IntegerField(min_value=1, max_value=99, widget=forms.HiddenInput)
    # Filled by the phone when the set is saved (static/js/offline.js), so a set typed offline
    # keeps the time it was done; without it the server's clock is used.
    performed_at = forms.DateTimeField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-stamp": "now"}),
        error_messages={"invalid": "Reload the page: the set's time is not a date and time."},
    )
    load_value = forms.DecimalField(
        label="Load",
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
    )
    load_type = forms.ChoiceField(
        label="Load unit",
        choices=LoadType.choices,
        initial=LoadType.NONE,
        error_messages={
            "invalid_choice": "Give the load in kg, %% body mass or bodyweight (or no load)."
        },
    )
    rpe = scale_field("RPE")
    pain = scale_field("Pain")
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=LoggedSet._meta.get_field("notes").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, measurement: str, per_side: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.measurement = measurement
        self.fields[measurement] = forms.IntegerField(
            label=MEASURE_LABELS.get(measurement, measurement.capitalize()),
            min_value=0,
            max_value=max_of(LoggedSet, measurement),
            widget=numeric(),
        )
        if per_side:
            self.fields["side"] = forms.ChoiceField(
                label="Side",
                choices=SIDES,
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Choose left or right.",
                    "invalid_choice": "Choose left or right.",
                },
            )
        self.order_fields([measurement, "side", "load_value", "load_type", "rpe", "pain"])

    @property
    def measure(self):
        return self[self.measurement]

    @property
    def step(self) -> int:
        """What the − / + buttons beside the measure change it by."""
        return 5 if self.measurement in (Measurement.SECONDS, Measurement.METRES) else 1

    @property
    def side(self):
        return self["side"] if "side" in self.fields else None

    @property
    def effort_open(self) -> bool:
        """Show the set's RPE, pain and note unfolded when something is in them."""
        names = ("rpe", "pain", "notes")
        return any(self[name].value() not in (None, "") or self[name].errors for name in names)

    def set_values(self) -> dict:
        """The keyword arguments for services.set_log (besides who, what and the UUID)."""
        data = self.cleaned_data
        return {
            "set_number": data["set_number"],
            "side": data.get("side", ""),
            self.measurement: data[self.measurement],
            "load_type": data["load_type"],
            "load_value": data["load_value"],
            "rpe": data["rpe"],
            "pain": data["pain"],
            "notes": data["notes"],
            "performed_at": data.get("performed_at"),
        }


def number(value) -> str:
    """A decimal without trailing zeros: "20.0" → "20", "22.50" → "22.5"."""
    return format(Decimal(str(value)).normalize(), "f")


def next_set(logged: list[LoggedSet], per_side: bool) -> tuple[str, int]:
    """The side and number of the next set: left, right, left, … for one-sided exercises."""
    if not per_side:
        return "", len(logged) + 1
    counts = Counter(s.side for s in logged)
    if counts["left"] > counts["right"]:
        return "right", counts["right"] + 1
    return "left", counts["left"] + 1


def fresh_form(
    *,
    measurement: str,
    per_side: bool,
    logged: list[LoggedSet],
    auto_id: str,
    target=None,
    load_type: str = LoadType.NONE,
    load_value=None,
    values: dict | None = None,
) -> SetForm:
    """An empty form for the next set with a new UUID, prefilled with the target and the load
    of the last set (else the plan's). `values`: what was sent, to offer again after a conflict."""
    side, set_number = next_set(logged, per_side)
    last = logged[-1] if logged else None
    if last is not None:
        load_type, load_value = last.load_type, last.load_value
        if target is None:
            target = getattr(last, measurement)
    initial = {
        "set_number": set_number,
        "side": side,
        measurement: target,
        "load_type": load_type,
        "load_value": None if load_value in (None, "") else number(load_value),
        **(values or {}),
        "client_uuid": uuid.uuid4(),
    }
    return SetForm(initial=initial, measurement=measurement, per_side=per_side, auto_id=auto_id)


class CompleteForm(forms.Form):
    """Completing the session: session RPE × minutes gives the session load (Foster)."""

    client_uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"invalid": "Reload the page: the completion's id is not a UUID."},
    )
    session_rpe = scale_field("Session RPE", required=True)
    duration_minutes = forms.IntegerField(
        label="Minutes",
        min_value=1,
        max_value=max_of(ScheduledSession, "duration_minutes"),
        widget=numeric(),
    )
    pain = scale_field("Pain")
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExerciseChoiceForm(forms.Form):
    """Which exercise of the library an ad hoc set is for."""

    exercise = forms.ModelChoiceField(
        label="Exercise",
        queryset=None,
        empty_label="Choose an exercise",
        error_messages={"invalid_choice": "Choose an exercise from your club's library."},
    )

    def __init__(self, *args, exercises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exercise"].queryset = exercises


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (or on the whole form)."""
    if hasattr(error, "error_dict"):
        error_dict = error.message_dict
    else:
        error_dict = {NON_FIELD_ERRORS: error.messages}
    for field, messages in error_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            if target is None and field != NON_FIELD_ERRORS:
                message = f"{field.replace('_', ' ').capitalize()}: {message}"
            form.add_error(target, message)
