"""Results: one athlete's results and the form to record one, test days and their grid (one
small form per athlete, saved as typed), and an athlete's own results with their flags.

Coach pages are staff only (athletes get a 403 before any lookup); athletes, results and test
days are read through the selectors with the active organisation, so anything else is a 404.
Every result is stored by assessments.services.result_record; a grid row shows pass or fail at
once, evaluated here for the screen, while the worker's evaluation drives the flag loop. The
grid runs a fixed number of queries however many athletes the team has.
"""

from __future__ import annotations

import uuid
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods

from athletes.context import active_membership, staff_membership
from athletes.selectors import athlete_profile_of, athletes_visible_to, teams_visible_to

from . import services
from .evaluation import Person
from .forms import ResultForm, TestChoiceForm, TestDayForm, TrialsForm, side_label
from .models import CLOSED, Result
from .selectors import (
    baselines_visible_to,
    flags_visible_to,
    results_visible_to,
    rules_for,
    test_days_visible_to,
    tests_visible_to,
)
from .views import (
    STATUS_BADGES,
    evaluate_for_display,
    flag_in_words,
    is_htmx,
    number,
    trials_text,
    values_of,
    values_text,
)

CONFLICT = "This row was saved before with other values: press Edit to record a correction."


def _describe(result: Result) -> Result:
    test = result.test
    result.values_text = values_text(test, values_of(result))
    result.trials_text = trials_text(test, result.trials)
    result.lsi_text = f"{number(result.lsi)} %" if result.lsi is not None else ""
    return result


def _rule_baselines(user, organisation, tests) -> list:
    """The rules of these tests for the club (global, club, teams), norms included: one query
    pair, passed to rules_for so rows cost nothing more."""
    return list(
        baselines_visible_to(user, organisation=organisation)
        .filter(test__in=tests)
        .prefetch_related("norms")
        .order_by("id")
    )


