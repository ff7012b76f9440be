"""The athlete's phone page for today: the session, a fast form per set, completing it.

- `/today/`: the logged-in athlete's session of the day, or the rest day and the next session;
- `/today/sessions/<id>/sets/`, `…/complete/`: the athlete logs a set or completes the session;
- `/today/log/`: an ad hoc set of any exercise of the club's library, without a session;
- `/athletes/<id>/sessions/<id>/log/` (+ `sets/`, `complete/`): staff who may change the athlete
  log on the athlete's behalf (`logged_by` is the coach).

Reads go through the selectors, writes through programs.services (`set_log`,
`session_complete`). A session that is not the athlete's, or an athlete the coach may not change,
is a 404. Every set form carries a UUID made when the form is rendered, so a double tap stores
one set. With htmx a post re-renders only its block (errors too, with a 200 so htmx swaps them
in); without JavaScript a post redirects back, or re-renders the page with a 400 (invalid) or
a 422 (the UUID was used before for other values).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from athletes.context import active_membership
from athletes.models import Athlete
from athletes.selectors import athlete_profile_of, athletes_writable_by

from . import services
from .forms_today import (
    CompleteForm,
    ExerciseChoiceForm,
    SetForm,
    add_service_errors,
    fresh_form,
    number,
)
from .models import Exercise, LoadType, LoggedSet, ScheduledSession, SessionStatus
from .selectors import exercises_visible_to, next_session_for, session_prescriptions, today_for
from .set_text import clock, load_text, set_summary, target_text


def _summarised(sets) -> list[LoggedSet]:
    sets = list(sets)
    for logged in sets:
        logged.summary = set_summary(logged)
    return sets


# --- blocks: one exercise with its sets and the form for the next one -----------------------------


@dataclass
class Block:
    key: str  # the element id, which htmx swaps
    name: str
    cues: list
    measurement: str
    per_side: bool
    post_url: str
    hidden: dict
    form: SetForm
    logged: list
    target: str = ""
    load: str = ""
    tempo: str = ""
    rest: str = ""
    notes: str = ""
    progression_note: str = ""
    progression_change: str = ""
    planned: int = 0
    target_value: int | None = None  # the prescribed reps, seconds or contacts of one set
    message: str = ""
    session_done: bool = False

    @property
    def logger(self) -> str:
        """The one-hand helper the set form gets: a timer for timed sets, a tap counter for
        reps and foot contacts, none for metres (the − / + stepper is enough)."""
        return {"seconds": "timer", "reps": "counter", "contacts": "counter"}.get(
            self.measurement, ""
        )

    @property
    def target_clock(self) -> str:
        """Where the timer starts: the prescribed time (2:00), or 0:00 to count up."""
        return clock(self.target_value or 0)

    @property
    def sets_planned(self) -> int:
        return self.planned * (2 if self.per_side else 1)

    @property
    def done(self) -> bool:
        return bool(self.planned) and len(self.logged) >= self.sets_planned


def session_block(
    *,
    index: int,
    item: dict,
    logged: list[LoggedSet],
    post_url: str,
    session_done: bool,
    form: SetForm | None = None,
    message: str = "",
) -> Block:
    """An exercise of the session (`item`: a plan entry with progression applied)."""
    per_side = bool(item.get("per_side"))
    form = form or fresh_form(
        measurement=item["measurement"],
        per_side=per_side,
        logged=logged,
        auto_id=f"ex{index}-%s",
        target=item["target_max"] or item["target_min"],
        load_type=item.get("load_type") or LoadType.NONE,
        load_value=item.get("load_value"),
    )
    return Block(
        key=f"exercise-{index}",
        name=item["exercise_name"],
        cues=item.get("cues") or [],
        measurement=item["measurement"],
        per_side=per_side,
        post_url=post_url,
        hidden={"item": index},
        form=form,
        logged=logged,
        target=target_text(item),
        load=load_text(item.get("load_type"), item.get("load_value")),
        tempo=item.get("tempo") or "",
        rest=clock(item["rest_seconds"]) if item.get("rest_seconds") else "",
        notes=item.get("notes") or "",
        progression_note=item.get("progression_note") or "",
        progression_change=item.get("progression_change") or "",
        planned=item["sets"],
        target_value=item["target_max"] or item["target_min"],
        message=message,
        session_done=session_done,
    )


def adhoc_block(
    *, exercise: Exercise, logged: list[LoggedSet], form: SetForm | None = None, message=""
) -> Block:
    form = form or fresh_form(
        measurement=exercise.measurement,
        per_side=exercise.per_side,
        logged=logged,
        auto_id="adhoc-%s",
    )
    return Block(
        key="adhoc-exercise",
        name=exercise.name,
        cues=list(exercise.cues),
        measurement=exercise.measurement,
        per_side=exercise.per_side,
        post_url=reverse("today_adhoc_log"),
        hidden={"exercise": exercise.id},
        form=form,
        logged=logged,
        message=message,
    )


def conflict_message(original: LoggedSet) -> str:
    return (
        f"This set was already saved with other values (set {original.set_number}: "
        f"{set_summary(original)}). Nothing was changed. To log another set, save again."
    )


# --- who logs for which session -------------------------------------------------------------------


@dataclass
class Logging:
    """An athlete's session being logged, by whom, and where the page and its forms live."""

    athlete: Athlete
    session: ScheduledSession
    page_url: str
    set_url: str
    complete_url: str
    on_behalf: bool = False
    items: list = field(default_factory=list)


