"""Browser forms for the assessment pages. Forms check the shape of the input; the rules (the
plausible range, who may record, the dismiss reason) are checked once, in the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import fields_for_model
from django.utils import timezone

from athletes.forms import PlainLabelsMixin, add_service_errors
from athletes.models import FlagEmail

from .baselines import TEST_FIELDS
from .models import Comparator, FlagKind, FlagStatus, RuleKind, Test

SIDE_LABELS = {"left": "Left", "right": "Right", "both": "Result"}


def side_label(side: str) -> str:
    return SIDE_LABELS.get(side, side.capitalize())


class ServiceErrorsMixin:
    """Show a service's ValidationError on the fields it names."""

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


# --- the catalogue ------------------------------------------------------------------------------


class TestForm(ServiceErrorsMixin, PlainLabelsMixin, forms.Form):
    """A club's own test. The slug is made from the name."""

    __test__ = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(
                Test,
                fields=TEST_FIELDS,
                labels={
                    "per_side": "Measured per side (left and right)",
                    "trials": "Trials per side",
                    "combine": "Combine the trials as",
                    "higher_is_better": "A higher value is better",
                    "plausible_min": "Lowest plausible value",
                    "plausible_max": "Highest plausible value",
                    "decimals": "Decimals shown",
                },
                help_texts={
                    "plausible_max": "Values outside the plausible range are refused as typos.",
                },
                widgets={
                    "protocol": forms.Textarea(attrs={"rows": 5}),
                    "citation": forms.Textarea(attrs={"rows": 2}),
                },
            )
        )
        for name in ("plausible_min", "plausible_max", "measurement_error"):
            self.fields[name].widget.attrs.update(step="any", inputmode="decimal")


