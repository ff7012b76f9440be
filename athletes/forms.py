"""Browser forms for the coach pages. Forms validate input; every write goes to services.py."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from . import services
from .models import Athlete, Membership, Organisation, Role, Sex, Side, Team, User
from .selectors import sees_medical_notes, teams_assignable_by, teams_visible_to

# Database constraints report their message but not their field; say which field each is about.
CONSTRAINT_FIELDS = {
    constraint.violation_error_message: field
    for model, name, field in [
        (Athlete, "athlete_email_unique_in_organisation", "email"),
        (Team, "team_name_unique_in_organisation", "name"),
    ]
    for constraint in model._meta.constraints
    if constraint.name == name
}


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form fields it names (or on the whole form)."""
    error_dict = (
        error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    )
    for field, messages in error_dict.items():
        for message in messages:
            target = field if field in form.fields else None
            if CONSTRAINT_FIELDS.get(message) in form.fields:
                target = CONSTRAINT_FIELDS[message]
            if target is None and field != NON_FIELD_ERRORS:
                message = f"{field.replace('_', ' ').capitalize()}: {message}"
            form.add_error(target, message)


class PlainLabelsMixin:
    """Labels without Django's trailing colon, as the rest of the site writes them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RosterFilterForm(PlainLabelsMixin, forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), required=False, empty_label="All teams"
    )
    archived = forms.BooleanField(label="Include archived athletes", required=False)

    def __init__(self, *args, user: User, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_visible_to(user, organisation=organisation)
        self.fields["q"].widget.attrs.update(
            type="search", placeholder="Name or email", autocomplete="off"
        )


class AthleteForm(PlainLabelsMixin, forms.ModelForm):
    """An athlete's profile and the teams they are on. Medical notes only for medical roles."""

    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Athlete
        fields = list(services.PROFILE_FIELDS)
        labels = {"notes": "Coaching notes"}
        widgets = {
            "date_of_birth": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "medical_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.organisation = organisation
        assignable = teams_assignable_by(user, organisation=organisation)
        self.fields["teams"].queryset = assignable
        if self.instance.pk:
            allowed = set(assignable.values_list("id", flat=True))
            self.initial["teams"] = [t.pk for t in self.instance.teams.all() if t.pk in allowed]
        if not sees_medical_notes(user, organisation.id):
            del self.fields["medical_notes"]
        self.fields["sex"].choices = [("", "Not recorded"), *Sex.choices]
        self.fields["dominant_side"].choices = [("", "Not recorded"), *Side.choices]
        self.fields["body_mass_kg"].widget.attrs.update(step="0.1", inputmode="decimal")
        self.fields["email"].help_text = "Used to invite the athlete to log their sessions."

    def save(self, commit: bool = True) -> Athlete | None:
        """Create or update through the services; on a rule broken there, None and form errors."""
        profile = {
            name: self.cleaned_data[name] for name in services.PROFILE_FIELDS if name in self.fields
        }
        teams = list(self.cleaned_data["teams"])
        try:
            if self.instance.pk:
                return services.athlete_update(
                    athlete=self.instance, updated_by=self.user, teams=teams, **profile
                )
            return services.athlete_create(
                organisation=self.organisation, created_by=self.user, teams=teams, **profile
            )
        except ValidationError as error:
            add_service_errors(self, error)
            return None


class InviteForm(PlainLabelsMixin, forms.Form):
    email = forms.EmailField(label="Email address for the login")


class TeamForm(PlainLabelsMixin, forms.Form):
    name = forms.CharField(max_length=80)
    sport = forms.CharField(max_length=60, required=False)


class CoachChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return str(obj.user)


class TeamEditForm(TeamForm):
    coaches = CoachChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Coaches see and change the athletes of the teams they coach.",
    )

    def __init__(self, *args, team: Team, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": team.name,
                "sport": team.sport,
                "coaches": [m.pk for m in team.coach_memberships.filter(role=Role.COACH)],
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["coaches"].queryset = (
            Membership.objects.filter(organisation_id=team.organisation_id, role=Role.COACH)
            .select_related("user")
            .prefetch_related("teams")
            .order_by("user__first_name", "user__last_name", "user__email")
        )
