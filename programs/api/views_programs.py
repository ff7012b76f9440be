"""REST endpoints for program templates (with their sessions and prescriptions) and for
assigning them.

Reads come from programs.selectors: a program, session or assignment out of the requester's
scope is a 404. Programs are for the club's staff; an athlete sees only their own assignments
and may not change them (403). Every write goes through programs.services.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from athletes.api.serializers import api_errors
from athletes.api.views import ScopedViewSetMixin, ordering_parameter
from athletes.selectors import athletes_writable_by, is_staff_in
from programs import services
from programs.models import Prescription, TemplateSession
from programs.selectors import assignments_visible_to, templates_visible_to

from .filters_programs import (
    AssignmentFilter,
    PrescriptionFilter,
    ProgramFilter,
    ProgramSessionFilter,
)
from .serializers_programs import (
    AssignmentSerializer,
    AssignSerializer,
    DuplicateSerializer,
    MoveSerializer,
    PrescriptionSerializer,
    PresetSerializer,
    PreviewSerializer,
    ProgramSerializer,
    ProgramSessionSerializer,
    ResumeSerializer,
    ScheduleOptionsSerializer,
    TemplateSessionNestedSerializer,
)

STAFF_ONLY = "Only the club's staff change programs."


def _prescriptions():
    return Prescription.objects.select_related("exercise")


def _sessions_with_prescriptions():
    return TemplateSession.objects.prefetch_related(
        Prefetch("prescriptions", queryset=_prescriptions())
    )


class ProgramScopeMixin(ScopedViewSetMixin):
    """Programs and their parts are visible to the staff of their organisation, who may change
    them; anyone else gets a 404 (and a 403 when creating)."""

    write_denied = STAFF_ONLY
    create_denied = STAFF_ONLY

    def organisation_id_of(self, obj) -> int:
        raise NotImplementedError

    def can_write(self, obj) -> bool:
        return is_staff_in(self.request.user, self.organisation_id_of(obj))

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        return super().create(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary="Programs of the clubs the requester is staff of, with sessions and prescriptions",
        parameters=[ordering_parameter("name", "updated_at")],
    ),
    retrieve=extend_schema(summary="One program with its sessions and prescriptions"),
    create=extend_schema(
        summary="Create a program (staff), optionally with its sessions and prescriptions",
        description="Errors in nested sessions and prescriptions are keyed by their path, e.g. "
        "`sessions[0].prescriptions[1].target_min`; on any error nothing is created.",
    ),
    partial_update=extend_schema(summary="Change a program's name, goal, weeks … (staff)"),
)
class ProgramViewSet(
    ProgramScopeMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Program templates: sessions of prescribed exercises over a number of weeks."""

    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    search_fields = ["name"]
    ordering_fields = ["name", "updated_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return templates_visible_to(self.request.user).prefetch_related(
            Prefetch("sessions", queryset=_sessions_with_prescriptions())
        )

    def organisation_id_of(self, template) -> int:
        return template.organisation_id

    def _fresh(self, template):
        return self.get_serializer(self.get_queryset().get(pk=template.pk)).data

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = serializer.save()
        return Response(self._fresh(template), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Copy a program with its sessions and prescriptions (version 1)",
        request=DuplicateSerializer,
        responses={201: ProgramSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=DuplicateSerializer)
    def duplicate(self, request: Request, pk=None) -> Response:
        template = self.get_object()
        body = DuplicateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with api_errors():
            copy = services.template_duplicate(
                template=template,
                duplicated_by=request.user,
                name=body.validated_data.get("name", ""),
            )
        data = ProgramSerializer(
            self.get_queryset().get(pk=copy.pk), context=self.get_serializer_context()
        ).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Sessions of the programs the requester may see"),
    retrieve=extend_schema(summary="One program session with its prescriptions"),
    create=extend_schema(
        summary="Add a session to a program (staff), optionally with prescriptions",
        description="Errors in nested prescriptions are keyed by their path, e.g. "
        "`prescriptions[1].target_min`; on any error nothing is created.",
    ),
    destroy=extend_schema(summary="Remove a session and its prescriptions from a program"),
)
class ProgramSessionViewSet(
    ProgramScopeMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The workouts of programs. Each change bumps the program's version."""

    serializer_class = ProgramSessionSerializer
    filterset_class = ProgramSessionFilter
    ordering_fields = ["order"]
    ordering = ["template", "order", "id"]

    def get_queryset(self):
        return (
            _sessions_with_prescriptions()
            .select_related("template")
            .filter(template__in=templates_visible_to(self.request.user))
        )

    def organisation_id_of(self, session) -> int:
        return session.template.organisation_id

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = serializer.save()
        data = self.get_serializer(self.get_queryset().get(pk=session.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, session) -> None:
        with api_errors():
            services.template_session_remove(session=session, removed_by=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Prescriptions of the programs the requester may see"),
    retrieve=extend_schema(summary="One prescription"),
    create=extend_schema(summary="Add an exercise to a program session (staff)"),
    partial_update=extend_schema(summary="Change a prescription (staff)"),
    destroy=extend_schema(summary="Remove a prescription (staff)"),
)
class PrescriptionViewSet(ProgramScopeMixin, viewsets.ModelViewSet):
    """Exercises within program sessions: sets × target, load, tempo, rest and progression."""

    serializer_class = PrescriptionSerializer
    filterset_class = PrescriptionFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["order"]
    ordering = ["session__template", "session__order", "session", "order", "id"]

    def get_queryset(self):
        return (
            _prescriptions()
            .select_related("session__template")
            .filter(session__template__in=templates_visible_to(self.request.user))
        )

    def organisation_id_of(self, prescription) -> int:
        return prescription.session.template.organisation_id

    def perform_destroy(self, prescription) -> None:
        with api_errors():
            services.prescription_remove(prescription=prescription, removed_by=self.request.user)

    @extend_schema(
        summary="Fill the prescription with a published scheme (light, heavy, plyometric …)",
        request=PresetSerializer,
        responses={200: PrescriptionSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=PresetSerializer)
    def preset(self, request: Request, pk=None) -> Response:
        prescription = self.get_object()
        body = PresetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with api_errors():
            prescription = services.prescription_apply_preset(
                prescription=prescription,
                applied_by=request.user,
                preset=body.validated_data["preset"],
            )
        context = self.get_serializer_context()
        return Response(PrescriptionSerializer(prescription, context=context).data)

    @extend_schema(
        summary="Move the prescription within its session; returns the session in its new order",
        request=MoveSerializer,
        responses={200: TemplateSessionNestedSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=MoveSerializer)
    def move(self, request: Request, pk=None) -> Response:
        prescription = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with api_errors():
            services.prescription_move(
                prescription=prescription,
                moved_by=request.user,
                position=body.validated_data["position"],
            )
        session = _sessions_with_prescriptions().get(pk=prescription.session_id)
        return Response(TemplateSessionNestedSerializer(session).data)


@extend_schema_view(
    list=extend_schema(
        summary="Assignments of the athletes the requester may see",
        parameters=[ordering_parameter("start_date", "created_at")],
    ),
    retrieve=extend_schema(summary="One assignment"),
    create=extend_schema(
        summary="Assign a program to athletes and/or a team (staff)",
        description="Creates one assignment per athlete with its dated sessions (see "
        "`/sessions/`). A team's later joiners get the program too.",
        request=AssignSerializer,
        responses={201: AssignmentSerializer(many=True)},
    ),
)
class AssignmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Programs given to athletes. Staff who may change the athlete assign, pause, resume and
    end; an athlete sees their own."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering_fields = ["start_date", "created_at"]
    ordering = ["-start_date", "-id"]
    write_denied = "Only staff who coach this athlete may change their program."
    create_denied = "Only the club's staff assign programs."

    def get_queryset(self):
        return assignments_visible_to(self.request.user).select_related(
            "template", "team_assignment"
        )

    def can_write(self, assignment) -> bool:
        writable = athletes_writable_by(self.request.user)
        return writable.filter(pk=assignment.athlete_id).exists()

    def get_serializer_class(self):
        if self.action == "create":
            return AssignSerializer
        if self.action == "preview":
            return ScheduleOptionsSerializer
        if self.action == "resume":
            return ResumeSerializer
        return AssignmentSerializer

    def _assignments(self, assignments) -> list:
        fresh = self.get_queryset().filter(pk__in=[a.pk for a in assignments])
        return AssignmentSerializer(fresh.order_by("athlete__last_name", "id"), many=True).data

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        body = AssignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        options = dict(body.validated_data)
        with api_errors():
            assignments = services.program_assign(
                assigned_by=request.user,
                athletes=options.pop("athletes", []),
                team=options.pop("team", None),
                **options,
            )
        return Response(self._assignments(assignments), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The calendar an assignment would produce; creates nothing",
        description="Takes the same body as creating an assignment (athletes, team and reason "
        "are ignored).",
        request=ScheduleOptionsSerializer,
        responses={200: PreviewSerializer},
    )
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        self.require_staff_somewhere()
        body = ScheduleOptionsSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        with api_errors():
            preview = services.schedule_preview(**body.validated_data)
        return Response(PreviewSerializer(preview).data)

    def _change(self, assignment, service, **kwargs) -> Response:
        with api_errors():
            service(assignment=assignment, **kwargs)
        return Response(AssignmentSerializer(self.get_queryset().get(pk=assignment.pk)).data)

    @extend_schema(
        summary="Pause: the sessions still to come are put on hold",
        request=None,
        responses={200: AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk=None) -> Response:
        return self._change(self.get_object(), services.assignment_pause, paused_by=request.user)

    @extend_schema(
        summary="Resume: held sessions go back on the calendar from `on`, keeping the gap",
        request=ResumeSerializer,
        responses={200: AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk=None) -> Response:
        assignment = self.get_object()
        body = ResumeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        on = body.validated_data.get("on")
        return self._change(assignment, services.assignment_resume, resumed_by=request.user, on=on)

    @extend_schema(
        summary="End: sessions still to come are cancelled; completed ones stay",
        request=None,
        responses={200: AssignmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk=None) -> Response:
        return self._change(self.get_object(), services.assignment_end, ended_by=request.user)
