"""The flag inbox (open flags first; filter by team, test, status, kind), a flag's timeline,
dismissing (a reason is required) and resolving by hand, and the staff member's choice of
flag emails.

Staff only (athletes get a 403 before any lookup); flags are read through the selectors with
the active organisation, so another club's flag is a 404. Changes go through
assessments.services (flag_dismiss, flag_resolve) and assessments.preferences. With htmx an
action re-renders only the flag's card (400 with the error inline); without JavaScript the same
URLs take a normal POST and redirect back. The inbox runs a fixed number of queries.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Prefetch, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from athletes.context import staff_membership
from athletes.models import Athlete
from athletes.selectors import teams_visible_to

from . import preferences, services
from .forms import ACTIVE, DismissForm, FlagFilterForm, NotificationForm, ResolveForm
from .models import CLOSED, Flag, FlagStatus
from .selectors import flags_visible_to, tests_visible_to
from .views import STATUS_BADGES, is_htmx

PAGE_SIZE = 50
STATUS_ORDER = [
    FlagStatus.OPEN,
    FlagStatus.RETEST_DUE,
    FlagStatus.ON_PROTOCOL,
    FlagStatus.RESOLVED,
    FlagStatus.DISMISSED,
]


def _flags(request, organisation):
    teams = teams_visible_to(request.user, organisation=organisation)
    return (
        flags_visible_to(request.user, organisation=organisation)
        .select_related("athlete", "test", "protocol__template", "result")
        .prefetch_related(Prefetch("athlete__teams", queryset=teams))
    )


def _decorate(flag: Flag, today) -> Flag:
    flag.badge = STATUS_BADGES[flag.status]
    flag.overdue = bool(flag.retest_due and flag.retest_due <= today and not flag.is_closed)
    return flag


def _ordered(flags):
    rank = Case(
        *(When(status=s, then=Value(i)) for i, s in enumerate(STATUS_ORDER)),
        output_field=IntegerField(),
    )
    return flags.annotate(status_rank=rank).order_by(
        "status_rank", F("retest_due").asc(nulls_last=True), "-created_at", "-id"
    )


@login_required
def flag_list(request):
    membership = staff_membership(request)
    organisation = membership.organisation
    user = request.user
    form = FlagFilterForm(
        request.GET or None,
        teams=teams_visible_to(user, organisation=organisation),
        tests=tests_visible_to(user, organisation=organisation),
    )
    flags = _flags(request, organisation)
    valid = not form.is_bound or form.is_valid()
    if not valid:
        flags = flags.none()
    elif form.is_bound:
        data = form.cleaned_data
        if data["team"]:
            members = Athlete.teams.through.objects.filter(team=data["team"])
            flags = flags.filter(athlete_id__in=members.values("athlete_id"))
        if data["test"]:
            flags = flags.filter(test=data["test"])
        if data["status"] == ACTIVE:
            flags = flags.exclude(status__in=CLOSED)
        elif data["status"]:
            flags = flags.filter(status=data["status"])
        if data["kind"]:
            flags = flags.filter(kind=data["kind"])
    page = Paginator(_ordered(flags), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for flag in page.object_list:
        _decorate(flag, today)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "flags": page.object_list,
        "query": query.urlencode(),
        "organisation": organisation,
    }
    partial = is_htmx(request) and request.htmx.target == "flag-results"
    template = "assessments/_flag_results.html" if partial else "assessments/flag_list.html"
    response = render(request, template, context, status=200 if valid else 400)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _visible_flag(request, membership, pk: int) -> Flag:
    return get_object_or_404(_flags(request, membership.organisation), pk=pk)


def _detail_context(request, membership, flag, *, dismiss_form=None, resolve_form=None):
    _decorate(flag, timezone.localdate())
    labels = dict(FlagStatus.choices)
    events = list(flag.events.select_related("by"))
    for event in events:
        event.from_label = labels.get(event.from_status, "New")
        event.to_label = labels.get(event.to_status, event.to_status)
    return {
        "flag": flag,
        "events": events,
        "dismiss_form": dismiss_form or DismissForm(prefix=f"dismiss-{flag.pk}"),
        "resolve_form": resolve_form or ResolveForm(prefix=f"resolve-{flag.pk}"),
        "organisation": membership.organisation,
    }


@login_required
def flag_detail(request, pk: int):
    membership = staff_membership(request)
    flag = _visible_flag(request, membership, pk)
    return render(
        request, "assessments/flag_detail.html", _detail_context(request, membership, flag)
    )


def _next_url(request, flag) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("flag_detail", args=[flag.pk])


def _action_response(request, membership, flag, *, ok: str, dismiss_form, resolve_form):
    """The card (htmx), a redirect (done) or the flag page with the error (refused)."""
    failed = bool(dismiss_form.errors or resolve_form.errors)
    if not failed:
        flag = _visible_flag(request, membership, flag.pk)
    if is_htmx(request):
        context = {
            "flag": _decorate(flag, timezone.localdate()),
            "dismiss_form": dismiss_form,
            "resolve_form": resolve_form,
            "announce": ok if not failed else "",
            "next_url": request.POST.get("next", ""),
        }
        response = render(
            request, "assessments/_flag_card.html", context, status=400 if failed else 200
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    if not failed:
        messages.success(request, ok)
        return redirect(_next_url(request, flag))
    context = _detail_context(
        request, membership, flag, dismiss_form=dismiss_form, resolve_form=resolve_form
    )
    return render(request, "assessments/flag_detail.html", context, status=400)


@require_POST
@login_required
def flag_dismiss(request, pk: int):
    membership = staff_membership(request)
    flag = _visible_flag(request, membership, pk)
    form = DismissForm(request.POST, prefix=f"dismiss-{flag.pk}")
    if form.is_valid():
        try:
            services.flag_dismiss(
                flag=flag, dismissed_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
    return _action_response(
        request,
        membership,
        flag,
        ok=f"{flag.athlete.full_name}'s flag dismissed.",
        dismiss_form=form,
        resolve_form=ResolveForm(prefix=f"resolve-{flag.pk}"),
    )


@require_POST
@login_required
def flag_resolve(request, pk: int):
    membership = staff_membership(request)
    flag = _visible_flag(request, membership, pk)
    form = ResolveForm(request.POST, prefix=f"resolve-{flag.pk}")
    if form.is_valid():
        try:
            services.flag_resolve(
                flag=flag, resolved_by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
    return _action_response(
        request,
        membership,
        flag,
        ok=f"{flag.athlete.full_name}'s flag resolved.",
        dismiss_form=DismissForm(prefix=f"dismiss-{flag.pk}"),
        resolve_form=form,
    )


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request):
    membership = staff_membership(request)
    form = NotificationForm(request.POST or None, initial={"flag_email": membership.flag_email})
    if request.method == "POST" and form.is_valid():
        try:
            preferences.membership_notification_set(
                membership=membership, user=request.user, flag_email=form.cleaned_data["flag_email"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                f"Flag emails for {membership.organisation.name}: "
                f"{membership.get_flag_email_display().lower()}.",
            )
            return redirect("notification_settings")
    context = {"form": form, "membership": membership, "organisation": membership.organisation}
    status = 400 if form.is_bound else 200
    return render(request, "assessments/notification_settings.html", context, status=status)
