from django import forms

from .models import EventType


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where we POST the events: an https:// address on your server.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/baseline/webhook"}),
    )
    description = forms.CharField(max_length=120, required=False, help_text="For your notes.")
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Paused endpoints keep their events for later."
    )