class BaselineForm(ServiceErrorsMixin, PlainLabelsMixin, forms.Form):
    """A club or team override of one kind of rule (or switching that kind off there)."""

    team = forms.ModelChoiceField(
        label="Applies to",
        queryset=None,
        required=False,
        empty_label="The whole club",
    )
    kind = forms.ChoiceField(label="Rule", choices=RuleKind.choices)
    comparator = forms.ChoiceField(
        label="Pass when the value is",
        choices=Comparator.choices,
        initial=Comparator.GTE,
        help_text="For thresholds; an LSI is always at least, a side difference at most.",
    )
    value = forms.DecimalField(
        label="Value",
        required=False,
        max_digits=9,
        decimal_places=2,
        help_text="Threshold in the test's unit; LSI in %; largest side difference. "
        "Not used for norms.",
    )
    active = forms.BooleanField(
        label="Rule on (untick to switch this kind of rule off here)",
        required=False,
        initial=True,
    )
    note = forms.CharField(label="Note", required=False, max_length=200)

    def __init__(self, *args, teams, test: Test, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        if not test.per_side:
            self.fields["kind"].choices = [
                (k, label)
                for k, label in RuleKind.choices
                if k not in (RuleKind.LSI, RuleKind.SIDE_DIFFERENCE)
            ]
        self.fields["value"].widget.attrs.update(step="any", inputmode="decimal")


# --- results ------------------------------------------------------------------------------------


class TrialsForm(ServiceErrorsMixin, PlainLabelsMixin, forms.Form):
    """Inputs per side × trial for one test ("left_1", "right_2", "both_1"), and the client UUID
    that makes saving the same entry twice store it once."""

    client_uuid = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, test: Test | None, label_suffix_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.for_test = test
        self.side_errors: dict[str, list[str]] = {}
        if test is None:
            return
        for side in test.sides:
            for trial in range(1, test.trials + 1):
                label = side_label(side) if test.trials == 1 else f"{side_label(side)} {trial}"
                self.fields[f"{side}_{trial}"] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=20,
                    widget=forms.NumberInput(
                        attrs={
                            "inputmode": "decimal",
                            "step": "any",
                            "autocomplete": "off",
                            "aria-label": f"{label} ({test.unit}){label_suffix_text}",
                        }
                    ),
                )

    def trial_names(self, side: str) -> list[str]:
        return [f"{side}_{trial}" for trial in range(1, self.for_test.trials + 1)]

    def raw(self, name: str) -> str:
        if not self.is_bound:
            return str(self.initial.get(name, "") or "")
        return (self.data.get(self.add_prefix(name)) or "").strip()

    def trials(self) -> dict[str, list[str]]:
        """The typed values per side, empty boxes left out (the service checks them)."""
        return {
            side: [v for v in (self.raw(n) for n in self.trial_names(side)) if v]
            for side in self.for_test.sides
        }

    def every_box_filled(self) -> bool:
        return all(self.raw(n) for side in self.for_test.sides for n in self.trial_names(side))

    def fieldsets(self) -> list[dict]:
        return [
            {
                "side": side,
                "label": side_label(side),
                "fields": [self[name] for name in self.trial_names(side)],
                "errors": self.side_errors.get(side, []),
            }
            for side in (self.for_test.sides if self.for_test else [])
        ]

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors about a side stay with that side and name it ("Left: …")."""
        errors = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {NON_FIELD_ERRORS: error.messages}
        )
        rest = {}
        for key, messages in errors.items():
            if self.for_test is not None and key in self.for_test.sides:
                self.side_errors[key] = [f"{side_label(key)}: {m}" for m in messages]
            else:
                rest[key] = messages
        if rest:
            add_service_errors(self, ValidationError(rest))

    @property
    def all_errors(self) -> list[str]:
        listed = [m for messages in self.side_errors.values() for m in messages]
        for field, messages in self.errors.items():
            label = self.fields[field].label if field in self.fields else ""
            listed += [f"{label}: {m}" if label else m for m in messages]
        return listed


class ResultForm(TrialsForm):
    """A result for one athlete: the test, the date, the trials and a note."""

    test = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    date = forms.DateField(
        label="Date",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    notes = forms.CharField(label="Notes", required=False, max_length=300)

    def __init__(self, *args, tests, test: Test | None = None, **kwargs):
        data = args[0] if args else kwargs.get("data")
        if test is None and data is not None:
            test = tests.filter(pk=_int(data.get("test"))).first()
        super().__init__(*args, test=test, **kwargs)
        self.fields["test"].queryset = tests
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate().isoformat())
            if test is not None:
                self.initial.setdefault("test", test.pk)


class TestChoiceForm(PlainLabelsMixin, forms.Form):
    __test__ = False

    test = forms.ModelChoiceField(
        label="Test", queryset=None, required=False, empty_label="Choose a test"
    )

    def __init__(self, *args, tests, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["test"].queryset = tests


class TestDayForm(ServiceErrorsMixin, PlainLabelsMixin, forms.Form):
    __test__ = False

    team = forms.ModelChoiceField(label="Team", queryset=None, empty_label="Choose a team")
    test = forms.ModelChoiceField(label="Test", queryset=None, empty_label="Choose a test")
    date = forms.DateField(
        label="Date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    notes = forms.CharField(label="Notes", required=False, max_length=200)

    def __init__(self, *args, teams, tests, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["test"].queryset = tests
        self.initial.setdefault("date", timezone.localdate().isoformat())


# --- flags --------------------------------------------------------------------------------------

ACTIVE = "active"


class FlagFilterForm(PlainLabelsMixin, forms.Form):
    team = forms.ModelChoiceField(
        label="Team", queryset=None, required=False, empty_label="All teams"
    )
    test = forms.ModelChoiceField(
        label="Test", queryset=None, required=False, empty_label="All tests"
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), (ACTIVE, "Not closed"), *FlagStatus.choices],
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *FlagKind.choices]
    )

    def __init__(self, *args, teams, tests, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["test"].queryset = tests


class DismissForm(ServiceErrorsMixin, PlainLabelsMixin, forms.Form):
    # Required by the service (flag_dismiss), which says so with the field named.
    reason = forms.CharField(label="Reason", required=False, max_length=300)


class ResolveForm(ServiceErrorsMixin, PlainLabelsMixin, forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=300)


class NotificationForm(ServiceErrorsMixin, PlainLabelsMixin, forms.Form):
    flag_email = forms.ChoiceField(
        label="Email me about flags", choices=FlagEmail.choices, widget=forms.RadioSelect
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
