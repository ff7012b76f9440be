"""The coach pages: home, roster, athlete profiles, teams, and accepting an invite.

Reads go through selectors.py and writes through services.py. An object the user may not see is
a 404; a role that may not use a page at all (an athlete on the roster) is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from insights.athlete import athlete_insight

from . import services
from .context import activate_organisation, active_membership, staff_membership
from .forms import (
    AthleteForm,
    InviteForm,
    RosterFilterForm,
    TeamEditForm,
    TeamForm,
    add_service_errors,
)
from .models import Athlete, Membership, Role, Team
from .selectors import (
    athlete_profile_of,
    athletes_visible_to,
    athletes_writable_by,
    is_staff_in,
    membership_in,
    sees_medical_notes,
    teams_visible_to,
    teams_writable_by,
)

# --- helpers -------------------------------------------------------------------------------------


def _require_staff(user, organisation_id: int) -> Membership:
    """The user's staff membership in the organisation, else 403 (the object exists for them)."""
    if not is_staff_in(user, organisation_id):
        raise PermissionDenied("Coach pages are for the club's staff.")
    return membership_in(user, organisation_id)


def _visible_athlete(request, pk: int) -> Athlete:
    """An athlete the user sees (404 otherwise), for staff of the athlete's club (403 otherwise)."""
    athlete = get_object_or_404(
        athletes_visible_to(request.user, include_archived=True).select_related(
            "organisation", "user"
        ),
        pk=pk,
    )
    _require_staff(request.user, athlete.organisation_id)
    return athlete


def _writable_athlete(request, pk: int) -> Athlete:
    athlete = _visible_athlete(request, pk)
    writable = athletes_writable_by(request.user, organisation=athlete.organisation_id)
    if not writable.filter(pk=athlete.pk).exists():
        raise Http404("No athlete matches the given query.")
    return athlete


def _visible_team(request, pk: int) -> Team:
    team = get_object_or_404(teams_visible_to(request.user).select_related("organisation"), pk=pk)
    _require_staff(request.user, team.organisation_id)
    return team


def login_status(athlete: Athlete) -> str:
    """none: no login; invited: a login without a password yet; active: they can log in."""
    if athlete.user_id is None:
        return "none"
    return "active" if athlete.user.has_usable_password() else "invited"


def _is_htmx_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


# --- home and organisation switch -----------------------------------------------------------------


@login_required
def home(request):
    membership = active_membership(request)
    if membership is None:
        return render(request, "athletes/home.html")
    organisation = membership.organisation
    if membership.is_staff_role:
        from insights.views_dashboard import dashboard_page

        return dashboard_page(request, membership)  # the staff's home is their dashboard
    context = {
        "membership": membership,
        "organisation": organisation,
        "profile": athlete_profile_of(request.user, organisation=organisation),
        "teams": teams_visible_to(request.user, organisation=organisation),
    }
    return render(request, "athletes/home_athlete.html", context)


@require_POST
@login_required
def organisation_switch(request):
    try:
        organisation_id = int(request.POST.get("organisation_id", ""))
    except ValueError:
        raise Http404("No such organisation.") from None
    membership = activate_organisation(request, organisation_id)
    if membership is None:
        raise Http404("No such organisation.")
    messages.success(request, f"You are now working in {membership.organisation.name}.")
    return redirect("home")


# --- roster -------------------------------------------------------------------------------------


@login_required
def athlete_list(request):
    membership = staff_membership(request)
    organisation = membership.organisation
    user = request.user
    form = RosterFilterForm(request.GET, user=user, organisation=organisation)
    valid = form.is_valid()
    include_archived = valid and form.cleaned_data["archived"]
    athletes = (
        athletes_visible_to(user, organisation=organisation, include_archived=include_archived)
        .select_related("user")
        .prefetch_related(
            Prefetch("teams", queryset=teams_visible_to(user, organisation=organisation))
        )
    )
    if not valid:
        athletes = athletes.none()
    else:
        for term in form.cleaned_data["q"].split():
            athletes = athletes.filter(
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(email__icontains=term)
            )
        if form.cleaned_data["team"]:
            athletes = athletes.filter(teams=form.cleaned_data["team"])
    today = timezone.localdate()
    rows = list(athletes)
    for athlete in rows:
        athlete.age = athlete.age_on(today)
        athlete.login_status = login_status(athlete)
    context = {"form": form, "athletes": rows, "organisation": organisation}
    template = (
        "athletes/_roster_table.html" if _is_htmx_partial(request) else "athletes/roster.html"
    )
    response = render(request, template, context, status=200 if valid else 400)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- one athlete --------------------------------------------------------------------------------


def _detail_context(request, athlete: Athlete, invite_form: InviteForm | None = None) -> dict:
    user = request.user
    return {
        "athlete": athlete,
        "organisation": athlete.organisation,
        "teams": teams_visible_to(user, organisation=athlete.organisation_id).filter(
            athletes=athlete
        ),
        "age": athlete.age_on(timezone.localdate()),
        "login_status": login_status(athlete),
        "shows_medical": sees_medical_notes(user, athlete.organisation_id),
        "can_write": athletes_writable_by(user, organisation=athlete.organisation_id)
        .filter(pk=athlete.pk)
        .exists(),
        "invite_form": invite_form or InviteForm(initial={"email": athlete.email}),
        "insight": athlete_insight(user=user, athlete=athlete),
    }


