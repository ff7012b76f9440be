"""The athlete's morning check-in page, `/checkin/`.

GET shows today's form (prefilled with this morning's answers when there are some) with a new
`client_uuid`. POST stores it through `checkin_record`:

- with `HX-Request` (htmx or the offline queue): 201 (created) or 200 (edited, or a replay) with
  the small `_saved.html` fragment; 400 with the form and its field errors; 422 when the UUID was
  used before with other values;
- without: a redirect back to the page (302) on success, the page with 400/422 otherwise.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from athletes.context import active_membership
from athletes.selectors import athlete_profile_of
from programs.forms_today import add_service_errors

from . import services
from .forms import CheckInForm
from .models import VALUE_FIELDS, CheckIn
from .selectors import checkin_of_day, recent_checkins

CONFLICT = (
    "This check-in was already sent with other answers; nothing was changed. "
    "Check the answers below and save again."
)


def _is_htmx(request) -> bool:
    return "HX-Request" in request.headers


def _fresh_form(checkin: CheckIn | None, data: dict | None = None) -> CheckInForm:
    initial = {"client_uuid": uuid.uuid4(), "date": timezone.localdate()}
    if checkin is not None:
        initial.update({field: getattr(checkin, field) for field in VALUE_FIELDS})
    if data:
        initial.update({k: v for k, v in data.items() if k in VALUE_FIELDS})
    return CheckInForm(initial=initial, auto_id="checkin-%s")


def _page(request, athlete, form, *, message: str = "", status: int = 200):
    today = checkin_of_day(athlete)
    context = {
        "athlete": athlete,
        "form": form,
        "checkin": today,
        "recent": recent_checkins(athlete, days=7),
        "message": message,
    }
    template = "checkins/_form.html" if _is_htmx(request) else "checkins/checkin.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request):
    membership = active_membership(request)
    if membership is not None and membership.is_staff_role:
        return redirect("home")
    athlete = (
        athlete_profile_of(request.user, organisation=membership.organisation_id)
        if membership is not None
        else None
    )
    if athlete is None:
        return render(request, "programs/today/no_profile.html", {"membership": membership})
    if request.method == "GET":
        return _page(request, athlete, _fresh_form(checkin_of_day(athlete)))

    form = CheckInForm(request.POST, auto_id="checkin-%s")
    if not form.is_valid():
        return _page(request, athlete, form, status=400)
    try:
        saved, created = services.checkin_record(
            athlete=athlete,
            recorded_by=request.user,
            client_uuid=form.cleaned_data["client_uuid"],
            date=form.cleaned_data["date"],
            **form.values(),
        )
    except services.IdempotencyConflict as conflict:
        return _page(
            request,
            athlete,
            _fresh_form(conflict.original, form.cleaned_data),
            message=CONFLICT,
            status=422,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, athlete, form, status=400)
    text = "Check-in saved." if created else "Check-in updated."
    if _is_htmx(request):
        return render(
            request,
            "checkins/_saved.html",
            {"checkin": saved, "created": created, "text": text},
            status=201 if created else 200,
        )
    messages.success(request, text)
    return redirect("checkin", permanent=False)