def _sessions():
    return ScheduledSession.objects.select_related("assignment__template")


def _own_profile(request, membership=None) -> Athlete | None:
    """The logged-in user's athlete record in the active organisation."""
    membership = membership or active_membership(request)
    if membership is None:
        return None
    return athlete_profile_of(request.user, organisation=membership.organisation_id)


def _own_logging(request, session: ScheduledSession, athlete: Athlete) -> Logging:
    return Logging(
        athlete=athlete,
        session=session,
        page_url=reverse("today"),
        set_url=reverse("today_set_log", args=[session.id]),
        complete_url=reverse("today_session_complete", args=[session.id]),
    )


def _own_session(request, session_id: int) -> Logging:
    athlete = _own_profile(request)
    if athlete is None:
        raise Http404("No session matches the given query.")
    session = get_object_or_404(_sessions().filter(athlete=athlete), pk=session_id)
    return _own_logging(request, session, athlete)


def _coached_session(request, athlete_id: int, session_id: int) -> Logging:
    """A session of an athlete the user may change (staff); 404 otherwise."""
    athlete = get_object_or_404(athletes_writable_by(request.user), pk=athlete_id)
    session = get_object_or_404(_sessions().filter(athlete=athlete), pk=session_id)
    args = [athlete.id, session.id]
    return Logging(
        athlete=athlete,
        session=session,
        page_url=reverse("session_log", args=args),
        set_url=reverse("session_log_set", args=args),
        complete_url=reverse("session_log_complete", args=args),
        on_behalf=True,
    )


# --- rendering ------------------------------------------------------------------------------------


def _completion(logging: Logging, *, form: CompleteForm | None = None, message: str = "") -> dict:
    session = logging.session
    done = session.status == SessionStatus.COMPLETED
    load = session.session_load
    return {
        "url": logging.complete_url,
        "session": session,
        "done": done,
        "load": None if load is None else number(load),
        "form": form or CompleteForm(initial={"client_uuid": uuid.uuid4()}, auto_id="complete-%s"),
        "message": message,
    }


def _session_sets(logging: Logging) -> dict[int, list[LoggedSet]]:
    sets = defaultdict(list)
    logged = LoggedSet.objects.filter(session=logging.session, athlete=logging.athlete)
    for logged_set in _summarised(logged):
        sets[logged_set.exercise_id].append(logged_set)
    return sets


def _render_session(
    request, logging: Logging, *, override=None, completion=None, status: int = 200
):
    """The whole session page; `override` {index: (form, message)} keeps a failed set form."""
    session = logging.session
    items = logging.items or session_prescriptions(session)
    sets = _session_sets(logging)
    done = session.status == SessionStatus.COMPLETED
    blocks = []
    for index, item in enumerate(items, start=1):
        form, message = (override or {}).get(index, (None, ""))
        blocks.append(
            session_block(
                index=index,
                item=item,
                logged=sets[item["exercise_id"]],
                post_url=logging.set_url,
                session_done=done,
                form=form,
                message=message,
            )
        )
    form, message = completion or (None, "")
    context = {
        "logging": logging,
        "athlete": logging.athlete,
        "session": session,
        "program": session.assignment.template,
        "blocks": blocks,
        "complete": _completion(logging, form=form, message=message),
        "is_today": session.date == timezone.localdate(),
    }
    return render(request, "programs/today/session.html", context, status=status)


# What became of a post, for the offline queue (static/js/offline.js): htmx answers carry their
# errors with a 200, so the header tells a refused set from a saved one.
OUTCOME_HEADER = "X-Baseline-Outcome"


