"""The program builder: the list of programs, a new program, duplicating, and the builder page
(template fields, sessions, prescriptions, presets, order, the exercise search).

Staff only (athletes get a 403 before any lookup); programs of the active organisation only
(anything else is a 404). Every change goes through programs.services. With htmx a change
re-renders only the session's block (422 with the errors inline when refused); without
JavaScript the same URLs take a normal POST and redirect back to the builder.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from athletes.context import staff_membership

from . import services
from .forms_builder import (
    ExerciseChoiceForm,
    ExerciseSearchForm,
    MoveForm,
    PrescriptionForm,
    PresetForm,
    SessionAddForm,
    TemplateForm,
    add_service_errors,
    steps_text,
)
from .models import AssignmentStatus, LoadType, Prescription, Progression
from .selectors import exercises_visible_to, templates_visible_to

UNITS = {"reps": "reps", "seconds": "s", "contacts": "contacts", "metres": "m"}
SEARCH_LIMIT = 20


# --- lookups and helpers --------------------------------------------------------------------------


def is_htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def visible_template(request, membership, pk: int):
    templates = templates_visible_to(request.user, organisation=membership.organisation_id)
    return get_object_or_404(templates.filter(archived_at__isnull=True), pk=pk)


def _prescription(template, pk: int) -> Prescription:
    prescription = get_object_or_404(
        Prescription.objects.select_related("exercise", "session").filter(
            session__template=template
        ),
        pk=pk,
    )
    prescription.session.template = template  # the services bump this object's version
    return prescription


def _number(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _every(weeks: int) -> str:
    return "every week" if weeks == 1 else f"every {weeks} weeks"


def describe(p: Prescription) -> Prescription:
    """Attach the display strings of a prescription row and the presets that fit it."""
    unit = UNITS[p.exercise.measurement]
    target = f"{p.target_min}–{p.target_max}" if p.target_max else str(p.target_min)
    p.unit = unit
    p.scheme = f"{p.sets} × {target} {unit}"
    load = _number(p.load_value)
    p.load_text = {
        LoadType.KG: f"{load} kg",
        LoadType.PERCENT_BODY_MASS: f"{load} % body mass",
        LoadType.BODYWEIGHT: "Bodyweight",
    }.get(p.load_type, "—")
    p.rest_text = "—" if p.rest_seconds is None else f"{p.rest_seconds} s"
    every = _every(p.progression_every_weeks)
    step_unit = "% body mass" if p.load_type == LoadType.PERCENT_BODY_MASS else "kg"
    p.progression_text = {
        Progression.ADD_LOAD: f"+{_number(p.progression_load_step)} {step_unit} {every}",
        Progression.ADD_SET: f"+1 set {every}, up to {p.progression_max_sets or p.sets + 2}",
        Progression.STEPS: f"{every.capitalize()}: "
        + " → ".join(steps_text(p.progression_steps).splitlines()),
    }.get(p.progression, "—")
    p.presets = [
        (key, preset["label"])
        for key, preset in services.PRESETS.items()
        if preset["measurement"] == p.exercise.measurement
    ]
    return p


def _sessions(template):
    rows = Prescription.objects.select_related("exercise").order_by("order", "id")
    return template.sessions.prefetch_related(Prefetch("prescriptions", queryset=rows))


def prepare(session, template, **state):
    """A session ready for `_session.html`: described rows plus its edit/search/error state."""
    session.items = [describe(p) for p in session.prescriptions.all()]
    session.rotation_label = (
        "Every week"
        if template.rotation_weeks == 1 or session.rotation_week is None
        else f"Week {session.rotation_week} of {template.rotation_weeks}"
    )
    session.errors = state.get("errors", [])
    session.edit_id = state.get("edit_id")
    session.edit_form = state.get("edit_form")
    session.search_form = state.get("search_form") or ExerciseSearchForm(auto_id=False)
    session.results = state.get("results")
    return session


def error_messages(error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [
        f"{field.replace('_', ' ').capitalize()}: {message}"
        for field, field_messages in error.message_dict.items()
        for message in field_messages
    ]


def builder_url(template, session_id=None) -> str:
    url = reverse("program_builder", args=[template.pk])
    return f"{url}#session-{session_id}" if session_id else url


def _builder_page(request, template, *, status=200, states=None, **context):
    states = states or {}
    sessions = [prepare(s, template, **states.get(s.pk, {})) for s in _sessions(template)]
    context = {
        "template": template,
        "sessions": sessions,
        "details_form": context.pop("details_form", None) or TemplateForm.for_template(template),
        "session_form": context.pop("session_form", None)
        or SessionAddForm(rotation_weeks=template.rotation_weeks, prefix="session"),
        **context,
    }
    response = render(request, "programs/builder/builder.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _after(request, template, session_id: int, *, failed=False, saved=True, **state):
    """The answer to a change of one session: its block (htmx) or the builder page."""
    if not is_htmx(request):
        if not failed:
            return redirect(builder_url(template, session_id))
        return _builder_page(request, template, status=400, states={session_id: state})
    session = get_object_or_404(_sessions(template), pk=session_id)
    context = {"template": template, "session": prepare(session, template, **state)}
    if saved and not failed and not state:
        context["status_message"] = f"{session.name} was saved (version {template.version})."
    response = render(
        request,
        "programs/builder/_session_response.html",
        context,
        status=422 if failed else 200,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- list, new, duplicate -------------------------------------------------------------------------


@login_required
@require_GET
def program_list(request):
    membership = staff_membership(request)
    templates = (
        templates_visible_to(request.user, organisation=membership.organisation_id)
        .filter(archived_at__isnull=True)
        .annotate(
            session_count=Count("sessions", distinct=True),
            active_count=Count(
                "assignments",
                filter=Q(assignments__status=AssignmentStatus.ACTIVE),
                distinct=True,
            ),
        )
        .order_by("name", "id")
    )
    context = {"templates": templates, "organisation": membership.organisation}
    return render(request, "programs/builder/program_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request):
    membership = staff_membership(request)
    form = TemplateForm(request.POST if request.method == "POST" else None, prefix="program")
    if request.method == "POST":
        if form.is_valid():
            try:
                template = services.template_create(
                    organisation=membership.organisation,
                    created_by=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{template.name} was created: add its sessions.")
                return redirect("program_builder", pk=template.pk)
        return render(request, "programs/builder/program_form.html", {"form": form}, status=400)
    return render(request, "programs/builder/program_form.html", {"form": form})


@login_required
@require_POST
def program_duplicate(request, pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    name = request.POST.get("name", "").strip()[:120]
    copy = services.template_duplicate(template=template, duplicated_by=request.user, name=name)
    messages.success(request, f"{template.name} was copied as {copy.name}.")
    return redirect("program_builder", pk=copy.pk)


# --- the builder page -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def program_builder(request, pk: int):
    """GET: the builder (with ?session=&q= the exercise search of one session, without JS).
    POST: the program's own fields."""
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    if request.method == "GET":
        states = {}
        session_id = request.GET.get("session", "")
        if session_id.isdigit():
            states[int(session_id)] = _search_state(request, membership)
        return _builder_page(request, template, states=states)

    form = TemplateForm.for_template(template, request.POST)
    before = template.rotation_weeks
    if form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != getattr(template, k)}
        if changes:
            try:
                services.template_update(template=template, updated_by=request.user, **changes)
            except ValidationError as error:
                template.refresh_from_db()
                add_service_errors(form, error)
    if not form.errors:
        if not is_htmx(request):
            messages.success(request, "The program was saved.")
            return redirect(builder_url(template))
        form = TemplateForm.for_template(template)
    if not is_htmx(request):
        return _builder_page(request, template, status=400, details_form=form)
    context = {"template": template, "details_form": form, "saved": not form.errors}
    response = render(
        request,
        "programs/builder/_details_response.html",
        context,
        status=422 if form.errors else 200,
    )
    if not form.errors and template.rotation_weeks != before:
        response["HX-Refresh"] = "true"  # the session forms and labels depend on the rotation
    return response


