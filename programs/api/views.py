"""REST endpoints for the exercise library: the global library plus each organisation's own.

Reads come from programs.selectors (a foreign organisation's exercise is a 404); writes need
the exercise in exercises_writable_by (the global library is visible, so editing it is a 403).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from athletes.api.views import ScopedViewSetMixin, ordering_parameter
from programs.models import Exercise
from programs.selectors import exercises_visible_to, exercises_writable_by

from .filters import ExerciseFilter
from .serializers import ExerciseSerializer


@extend_schema_view(
    list=extend_schema(
        summary="The exercise library: global exercises and your clubs' own",
        parameters=[ordering_parameter("name")],
    ),
    retrieve=extend_schema(summary="One exercise"),
    create=extend_schema(summary="Add an exercise to your organisation's library (staff)"),
    update=extend_schema(summary="Change one of your organisation's exercises (staff)"),
    partial_update=extend_schema(summary="Change one of your organisation's exercises (staff)"),
)
class ExerciseViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """The exercise library: the global one shipped with Baseline (read-only) plus the own
    exercises of the requester's organisations, which their staff add and change."""

    serializer_class = ExerciseSerializer
    filterset_class = ExerciseFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name", "id"]
    write_denied = "Only your organisation's own exercises can be changed; the library is not."
    create_denied = "Only the club's staff may add exercises."

    def get_queryset(self):
        return exercises_visible_to(self.request.user)

    def can_write(self, exercise: Exercise) -> bool:
        return exercises_writable_by(self.request.user).filter(pk=exercise.pk).exists()

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        return super().create(request, *args, **kwargs)