def _render_block(request, block: Block, status_text: str, outcome: str):
    context = {"block": block, "status_text": status_text}
    response = render(request, "programs/today/_block_response.html", context)
    response[OUTCOME_HEADER] = outcome
    return response


def _is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


# --- saving ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    saved: LoggedSet | None = None
    created: bool = False
    conflict: LoggedSet | None = None

    @property
    def status(self) -> int:
        if self.saved is not None:
            return 200
        return 422 if self.conflict is not None else 400

    @property
    def name(self) -> str:
        """saved, replayed (the UUID was stored before with these values), conflict, invalid."""
        if self.saved is not None:
            return "saved" if self.created else "replayed"
        return "conflict" if self.conflict is not None else "invalid"

    def status_text(self, name: str) -> str:
        if self.saved is not None:
            verb = "saved" if self.created else "was already saved"
            return f"{name}: set {self.saved.set_number} {verb}."
        if self.conflict is not None:
            return f"{name}: this set was already saved with other values."
        return f"{name}: check the set, it was not saved."


def _save_set(request, form: SetForm, *, athlete, exercise, session=None) -> Outcome:
    if not form.is_valid():
        return Outcome()
    try:
        saved, created = services.set_log(
            athlete=athlete,
            logged_by=request.user,
            client_uuid=form.cleaned_data["client_uuid"],
            exercise=exercise,
            session=session,
            **form.set_values(),
        )
    except services.IdempotencyConflict as conflict:
        return Outcome(conflict=conflict.original)
    except ValidationError as error:
        add_service_errors(form, error)
        return Outcome()
    return Outcome(saved=saved, created=created)


def _item_index(value, count: int) -> int | None:
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 1 <= index <= count else None


def _log_set(request, logging: Logging):
    """A set of one of the session's exercises (`item`: its position, from 1)."""
    session = logging.session
    logging.items = items = session_prescriptions(session)
    index = _item_index(request.POST.get("item"), len(items))
    if index is None:
        return HttpResponseBadRequest("item: choose one of this session's exercises.")
    item = items[index - 1]
    visible = exercises_visible_to(request.user, organisation=logging.athlete.organisation_id)
    exercise = visible.filter(pk=item["exercise_id"]).first()
    if exercise is None:
        return HttpResponseBadRequest("exercise: this exercise is not in your club's library.")
    per_side = bool(item.get("per_side"))
    form = SetForm(
        request.POST, measurement=item["measurement"], per_side=per_side, auto_id=f"ex{index}-%s"
    )
    outcome = _save_set(request, form, athlete=logging.athlete, exercise=exercise, session=session)
    message = ""
    if outcome.saved is not None:
        if not _is_htmx(request):
            messages.success(request, outcome.status_text(exercise.name))
            return redirect(f"{logging.page_url}#exercise-{index}")
        form = None
    elif outcome.conflict is not None:
        message = conflict_message(outcome.conflict)
        sets = _session_sets(logging)[exercise.id]
        form = fresh_form(
            measurement=item["measurement"],
            per_side=per_side,
            logged=sets,
            auto_id=f"ex{index}-%s",
            values=form.cleaned_data,
        )
    if not _is_htmx(request):
        return _render_session(
            request, logging, override={index: (form, message)}, status=outcome.status
        )
    block = session_block(
        index=index,
        item=item,
        logged=_session_sets(logging)[exercise.id],
        post_url=logging.set_url,
        session_done=session.status == SessionStatus.COMPLETED,
        form=form,
        message=message,
    )
    return _render_block(request, block, outcome.status_text(exercise.name), outcome.name)


def _complete(request, logging: Logging):
    form = CompleteForm(request.POST, auto_id="complete-%s")
    message, status, created = "", 400, False
    if form.is_valid():
        try:
            logging.session, created = services.session_complete(
                session=logging.session, completed_by=request.user, **form.cleaned_data
            )
            status = 200
        except services.IdempotencyConflict as conflict:
            logging.session = conflict.original
            message = "This session was already completed with other values. Nothing was changed."
            status = 422
        except ValidationError as error:
            add_service_errors(form, error)
    if status == 200 and not _is_htmx(request):
        messages.success(request, "Session complete.")
        return redirect(f"{logging.page_url}#complete")
    kept = form if status == 400 else None
    if not _is_htmx(request):
        return _render_session(request, logging, completion=(kept, message), status=status)
    status_text = {
        200: "Session complete.",
        422: message,
        400: "Check the form: the session is not complete yet.",
    }[status]
    context = {
        "complete": _completion(logging, form=kept, message=message),
        "status_text": status_text,
    }
    response = render(request, "programs/today/_complete_response.html", context)
    outcome = {200: "saved" if created else "replayed", 422: "conflict", 400: "invalid"}[status]
    response[OUTCOME_HEADER] = outcome
    return response


