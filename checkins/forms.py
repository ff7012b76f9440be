"""The phone form of the morning check-in. It only validates and shapes input (limits come from
the model); `checkin_record` writes, and the errors it raises land on the fields they name."""

from __future__ import annotations

from django import forms

from programs.forms_today import scale_field

from .models import AREAS, CheckIn

FIVE = [(value, str(value)) for value in range(1, 6)]


def five_field(label: str, *, required: bool = False) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=FIVE,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose 1 to 5.", "required": "Choose 1 to 5."},
    )


class CheckInForm(forms.Form):
    client_uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "Reload the page: the check-in's id is not a UUID.",
            "required": "Reload the page: the check-in has no id.",
        },
    )
    date = forms.DateField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-stamp": "date"}),
        error_messages={"invalid": "Give the date as YYYY-MM-DD."},
    )
    readiness = five_field("Readiness", required=True)
    soreness = scale_field("Soreness")
    sleep_hours = forms.DecimalField(
        label="Sleep (hours)",
        required=False,
        min_value=0,
        max_value=24,
        max_digits=3,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
    )
    sleep_quality = five_field("Sleep quality")
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=CheckIn._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for area, label in AREAS:
            self.fields[f"{area}_pain"] = scale_field(f"{label} pain")
            self.fields[f"{area}_stiffness"] = scale_field(f"{label} stiffness")
        self.fields["readiness"].error_messages["required"] = "Choose how ready you feel, 1 to 5."

    def areas(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(label, self[f"{area}_pain"], self[f"{area}_stiffness"]) for area, label in AREAS]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("client_uuid")
        data.pop("date")
        return data