# --- one athlete's results -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def athlete_results(request, athlete_id: int):
    membership = staff_membership(request)
    organisation = membership.organisation
    user = request.user
    athlete = get_object_or_404(
        athletes_visible_to(user, organisation=organisation, include_archived=True),
        pk=athlete_id,
    )
    tests = tests_visible_to(user, organisation=organisation)
    choice = TestChoiceForm(request.GET or None, tests=tests)
    chosen = choice.cleaned_data["test"] if choice.is_valid() else None
    status = 200
    if request.method == "POST":
        form = ResultForm(request.POST, tests=tests)
        status = 400
        if form.is_valid():
            test = form.cleaned_data["test"]
            try:
                result, created = services.result_record(
                    athlete=athlete,
                    test=test,
                    trials=form.trials(),
                    recorded_by=user,
                    date=form.cleaned_data["date"],
                    notes=form.cleaned_data["notes"],
                    client_uuid=form.cleaned_data["client_uuid"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except services.ResultConflict:
                form.add_error(None, "This entry was saved before with other values.")
                status = 422
            else:
                saved = "Saved" if created else "Already saved"
                messages.success(
                    request,
                    f"{saved}: {test.name} {values_text(test, values_of(result))} for "
                    f"{athlete.full_name}.",
                )
                url = reverse("athlete_results", args=[athlete.pk])
                return redirect(f"{url}#test-{test.pk}")
        chosen = form.for_test
        choice = TestChoiceForm(initial={"test": chosen}, tests=tests)
    else:
        form = ResultForm(tests=tests, test=chosen, initial={"client_uuid": uuid.uuid4()})
    context = {"athlete": athlete, "form": form, "choice": choice, "organisation": organisation}
    if is_htmx(request) and request.htmx.target == "record-result":
        response = render(request, "assessments/_result_form.html", context, status=status)
    else:
        results = [
            _describe(r)
            for r in results_visible_to(user, organisation=organisation)
            .filter(athlete=athlete)
            .select_related("test", "recorded_by", "test_day")
            .order_by("test__name", "test_id", "-date", "-id")
        ]
        context["groups"] = [
            (results_of_test[0].test, results_of_test)
            for results_of_test in (list(g) for _, g in groupby(results, key=lambda r: r.test_id))
        ]
        context["flags"] = list(
            flags_visible_to(user, organisation=organisation)
            .filter(athlete=athlete)
            .exclude(status__in=CLOSED)
            .select_related("test")
        )
        for flag in context["flags"]:
            flag.badge = STATUS_BADGES[flag.status]
        response = render(request, "assessments/athlete_results.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- test days -----------------------------------------------------------------------------------


def _test_days(request, organisation):
    """The club's test days, of the teams the user sees."""
    teams = teams_visible_to(request.user, organisation=organisation)
    return test_days_visible_to(request.user, organisation=organisation).filter(
        Q(team__in=teams) | Q(team__isnull=True)
    )


def _visible_test_day(request, membership, pk: int):
    return get_object_or_404(
        _test_days(request, membership.organisation).select_related("test", "team"), pk=pk
    )


def _grid_athletes(request, membership, test_day):
    """The team's active athletes the user sees, with their teams for rules_for."""
    if test_day.team_id is None:
        return athletes_visible_to(request.user).none()
    return (
        athletes_visible_to(request.user, organisation=membership.organisation)
        .filter(teams=test_day.team_id)
        .prefetch_related("teams")
    )


@login_required
def test_day_list(request):
    membership = staff_membership(request)
    test_days = (
        _test_days(request, membership.organisation)
        .select_related("test", "team", "created_by")
        .annotate(result_count=Count("results"))
    )
    context = {"test_days": test_days, "organisation": membership.organisation}
    return render(request, "assessments/test_day_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def test_day_create(request):
    membership = staff_membership(request)
    organisation = membership.organisation
    form = TestDayForm(
        request.POST or None,
        teams=teams_visible_to(request.user, organisation=organisation),
        tests=tests_visible_to(request.user, organisation=organisation),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            test_day = services.test_day_create(
                test=data["test"],
                created_by=request.user,
                date=data["date"],
                team=data["team"],
                notes=data["notes"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("test_day_detail", pk=test_day.pk)
    context = {"form": form, "organisation": organisation}
    status = 400 if form.is_bound else 200
    return render(request, "assessments/test_day_form.html", context, status=status)


def _row(test_day, athlete, baselines, *, result=None, form=None, edit=False, note="") -> dict:
    """One row of the grid: the saved result (read-only, with pass or fail), or the inputs."""
    test = test_day.test
    row = {"athlete": athlete, "result": result, "note": note, "form": form}
    if result is not None and form is None and not edit:
        _describe(result)
        row["cells"] = [
            number(values[trial]) if trial < len(values) else "–"
            for side in test.sides
            for values in [result.trials.get(side, [])]
            for trial in range(test.trials)
        ]
        row["evaluation"] = evaluate_for_display(
            test, athlete, values_of(result), result.date, baselines=baselines
        )
        return row
    if form is None:
        initial = {"client_uuid": uuid.uuid4()}
        if result is not None:  # correcting: start from the saved values
            for side, values in result.trials.items():
                for trial, value in enumerate(values, start=1):
                    initial[f"{side}_{trial}"] = number(value)
        row["form"] = _trials_form(test, athlete, initial=initial)
    return row


def _trials_form(test, athlete, data=None, initial=None) -> TrialsForm:
    return TrialsForm(
        data,
        initial=initial,
        test=test,
        auto_id=f"row{athlete.pk}-%s",
        label_suffix_text=f", {athlete.full_name}",
    )


def _grid_context(request, membership, test_day, *, override=None, edit=None) -> dict:
    athletes = list(_grid_athletes(request, membership, test_day))
    baselines = _rule_baselines(request.user, membership.organisation, [test_day.test_id])
    latest = {
        r.athlete_id: r
        for r in results_visible_to(request.user, organisation=membership.organisation)
        .filter(test_day=test_day, athlete__in=[a.pk for a in athletes])
        .select_related("recorded_by", "test")
        .order_by("athlete_id", "-id")
        .distinct("athlete_id")
    }
    rows = []
    for athlete in athletes:
        if override is not None and override["athlete"].pk == athlete.pk:
            rows.append(override)
        else:
            result, editing = latest.get(athlete.pk), athlete.pk == edit
            rows.append(_row(test_day, athlete, baselines, result=result, edit=editing))
    test = test_day.test
    columns = [
        side_label(side) if test.trials == 1 else f"{side_label(side)} {trial}"
        for side in test.sides
        for trial in range(1, test.trials + 1)
    ]
    return {
        "test_day": test_day,
        "test": test,
        "rows": rows,
        "columns": columns,
        "organisation": membership.organisation,
        "saved": sum(1 for row in rows if row["result"] is not None),
    }


@login_required
def test_day_detail(request, pk: int):
    membership = staff_membership(request)
    test_day = _visible_test_day(request, membership, pk)
    edit = request.GET.get("edit", "")
    context = _grid_context(
        request, membership, test_day, edit=int(edit) if edit.isdigit() else None
    )
    return render(request, "assessments/test_day_grid.html", context)


def _render_row(request, membership, test_day, row, status=200, *, announce=True):
    if is_htmx(request):
        context = {"row": row, "test_day": test_day, "test": test_day.test, "announce": announce}
        if announce:  # the grid's "N of M saved." line follows the row just saved
            athletes = _grid_athletes(request, membership, test_day)
            results = results_visible_to(request.user, organisation=membership.organisation)
            context["progress"] = {
                "saved": results.filter(test_day=test_day, athlete__in=athletes)
                .values("athlete")
                .distinct()
                .count(),
                "total": athletes.count(),
            }
        response = render(request, "assessments/_grid_row.html", context, status=status)
    elif status == 200:
        url = reverse("test_day_detail", args=[test_day.pk])
        return redirect(f"{url}#row-{row['athlete'].pk}")
    else:
        context = _grid_context(request, membership, test_day, override=row)
        response = render(request, "assessments/test_day_grid.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@login_required
def test_day_row(request, pk: int, athlete_id: int):
    """GET: the row (read-only, or ?edit=1 for a correction). POST: save the row."""
    membership = staff_membership(request)
    test_day = _visible_test_day(request, membership, pk)
    athlete = get_object_or_404(_grid_athletes(request, membership, test_day), pk=athlete_id)
    test = test_day.test
    baselines = _rule_baselines(request.user, membership.organisation, [test.id])
    if request.method == "GET":
        latest = (
            results_visible_to(request.user, organisation=membership.organisation)
            .filter(test_day=test_day, athlete=athlete)
            .select_related("recorded_by", "test")
            .order_by("-id")
            .first()
        )
        row = _row(test_day, athlete, baselines, result=latest, edit="edit" in request.GET)
        return _render_row(request, membership, test_day, row, announce=False)

    form = _trials_form(test, athlete, data=request.POST)
    valid = form.is_valid()
    explicit = "save" in request.POST or not is_htmx(request)
    if valid and not form.every_box_filled() and not explicit:
        return HttpResponse(status=204)  # still typing: the row saves once every box is filled
    if not valid:
        return _render_row(
            request, membership, test_day, _row(test_day, athlete, baselines, form=form), 400
        )
    try:
        result, created = services.result_record(
            athlete=athlete,
            test=test,
            trials=form.trials(),
            recorded_by=request.user,
            test_day=test_day,
            client_uuid=form.cleaned_data["client_uuid"],
        )
    except ValidationError as error:
        form.add_service_errors(error)
        row = _row(test_day, athlete, baselines, form=form)
        return _render_row(request, membership, test_day, row, 400)
    except services.ResultConflict as conflict:
        original = Result.objects.select_related("recorded_by", "test").get(pk=conflict.original.pk)
        row = _row(test_day, athlete, baselines, result=original, note=CONFLICT)
        return _render_row(request, membership, test_day, row, 422)
    result = Result.objects.select_related("recorded_by", "test").get(pk=result.pk)
    row = _row(
        test_day, athlete, baselines, result=result, note="" if created else "Already saved."
    )
    return _render_row(request, membership, test_day, row)


# --- the athlete's own results -------------------------------------------------------------------


def my_flags_for(user, organisation, profile) -> list[tuple]:
    """The athlete's flags that are not closed, each with its plain-words account."""
    if profile is None:
        return []
    flags = list(
        flags_visible_to(user, organisation=organisation)
        .filter(athlete=profile)
        .exclude(status__in=CLOSED)
        .select_related("test", "result", "protocol__template")
        .order_by("-created_at", "-id")
    )
    tests = {f.test_id for f in flags if f.test_id}
    baselines = _rule_baselines(user, organisation, tests) if tests else []
    today = timezone.localdate()
    words = []
    for flag in flags:
        rules = rules_for(flag.test, profile, baselines=baselines) if flag.test else []
        day = flag.result.date if flag.result else today
        person = Person(sex=profile.sex, age=profile.age_on(day))
        words.append((flag, flag_in_words(flag, rules, person)))
    return words


@login_required
def my_results(request):
    membership = active_membership(request)
    if membership is None:
        raise Http404("You are not a member of a club.")
    organisation = membership.organisation
    profile = athlete_profile_of(request.user, organisation=organisation)
    if profile is not None:
        profile = (
            athletes_visible_to(request.user, organisation=organisation)
            .prefetch_related("teams")
            .get(pk=profile.pk)
        )
    groups = []
    if profile is not None:
        results = [
            _describe(r)
            for r in results_visible_to(request.user, organisation=organisation)
            .filter(athlete=profile)
            .select_related("test")
            .order_by("test__name", "test_id", "-date", "-id")
        ]
        groups = [
            (items[0].test, items)
            for items in (list(g) for _, g in groupby(results, key=lambda r: r.test_id))
        ]
    context = {
        "profile": profile,
        "organisation": organisation,
        "groups": groups,
        "my_flags": my_flags_for(request.user, organisation, profile),
    }
    return render(request, "assessments/my_results.html", context)