def _search_state(request, membership) -> dict:
    form = ExerciseSearchForm(request.GET, auto_id=False)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        exercises = exercises_visible_to(request.user, organisation=membership.organisation_id)
        results = list(exercises.search(q=form.cleaned_data["q"])[:SEARCH_LIMIT])
    return {"search_form": form, "results": results}


@login_required
@require_GET
def session_block(request, pk: int, session_pk: int):
    """One session's block (htmx: cancel an edit); without JS, the builder at that session."""
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    get_object_or_404(template.sessions, pk=session_pk)
    return _after(request, template, session_pk, saved=False)


@login_required
@require_GET
def exercise_search(request, pk: int, session_pk: int):
    """The library search of one session: buttons that add an exercise to it."""
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    session = get_object_or_404(template.sessions, pk=session_pk)
    state = _search_state(request, membership)
    if not is_htmx(request):
        query = request.GET.urlencode()
        url = reverse("program_builder", args=[template.pk])
        return redirect(f"{url}?session={session.pk}&{query}#session-{session.pk}")
    context = {"template": template, "session": session, **state}
    status = 200 if state["search_form"].is_valid() else 422
    response = render(request, "programs/builder/_search_results.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def session_add(request, pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    form = SessionAddForm(request.POST, rotation_weeks=template.rotation_weeks, prefix="session")
    session = None
    if form.is_valid():
        try:
            session = services.template_session_add(
                template=template, added_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
    if not is_htmx(request):
        if session is None:
            return _builder_page(request, template, status=400, session_form=form)
        return redirect(builder_url(template, session.pk))
    context = {"template": template, "session_form": form}
    if session is not None:
        context["session_form"] = SessionAddForm(
            rotation_weeks=template.rotation_weeks, prefix="session"
        )
        context["session"] = prepare(session, template)
        context["status_message"] = f"{session.name} was added."
        context["first_session"] = template.sessions.count() == 1
    return render(
        request,
        "programs/builder/_session_add_response.html",
        context,
        status=200 if session else 422,
    )


@login_required
@require_POST
def session_remove(request, pk: int, session_pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    session = get_object_or_404(template.sessions, pk=session_pk)
    name = session.name
    services.template_session_remove(session=session, removed_by=request.user)
    if not is_htmx(request):
        messages.success(request, f"{name} was removed.")
        return redirect(builder_url(template))
    context = {"template": template, "status_message": f"{name} was removed."}
    return render(request, "programs/builder/_removed_response.html", context)


# --- prescriptions --------------------------------------------------------------------------------


@login_required
@require_POST
def prescription_add(request, pk: int, session_pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    session = get_object_or_404(template.sessions, pk=session_pk)
    exercises = exercises_visible_to(request.user, organisation=membership.organisation_id)
    form = ExerciseChoiceForm(request.POST, exercises=exercises)
    if not form.is_valid():
        errors = [f"Exercise: {e}" for e in form.errors.get("exercise", [])]
        return _after(request, template, session.pk, failed=True, errors=errors)
    try:
        services.prescription_add(
            session=session, added_by=request.user, exercise=form.cleaned_data["exercise"]
        )
    except ValidationError as error:
        return _after(request, template, session.pk, failed=True, errors=error_messages(error))
    return _after(request, template, session.pk)


@login_required
@require_http_methods(["GET", "POST"])
def prescription_edit(request, pk: int, prescription_pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    prescription = _prescription(template, prescription_pk)
    session_id = prescription.session_id
    unit = UNITS[prescription.exercise.measurement]
    data = request.POST if request.method == "POST" else None
    form = PrescriptionForm.for_prescription(prescription, data, unit=unit)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if v != getattr(prescription, k)}
        try:
            if changes:
                services.prescription_update(
                    prescription=prescription, updated_by=request.user, **changes
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _after(request, template, session_id)
    failed = request.method == "POST"
    if is_htmx(request):
        return _after(
            request,
            template,
            session_id,
            failed=failed,
            edit_id=prescription.pk,
            edit_form=form,
        )
    context = {"template": template, "prescription": describe(prescription), "form": form}
    return render(
        request,
        "programs/builder/prescription_edit.html",
        context,
        status=400 if failed else 200,
    )


@login_required
@require_POST
def prescription_preset(request, pk: int, prescription_pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    prescription = _prescription(template, prescription_pk)
    form = PresetForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"preset": "Choose a preset."})
        services.prescription_apply_preset(
            prescription=prescription,
            applied_by=request.user,
            preset=form.cleaned_data["preset"],
        )
    except ValidationError as error:
        failed = {"failed": True, "errors": error_messages(error)}
        return _after(request, template, prescription.session_id, **failed)
    return _after(request, template, prescription.session_id)


@login_required
@require_POST
def prescription_move(request, pk: int, prescription_pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    prescription = _prescription(template, prescription_pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        errors = [f"Direction: {e}" for e in form.errors.get("direction", [])]
        return _after(request, template, prescription.session_id, failed=True, errors=errors)
    ids = list(
        Prescription.objects.filter(session_id=prescription.session_id)
        .order_by("order", "id")
        .values_list("id", flat=True)
    )
    position = ids.index(prescription.pk) + (-1 if form.cleaned_data["direction"] == "up" else 1)
    if 0 <= position < len(ids):
        services.prescription_move(
            prescription=prescription, moved_by=request.user, position=position
        )
    return _after(request, template, prescription.session_id)


@login_required
@require_POST
def prescription_remove(request, pk: int, prescription_pk: int):
    membership = staff_membership(request)
    template = visible_template(request, membership, pk)
    prescription = _prescription(template, prescription_pk)
    session_id = prescription.session_id
    services.prescription_remove(prescription=prescription, removed_by=request.user)
    return _after(request, template, session_id)