# --- the athlete's pages --------------------------------------------------------------------------


@login_required
@require_GET
def today(request):
    membership = active_membership(request)
    if membership is not None and membership.is_staff_role:
        return redirect("home")
    athlete = _own_profile(request, membership)
    if athlete is None:
        return render(request, "programs/today/no_profile.html", {"membership": membership})
    session = today_for(athlete)
    if session is None:
        context = {"athlete": athlete, "next_session": next_session_for(athlete)}
        return render(request, "programs/today/rest_day.html", context)
    return _render_session(request, _own_logging(request, session, athlete))


@login_required
@require_POST
def today_set_log(request, session_id: int):
    return _log_set(request, _own_session(request, session_id))


@login_required
@require_POST
def today_session_complete(request, session_id: int):
    return _complete(request, _own_session(request, session_id))


@login_required
@require_http_methods(["GET", "POST"])
def today_adhoc_log(request):
    """A set of any exercise of the library, outside a session. Choosing the exercise (GET
    ?exercise=) shows its fast form; with htmx only that block is swapped in."""
    membership = active_membership(request)
    if membership is not None and membership.is_staff_role:
        return redirect("home")
    athlete = _own_profile(request, membership)
    if athlete is None:
        return render(request, "programs/today/no_profile.html", {"membership": membership})
    exercises = exercises_visible_to(request.user, organisation=athlete.organisation_id)
    data = request.POST if request.method == "POST" else request.GET
    bound = request.method == "POST" or bool(data.get("exercise"))
    choice = ExerciseChoiceForm(data if bound else None, exercises=exercises, auto_id="choose-%s")
    block, status, status_text = None, 200, ""
    if choice.is_bound and not choice.is_valid():
        status = 400
    elif choice.is_bound:
        exercise = choice.cleaned_data["exercise"]
        form, message = None, ""
        if request.method == "POST":
            form = SetForm(
                request.POST,
                measurement=exercise.measurement,
                per_side=exercise.per_side,
                auto_id="adhoc-%s",
            )
            outcome = _save_set(request, form, athlete=athlete, exercise=exercise)
            status, status_text = outcome.status, outcome.status_text(exercise.name)
            if outcome.saved is not None:
                if not _is_htmx(request):
                    messages.success(request, status_text)
                    return redirect(f"{reverse('today_adhoc_log')}?exercise={exercise.id}")
                form = None
            elif outcome.conflict is not None:
                message = conflict_message(outcome.conflict)
                form = fresh_form(
                    measurement=exercise.measurement,
                    per_side=exercise.per_side,
                    logged=_adhoc_sets(athlete, exercise),
                    auto_id="adhoc-%s",
                    values=form.cleaned_data,
                )
        block = adhoc_block(
            exercise=exercise, logged=_adhoc_sets(athlete, exercise), form=form, message=message
        )
    if _is_htmx(request) and request.method == "POST" and block is not None:
        return _render_block(request, block, status_text, outcome.name)
    if _is_htmx(request) and request.method == "GET":
        context = {"adhoc": block, "choice": choice}
        response = render(request, "programs/today/_adhoc_block.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    # Not "block": inside {% block %} that name is the template block itself.
    context = {"athlete": athlete, "choice": choice, "adhoc": block}
    response = render(request, "programs/today/adhoc.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _adhoc_sets(athlete: Athlete, exercise: Exercise) -> list[LoggedSet]:
    """Today's ad hoc sets of the exercise."""
    return _summarised(
        LoggedSet.objects.filter(
            athlete=athlete,
            session__isnull=True,
            exercise=exercise,
            performed_at__date=timezone.localdate(),
        )
    )


# --- a coach logging on the athlete's behalf ------------------------------------------------------


@login_required
@require_GET
def session_log(request, athlete_id: int, session_id: int):
    return _render_session(request, _coached_session(request, athlete_id, session_id))


@login_required
@require_POST
def session_log_set(request, athlete_id: int, session_id: int):
    return _log_set(request, _coached_session(request, athlete_id, session_id))


@login_required
@require_POST
def session_log_complete(request, athlete_id: int, session_id: int):
    return _complete(request, _coached_session(request, athlete_id, session_id))
