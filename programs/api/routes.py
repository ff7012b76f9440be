"""The programs app's endpoints on the /api/v1/ router: (prefix, viewset, basename)."""

from .views import ExerciseViewSet
from .views_logging import LoggedSetViewSet, ScheduledSessionViewSet
from .views_programs import (
    AssignmentViewSet,
    PrescriptionViewSet,
    ProgramSessionViewSet,
    ProgramViewSet,
)

ROUTES = [
    ("exercises", ExerciseViewSet, "api-exercise"),
    ("programs", ProgramViewSet, "api-program"),
    ("program-sessions", ProgramSessionViewSet, "api-program-session"),
    ("prescriptions", PrescriptionViewSet, "api-prescription"),
    ("assignments", AssignmentViewSet, "api-assignment"),
    ("sessions", ScheduledSessionViewSet, "api-session"),
    ("sets", LoggedSetViewSet, "api-set"),
]