@login_required
def athlete_detail(request, pk: int):
    athlete = _visible_athlete(request, pk)
    return render(request, "athletes/athlete_detail.html", _detail_context(request, athlete))


@login_required
def athlete_create(request):
    membership = staff_membership(request)
    form = AthleteForm(
        request.POST or None, user=request.user, organisation=membership.organisation
    )
    if request.method == "POST" and form.is_valid() and (athlete := form.save()):
        messages.success(request, f"{athlete.full_name} added to the roster.")
        return redirect("athlete_detail", pk=athlete.pk)
    context = {"form": form, "organisation": membership.organisation}
    return render(
        request, "athletes/athlete_form.html", context, status=400 if form.is_bound else 200
    )


@login_required
def athlete_edit(request, pk: int):
    athlete = _writable_athlete(request, pk)
    form = AthleteForm(
        request.POST or None,
        instance=athlete,
        user=request.user,
        organisation=athlete.organisation,
    )
    if request.method == "POST" and form.is_valid() and form.save():
        messages.success(request, "Profile saved.")
        return redirect("athlete_detail", pk=athlete.pk)
    if form.is_bound:
        athlete.refresh_from_db()  # the form wrote its input onto the instance; show saved values
    context = {"form": form, "athlete": athlete, "organisation": athlete.organisation}
    return render(
        request, "athletes/athlete_form.html", context, status=400 if form.is_bound else 200
    )


@require_POST
@login_required
def athlete_archive(request, pk: int):
    athlete = _writable_athlete(request, pk)
    services.athlete_archive(athlete=athlete, archived_by=request.user)
    messages.success(request, f"{athlete.full_name} is archived: hidden from the roster.")
    return redirect("athlete_detail", pk=athlete.pk)


@require_POST
@login_required
def athlete_restore(request, pk: int):
    athlete = _writable_athlete(request, pk)
    services.athlete_restore(athlete=athlete, restored_by=request.user)
    messages.success(request, f"{athlete.full_name} is back on the roster.")
    return redirect("athlete_detail", pk=athlete.pk)


@require_POST
@login_required
def athlete_invite(request, pk: int):
    athlete = _writable_athlete(request, pk)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            user = services.athlete_invite(
                athlete=athlete, invited_by=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if user.has_usable_password():  # someone who logs in already: nothing to send
                messages.success(request, f"{user.email} already has a login; linked to it.")
            else:
                messages.success(request, f"Invite sent to {user.email}.")
            return redirect("athlete_detail", pk=athlete.pk)
    context = _detail_context(request, athlete, invite_form=form)
    return render(request, "athletes/athlete_detail.html", context, status=400)


# --- teams --------------------------------------------------------------------------------------


@login_required
def team_list(request):
    membership = staff_membership(request)
    teams = (
        teams_visible_to(request.user, organisation=membership.organisation)
        .annotate(athlete_count=Count("athletes", filter=Q(athletes__archived_at__isnull=True)))
        .order_by("name")
    )  # GROUP BY queries ignore Meta.ordering
    context = {
        "teams": teams,
        "organisation": membership.organisation,
        "can_create": membership.role == Role.OWNER,
    }
    return render(request, "athletes/team_list.html", context)


@login_required
def team_detail(request, pk: int):
    team = _visible_team(request, pk)
    user = request.user
    context = {
        "team": team,
        "organisation": team.organisation,
        "athletes": athletes_visible_to(user, organisation=team.organisation_id).filter(teams=team),
        "coaches": team.coach_memberships.filter(role=Role.COACH).select_related("user"),
        "can_edit": teams_writable_by(user, organisation=team.organisation_id)
        .filter(pk=team.pk)
        .exists(),
    }
    return render(request, "athletes/team_detail.html", context)


@login_required
def team_create(request):
    membership = staff_membership(request)
    if membership.role != Role.OWNER:
        raise PermissionDenied("Only the head coach creates teams.")
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(organisation=membership.organisation, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect("team_detail", pk=team.pk)
    context = {"form": form, "organisation": membership.organisation}
    return render(request, "athletes/team_form.html", context, status=400 if form.is_bound else 200)


@transaction.atomic
@login_required
def team_edit(request, pk: int):
    team = _visible_team(request, pk)
    if (
        not teams_writable_by(request.user, organisation=team.organisation_id)
        .filter(pk=pk)
        .exists()
    ):
        raise PermissionDenied("Only the head coach changes teams.")
    form = TeamEditForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, updated_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Team saved.")
            return redirect("team_detail", pk=team.pk)
    context = {"form": form, "team": team, "organisation": team.organisation}
    return render(request, "athletes/team_form.html", context, status=400 if form.is_bound else 200)


# --- invite acceptance --------------------------------------------------------------------------


class InviteAcceptView(PasswordResetConfirmView):
    """The link in an invite email: choose a password, then straight in: an athlete lands on
    today's session (the phone page), anyone else on the home page."""

    template_name = "athletes/invite_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def _profile(self) -> Athlete | None:
        return athlete_profile_of(self.user) if self.user is not None else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        profile = self._profile() if self.validlink else None
        context["organisation"] = profile.organisation if profile else None
        return context

    def get_success_url(self) -> str:
        return str(reverse_lazy("today") if self._profile() is not None else self.success_url)

    def form_valid(self, form):
        response = super().form_valid(form)
        profile = self._profile()
        if profile is not None:
            activate_organisation(self.request, profile.organisation_id)
        messages.success(self.request, "Your password is set. Welcome to Baseline.")
        return response
