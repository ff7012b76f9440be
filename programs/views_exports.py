"""The logged sets as CSV in the browser (staff only), filtered by team and dates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from athletes.exports_common import browser_export

from .exports import sets_rows


@login_required
@require_GET
def sets_export(request):
    return browser_export(request, what="sets", rows=sets_rows)
