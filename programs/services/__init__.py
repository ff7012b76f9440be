"""Writes for the programs app, one module per feature; import them from here."""

from .assignments import (
    assignment_end,
    assignment_pause,
    assignment_resume,
    program_assign,
    schedule_preview,
    session_reschedule,
    team_assignments_sync,
)
from .exercises import exercise_create, exercise_update
from .logging import (
    IdempotencyConflict,
    session_complete,
    set_delete,
    set_log,
    sets_log,
)
from .templates import (
    PRESETS,
    prescription_add,
    prescription_apply_preset,
    prescription_move,
    prescription_remove,
    prescription_update,
    template_create,
    template_duplicate,
    template_session_add,
    template_session_remove,
    template_update,
)

__all__ = [
    "PRESETS",
    "IdempotencyConflict",
    "assignment_end",
    "assignment_pause",
    "assignment_resume",
    "exercise_create",
    "exercise_update",
    "prescription_add",
    "prescription_apply_preset",
    "prescription_move",
    "prescription_remove",
    "prescription_update",
    "program_assign",
    "schedule_preview",
    "session_complete",
    "session_reschedule",
    "set_delete",
    "set_log",
    "sets_log",
    "team_assignments_sync",
    "template_create",
    "template_duplicate",
    "template_session_add",
    "template_session_remove",
    "template_update",
]
