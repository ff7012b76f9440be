"""Roster CSV pages: upload a roster (all rows or none), download the roster and a template."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from .context import staff_membership
from .roster_csv import (
    COLUMN_HELP,
    COLUMNS,
    MAX_ROWS,
    roster_export,
    roster_import,
    roster_template,
)
from .selectors import athletes_visible_to, teams_assignable_by, teams_visible_to

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
BOM = "\ufeff"  # lets Excel open the file as UTF-8; the import accepts it


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is larger than 2 MB; split it into smaller files."
            )
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def roster_import_view(request):
    membership = staff_membership(request)
    organisation = membership.organisation
    posted = request.method == "POST"
    form = RosterImportForm(request.POST, request.FILES) if posted else RosterImportForm()
    errors = []
    if posted and form.is_valid():
        result = roster_import(
            organisation=organisation, file=form.cleaned_data["file"], imported_by=request.user
        )
        if result.ok:
            count = len(result.created)
            messages.success(request, f"Imported {count} athlete{'' if count == 1 else 's'}")
            return redirect(reverse("athlete_list"))
        errors = result.errors
    context = {
        "form": form,
        "errors": errors,
        "failed": posted,
        "organisation": organisation,
        "columns": [(name, COLUMN_HELP[name]) for name in COLUMNS],
        "max_rows": MAX_ROWS,
        "teams": teams_assignable_by(request.user, organisation=organisation),
    }
    status = 400 if posted else 200
    return render(request, "athletes/roster_import.html", context, status=status)


@login_required
@require_GET
def roster_import_template_view(request):
    staff_membership(request)
    response = HttpResponse(BOM + roster_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roster-template.csv"'
    return response


@login_required
@require_GET
def roster_export_view(request):
    membership = staff_membership(request)
    organisation = membership.organisation
    user = request.user
    visible_teams = teams_visible_to(user, organisation=organisation)
    athletes = athletes_visible_to(user, organisation=organisation).prefetch_related(
        # Only the team names the user may see are written out.
        Prefetch("teams", queryset=visible_teams)
    )
    # The roster page links here with its own filters; "team=" (all teams) means no filter.
    if team_id := request.GET.get("team", ""):
        try:
            team = get_object_or_404(visible_teams, pk=int(team_id))
        except ValueError:
            raise Http404("No such team.") from None
        athletes = athletes.filter(teams=team)
    lines = roster_export(athletes=athletes)
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    filename = f"{organisation.slug}-roster-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_bom(lines):
    yield BOM + next(lines)
    yield from lines
