"""Browser pages for results and flags as CSV: the exports (staff only) and the results import.

The exports stream the rows the user sees in the active organisation, filtered by `team`,
`date_from` and `date_to`; the import is all rows or none, like the roster import.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from athletes.context import staff_membership
from athletes.exports_common import BOM, browser_export
from athletes.views_roster_csv import RosterImportForm

from .exports import flags_rows, results_rows
from .results_csv import COLUMN_HELP, COLUMNS, MAX_ROWS, results_import, results_template
from .selectors import tests_visible_to


@login_required
@require_GET
def results_export(request):
    return browser_export(request, what="results", rows=results_rows)


@login_required
@require_GET
def flags_export(request):
    return browser_export(request, what="flags", rows=flags_rows)


@login_required
@require_http_methods(["GET", "POST"])
def results_import_view(request):
    organisation = staff_membership(request).organisation
    posted = request.method == "POST"
    form = RosterImportForm(request.POST, request.FILES) if posted else RosterImportForm()
    errors = []
    if posted and form.is_valid():
        result = results_import(
            organisation=organisation, file=form.cleaned_data["file"], imported_by=request.user
        )
        if result.ok:
            count = len(result.created)
            messages.success(request, f"Imported {count} result{'' if count == 1 else 's'}")
            return redirect(reverse("results_import"))
        errors = result.errors
    tests = tests_visible_to(request.user, organisation=organisation).only("slug", "name")
    context = {
        "form": form,
        "errors": errors,
        "failed": posted,
        "organisation": organisation,
        "columns": [(name, COLUMN_HELP[name]) for name in COLUMNS],
        "max_rows": MAX_ROWS,
        "tests": tests,
    }
    status = 400 if posted else 200
    return render(request, "assessments/results_import.html", context, status=status)


@login_required
@require_GET
def results_import_template(request):
    staff_membership(request)
    response = HttpResponse(BOM + results_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="results-template.csv"'
    return response
