"""Forms of the exercise library: the filter bar and the add/edit form.

Forms only validate and shape input; the writes go through programs.services.
"""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from .models import Category, Equipment, Exercise, Measurement, Muscle

NAME_MAX_LENGTH = Exercise._meta.get_field("name").max_length
SOURCE_MAX_LENGTH = Exercise._meta.get_field("source").max_length
CUE_MAX_LENGTH = Exercise._meta.get_field("cues").base_field.max_length
# "None" reads badly beside "Any equipment" and in a list of checkboxes.
EQUIPMENT_CHOICES = [
    (value, "No equipment" if value == Equipment.NONE else label)
    for value, label in Equipment.choices
]


class ExerciseFilterForm(forms.Form):
    """The library's filter bar (GET). Every field is optional; an unknown choice is an error."""

    label_suffix = ""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=120,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search exercises", "autocomplete": "off"}
        ),
    )
    category = forms.ChoiceField(
        label="Category", required=False, choices=[("", "All categories"), *Category.choices]
    )
    muscle = forms.ChoiceField(
        label="Muscle", required=False, choices=[("", "All muscles"), *Muscle.choices]
    )
    equipment = forms.ChoiceField(
        label="Equipment", required=False, choices=[("", "Any equipment"), *EQUIPMENT_CHOICES]
    )
    scope = forms.ChoiceField(
        label="Our exercises only", required=False, choices=[("", "All"), ("own", "Ours")]
    )


class ExerciseForm(forms.Form):
    """Add or change one of the organisation's own exercises.

    `existing` is the organisation's own library (to refuse a duplicate name); `instance` is the
    exercise being edited, if any.
    """

    label_suffix = ""

    name = forms.CharField(max_length=NAME_MAX_LENGTH)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    cues = forms.CharField(
        label="Coaching cues",
        required=False,
        help_text="One cue per line.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    category = forms.ChoiceField(choices=Category.choices)
    muscles = forms.MultipleChoiceField(
        required=False, choices=Muscle.choices, widget=forms.CheckboxSelectMultiple
    )
    equipment = forms.MultipleChoiceField(
        required=False, choices=EQUIPMENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    measurement = forms.ChoiceField(
        choices=Measurement.choices, help_text="How a set of this exercise is counted."
    )
    per_side = forms.BooleanField(
        label="Per side", required=False, help_text="Done one side at a time."
    )
    source = forms.CharField(
        required=False,
        max_length=SOURCE_MAX_LENGTH,
        help_text="Where the exercise comes from (optional).",
    )

    def __init__(
        self, *args, existing: QuerySet[Exercise], instance: Exercise | None = None, **kwargs
    ):
        self.existing = existing
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)

    @staticmethod
    def initial_from(exercise: Exercise) -> dict:
        return {
            "name": exercise.name,
            "description": exercise.description,
            "cues": "\n".join(exercise.cues),
            "category": exercise.category,
            "muscles": list(exercise.muscles),
            "equipment": list(exercise.equipment),
            "measurement": exercise.measurement,
            "per_side": exercise.per_side,
            "source": exercise.source,
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        duplicates = self.existing.filter(name__iexact=name)
        if self.instance is not None:
            duplicates = duplicates.exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise forms.ValidationError(
                "Your library already has an exercise with this name.", code="duplicate"
            )
        return name

    def clean_cues(self) -> list[str]:
        cues = [line.strip() for line in self.cleaned_data["cues"].splitlines()]
        cues = [cue for cue in cues if cue]
        for number, cue in enumerate(cues, start=1):
            if len(cue) > CUE_MAX_LENGTH:
                raise forms.ValidationError(
                    f"Cue {number} is longer than {CUE_MAX_LENGTH} characters.", code="max_length"
                )
        return cues
