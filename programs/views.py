"""The exercise library: browse, search, read, add, change and copy exercises.

Reads go through programs.selectors, writes through programs.services. Anything outside the
user's scope is a 404; an athlete on a staff page gets a 403 before any object is looked up.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from athletes.context import active_membership, staff_membership

from . import services
from .forms import EQUIPMENT_CHOICES, ExerciseFilterForm, ExerciseForm
from .models import Exercise, Muscle
from .selectors import exercises_visible_to, exercises_writable_by
from .services.exercises import EXERCISE_FIELDS

MUSCLE_LABELS = dict(Muscle.choices)
EQUIPMENT_LABELS = dict(EQUIPMENT_CHOICES)
COPY_SUFFIX = " (club)"


def _with_labels(exercise: Exercise) -> Exercise:
    """Attach human labels for the muscles and equipment (the array fields hold the values)."""
    exercise.muscle_labels = [MUSCLE_LABELS.get(m, m) for m in exercise.muscles]
    exercise.equipment_labels = [EQUIPMENT_LABELS.get(e, e) for e in exercise.equipment]
    return exercise


def _library(request):
    """The exercises of the active organisation's library (only the global ones for a user who
    belongs to no organisation), and that membership."""
    membership = active_membership(request)
    if membership is None:
        return exercises_visible_to(request.user).filter(organisation__isnull=True), None
    return exercises_visible_to(request.user, organisation=membership.organisation_id), membership


def _own_library(request, membership):
    """The organisation's own exercises the staff member may change."""
    return exercises_writable_by(request.user, organisation=membership.organisation_id)


@login_required
def exercise_list(request):
    exercises, membership = _library(request)
    form = ExerciseFilterForm(request.GET)
    if form.is_valid():
        filters = form.cleaned_data
        exercises = exercises.search(
            q=filters["q"],
            category=filters["category"],
            muscle=filters["muscle"],
            equipment=filters["equipment"],
        )
        if filters["scope"] == "own":
            exercises = (
                exercises.filter(organisation_id=membership.organisation_id)
                if membership
                else exercises.none()
            )
        status = 200
    else:
        exercises, status = exercises.none(), 400
    exercises = [_with_labels(exercise) for exercise in exercises]
    context = {
        "form": form,
        "exercises": exercises,
        "count": len(exercises),
        "membership": membership,
        "is_staff": membership is not None and membership.is_staff_role,
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        response = render(
            request, "programs/_exercise_results.html", {**context, "oob": True}, status=status
        )
    else:
        response = render(request, "programs/exercise_list.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def exercise_detail(request, pk: int):
    exercises, membership = _library(request)
    exercise = _with_labels(get_object_or_404(exercises.select_related("organisation"), pk=pk))
    is_staff = membership is not None and membership.is_staff_role
    can_edit = (
        is_staff
        and not exercise.is_global
        and _own_library(request, membership).filter(pk=exercise.pk).exists()
    )
    context = {
        "exercise": exercise,
        "membership": membership,
        "can_edit": can_edit,
        "can_copy": is_staff and exercise.is_global,
    }
    return render(request, "programs/exercise_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def exercise_create(request):
    membership = staff_membership(request)
    form = ExerciseForm(
        request.POST if request.method == "POST" else None,
        existing=_own_library(request, membership),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                exercise = services.exercise_create(
                    organisation=membership.organisation,
                    created_by=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                _add_model_errors(form, error)
            else:
                messages.success(request, f"{exercise.name} was added to your library.")
                return redirect("exercise_detail", pk=exercise.pk)
        return _form_page(request, form, membership, exercise=None, status=400)
    return _form_page(request, form, membership, exercise=None)


@login_required
@require_http_methods(["GET", "POST"])
def exercise_edit(request, pk: int):
    membership = staff_membership(request)
    own = _own_library(request, membership)
    exercise = get_object_or_404(own, pk=pk)
    form = ExerciseForm(
        request.POST if request.method == "POST" else None, existing=own, instance=exercise
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                exercise = services.exercise_update(
                    exercise=exercise, updated_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _add_model_errors(form, error)
            else:
                messages.success(request, f"{exercise.name} was saved.")
                return redirect("exercise_detail", pk=exercise.pk)
        return _form_page(request, form, membership, exercise=exercise, status=400)
    return _form_page(request, form, membership, exercise=exercise)


def _add_model_errors(form, error: ValidationError) -> None:
    """Show the model's own validation (run by the service) on the form, by field if it has one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _form_page(request, form, membership, *, exercise, status=200):
    context = {"form": form, "exercise": exercise, "membership": membership}
    return render(request, "programs/exercise_form.html", context, status=status)


@login_required
@require_POST
def exercise_copy(request, pk: int):
    """Copy a global exercise into the organisation's own library, to adapt it."""
    membership = staff_membership(request)
    exercises, _ = _library(request)
    original = get_object_or_404(exercises.filter(organisation__isnull=True), pk=pk)
    name = original.name[: Exercise._meta.get_field("name").max_length - len(COPY_SUFFIX)]
    name += COPY_SUFFIX
    copied = _own_library(request, membership).filter(name__iexact=name).first()
    if copied is not None:
        messages.info(request, f"{copied.name} is already in your library.")
        return redirect("exercise_edit", pk=copied.pk)
    fields = {field: getattr(original, field) for field in EXERCISE_FIELDS}
    copy = services.exercise_create(
        organisation=membership.organisation,
        created_by=request.user,
        **{**fields, "name": name},
    )
    messages.success(request, f"{original.name} was copied to your library as {copy.name}.")
    return redirect("exercise_edit", pk=copy.pk)
