"""The test catalogue: the list with the club's rules in words, a test's page (protocol, rules by
scope, norm tables, the club and team overrides), and adding a club's own test.

Staff only (athletes get a 403 before any lookup); tests and rules are read through the
selectors with the active organisation, so another club's test or rule is a 404. Owners and
physios change the rules (assessments.baselines); a coach who tries gets a 403.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from athletes.context import staff_membership
from athletes.selectors import teams_visible_to

from . import baselines as rules
from .forms import BaselineForm, TestForm
from .models import RuleKind
from .selectors import baselines_visible_to, tests_visible_to
from .views import baseline_words, club_rules, norm_table, rule_words, scope_label


def _baselines(request, organisation):
    """The global and club rules, and the rules of the teams the user sees."""
    teams = teams_visible_to(request.user, organisation=organisation)
    return baselines_visible_to(request.user, organisation=organisation).filter(
        Q(team__isnull=True) | Q(team__in=teams)
    )


@login_required
def test_list(request):
    membership = staff_membership(request)
    organisation = membership.organisation
    tests = list(tests_visible_to(request.user, organisation=organisation))
    by_test = defaultdict(list)
    for baseline in _baselines(request, organisation).select_related("team").order_by("id"):
        by_test[baseline.test_id].append(baseline)
    for test in tests:
        test.club_rules = [baseline_words(b, test) for b in club_rules(test, by_test[test.id])]
        test.team_overrides = [b for b in by_test[test.id] if b.team_id]
    context = {"tests": tests, "organisation": organisation}
    return render(request, "assessments/test_list.html", context)


def _detail_context(request, membership, test, form=None) -> dict:
    organisation = membership.organisation
    baselines = list(
        _baselines(request, organisation)
        .filter(test=test)
        .select_related("team", "updated_by")
        .prefetch_related("norms")
        .order_by("id")
    )
    order = list(RuleKind.values)
    baselines.sort(key=lambda b: (order.index(b.kind), b.team_id is not None, b.scope, b.id))
    in_effect = {b.id for b in club_rules(test, baselines)}
    overridden = {b.kind for b in baselines if b.organisation_id and not b.team_id}
    for baseline in baselines:
        baseline.words = (
            rule_words(baseline.kind, baseline.comparator, baseline.value, test)
            if baseline.value is not None or baseline.kind == RuleKind.NORM
            else "–"
        )
        baseline.scope_text = scope_label(baseline)
        if baseline.team_id:
            baseline.state = "for this team" if baseline.active else "off for this team"
        elif baseline.id in in_effect:
            baseline.state = "in effect"
        elif baseline.organisation_id is None and baseline.kind in overridden:
            baseline.state = "overridden by the club"
        elif baseline.organisation_id is not None:
            baseline.state = "off for the club"
        else:
            baseline.state = "switched off"
        baseline.norm_rows = norm_table(baseline) if baseline.kind == RuleKind.NORM else []
    can_set = rules.may_set_rules(request.user, organisation.id)
    teams = teams_visible_to(request.user, organisation=organisation)
    if form is None and can_set:
        form = BaselineForm(teams=teams, test=test)
    return {
        "test": test,
        "organisation": organisation,
        "baselines": baselines,
        "can_set_rules": can_set,
        "form": form,
    }


def _visible_test(request, membership, pk: int):
    tests = tests_visible_to(request.user, organisation=membership.organisation)
    return get_object_or_404(tests, pk=pk)


@login_required
def test_detail(request, pk: int):
    membership = staff_membership(request)
    test = _visible_test(request, membership, pk)
    return render(
        request, "assessments/test_detail.html", _detail_context(request, membership, test)
    )


@login_required
def test_create(request):
    membership = staff_membership(request)
    form = TestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            test = rules.test_create(
                organisation=membership.organisation,
                created_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{test.name} added to the club's tests.")
            return redirect("test_detail", pk=test.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "organisation": membership.organisation}
    return render(request, "assessments/test_form.html", context, status=status)


@require_POST
@login_required
def baseline_save(request, pk: int):
    membership = staff_membership(request)
    test = _visible_test(request, membership, pk)
    organisation = membership.organisation
    if not rules.may_set_rules(request.user, organisation.id):
        raise PermissionDenied("Only the head coach and physios change the club's baselines.")
    form = BaselineForm(
        request.POST, teams=teams_visible_to(request.user, organisation=organisation), test=test
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            baseline = rules.baseline_set(
                test=test,
                organisation=organisation,
                team=data["team"],
                kind=data["kind"],
                comparator=data["comparator"],
                value=data["value"],
                active=data["active"],
                note=data["note"],
                set_by=request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            where = baseline.team.name if baseline.team_id else organisation.name
            messages.success(request, f"{where}: {baseline_words(baseline, test)} ({test.name}).")
            return redirect("test_detail", pk=test.pk)
    context = _detail_context(request, membership, test, form=form)
    return render(request, "assessments/test_detail.html", context, status=400)


@require_POST
@login_required
def baseline_remove(request, pk: int, baseline_id: int):
    membership = staff_membership(request)
    test = _visible_test(request, membership, pk)
    organisation = membership.organisation
    baseline = get_object_or_404(
        _baselines(request, organisation).filter(test=test, organisation=organisation),
        pk=baseline_id,
    )
    if not rules.may_set_rules(request.user, organisation.id):
        raise PermissionDenied("Only the head coach and physios change the club's baselines.")
    rules.baseline_remove(baseline=baseline, removed_by=request.user)
    messages.success(request, "Override removed: the broader rule applies again.")
    return redirect("test_detail", pk=test.pk)
