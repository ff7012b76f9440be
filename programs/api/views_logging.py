"""REST endpoints for scheduled sessions and logged sets: the calendar and what was done.

Reads come from programs.selectors (anything out of scope is a 404). Staff who may change an
athlete move their sessions; the athlete themself and those staff complete sessions and log
sets, safe to replay: a client UUID sent again returns the stored original (200), the same UUID
with other values is a 422 that shows the original. A list of sets is stored all or nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from athletes.api.serializers import api_errors, drf_error_detail
from athletes.api.views import ScopedViewSetMixin, ordering_parameter
from athletes.selectors import athlete_profile_of, athletes_writable_by
from config.pagination import KeysetCursorPagination
from programs import services
from programs.selectors import sessions_visible_to, sets_visible_to
from programs.services.logging import may_log_for, set_delete

from .filters_programs import LoggedSetFilter, ScheduledSessionFilter, TiebreakOrderingFilter
from .own_sets import own_set_lane, own_set_logged
from .serializers_logging import (
    CONFLICT,
    LoggedSetResultSerializer,
    LoggedSetSerializer,
    ScheduledSessionDetailSerializer,
    ScheduledSessionSerializer,
    SessionCompleteSerializer,
    SessionConflictSerializer,
    SessionRescheduledSerializer,
    SessionRescheduleSerializer,
    SetConflictSerializer,
    SetLogSerializer,
)

MAX_SETS_PER_REQUEST = 200
SET_VALUE_FIELDS = ("reps", "seconds", "contacts", "metres", "load_value", "rpe", "pain")


@extend_schema_view(
    list=extend_schema(
        summary="Scheduled sessions of the athletes the requester may see (cursor pages)",
        description="By date by default. Follow `next` to page: the cursor stays exact while "
        "sessions are added, however many share a date (ties are broken by id).",
        parameters=[ordering_parameter("date", "sequence")],
    ),
    retrieve=extend_schema(
        summary="One session with its exercises as prescribed for its week",
        description="`prescriptions` has progression and pain gating applied; "
        "`progression_note` says why an exercise progressed, held or stepped back.",
    ),
)
class ScheduledSessionViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Athletes' dated sessions. Staff who may change the athlete move them; the athlete and
    those staff complete them."""

    filterset_class = ScheduledSessionFilter
    pagination_class = KeysetCursorPagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["date", "sequence"]
    ordering = ["date", "sequence", "id"]
    write_denied = "Only staff who coach this athlete may move their sessions."

    def get_queryset(self):
        return sessions_visible_to(self.request.user).select_related("assignment__template")

    def can_write(self, session) -> bool:
        if self.action == "complete":
            return may_log_for(self.request.user, session.athlete)
        return athletes_writable_by(self.request.user).filter(pk=session.athlete_id).exists()

    def get_serializer_class(self):
        return {
            "list": ScheduledSessionSerializer,
            "partial_update": SessionRescheduleSerializer,
            "complete": SessionCompleteSerializer,
        }.get(self.action, ScheduledSessionDetailSerializer)

    @extend_schema(
        summary="Move a session (staff); later sessions move where the minimum gap requires",
        request=SessionRescheduleSerializer,
        responses={200: SessionRescheduledSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        session = self.get_object()
        body = SessionRescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with api_errors():
            moved = services.session_reschedule(
                session=session, moved_by=request.user, date=body.validated_data["date"]
            )
        fresh = self.get_queryset().get(pk=session.pk)
        fresh.moved = self.get_queryset().filter(pk__in=[s.pk for s in moved]).order_by("sequence")
        return Response(SessionRescheduledSerializer(fresh).data)

    @extend_schema(
        summary="Complete a session with its RPE, minutes and pain",
        description="201 when newly completed; 200 for a replay (same client_uuid or the same "
        "values); 422 when it was already completed with other values.",
        request=SessionCompleteSerializer,
        responses={
            201: ScheduledSessionDetailSerializer,
            200: ScheduledSessionDetailSerializer,
            422: OpenApiResponse(SessionConflictSerializer, description="Already completed."),
        },
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk=None) -> Response:
        session = self.get_object()
        body = SessionCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with api_errors():
                done, created = services.session_complete(
                    session=session, completed_by=request.user, **body.validated_data
                )
        except services.IdempotencyConflict as conflict:
            original = ScheduledSessionSerializer(conflict.original).data
            return Response(
                {"detail": CONFLICT, "original": original},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        data = ScheduledSessionDetailSerializer(self.get_queryset().get(pk=done.pk)).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SetCursorPagination(KeysetCursorPagination):
    """Newest first by default; follow `next` (a cursor) rather than counting pages."""

    ordering = ("-performed_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500


class _Refused(Exception):
    """Some sets of a list were refused: undo the whole list."""


SET_REQUEST = PolymorphicProxySerializer(
    component_name="SetLogOneOrMany",
    serializers=[SetLogSerializer, SetLogSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)
SET_RESPONSE = PolymorphicProxySerializer(
    component_name="SetLogged",
    serializers=[LoggedSetSerializer, LoggedSetResultSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)
SETS_CONFLICT = inline_serializer(
    "SetsConflict",
    {
        "detail": serializers.CharField(),
        "original": serializers.DictField(
            child=LoggedSetSerializer(), help_text="The stored set, keyed by the list index."
        ),
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="Logged sets of the athletes the requester may see (cursor pagination)",
        parameters=[ordering_parameter("performed_at")],
    ),
    retrieve=extend_schema(summary="One logged set"),
    destroy=extend_schema(summary="Delete a logged set (the athlete or their staff)"),
)
class LoggedSetViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sets athletes did. Each carries a client UUID, so sending it again stores nothing new."""

    serializer_class = LoggedSetSerializer
    filterset_class = LoggedSetFilter
    filter_backends = [DjangoFilterBackend, TiebreakOrderingFilter]
    pagination_class = SetCursorPagination
    http_method_names = ["get", "post", "delete", "head", "options"]
    ordering_fields = ["performed_at"]
    ordering = ["-performed_at", "-id"]
    write_denied = "Only the athlete and their staff may delete their sets."

    def dispatch(self, request, *args, **kwargs):
        if self.action_map.get(request.method.lower()) == "create":
            lane = own_set_lane(request, self)  # a set of one's own with a personal token
            if lane is not None:
                self.response = lane
                return lane
        return super().dispatch(request, *args, **kwargs)

    def check_throttles(self, request):
        if not getattr(request._request, "throttles_counted", False):  # see own_set_lane
            super().check_throttles(request)

    def get_queryset(self):
        return sets_visible_to(self.request.user).select_related("exercise")

    def can_write(self, logged) -> bool:
        return may_log_for(self.request.user, logged.athlete)

    def perform_destroy(self, logged) -> None:
        set_delete(logged_set=logged, deleted_by=self.request.user)

    def _entry(self, values: dict) -> dict:
        """The keyword arguments for services.set_log, spelled the same way every time so a
        replay has the same fingerprint."""
        entry = dict(values)
        if entry.get("athlete") is None:
            if not hasattr(self, "_own_profile"):
                self._own_profile = athlete_profile_of(self.request.user)
            if self._own_profile is None:
                raise DjangoValidationError(
                    {"athlete": "Give the athlete: you have no athlete profile of your own."}
                )
            entry["athlete"] = self._own_profile
        for field in SET_VALUE_FIELDS:
            entry.setdefault(field, None)
        entry.setdefault("session", None)
        entry.setdefault("performed_at", None)
        return entry

    @extend_schema(
        summary="Log a set, or a list of sets (all or nothing)",
        description="One set: 201 when stored, 200 when the client_uuid was stored before with "
        "the same values (the original is returned), 422 when it was stored with other values. "
        "A list: 201 with every set flagged `created` (200 when all were replays); any invalid "
        "item is a 400 with its errors keyed by its index, and nothing is stored.",
        request=SET_REQUEST,
        responses={
            201: SET_RESPONSE,
            200: SET_RESPONSE,
            422: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="SetConflictResponse",
                    serializers=[SetConflictSerializer, SETS_CONFLICT],
                    resource_type_field_name=None,
                ),
                description="The client_uuid was used before with other values.",
            ),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        if isinstance(request.data, list):
            return self._create_many(request.data)
        stored = own_set_logged(request.user, request.data)  # the common case, in two statements
        if stored is not None:
            return Response(stored, status=status.HTTP_201_CREATED)
        body = SetLogSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        try:
            # set_log is atomic itself (one insert): no outer transaction, so no savepoint.
            with api_errors(atomic=False):
                logged, created = services.set_log(
                    logged_by=request.user, **self._entry(body.validated_data)
                )
        except services.IdempotencyConflict as conflict:
            original = LoggedSetSerializer(conflict.original).data
            return Response(
                {"detail": CONFLICT, "original": original},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(LoggedSetSerializer(logged).data, status=code)

    def _create_many(self, items: list) -> Response:
        if not 1 <= len(items) <= MAX_SETS_PER_REQUEST:
            message = f"Send 1 to {MAX_SETS_PER_REQUEST} sets at a time."
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
        body = SetLogSerializer(data=items, many=True, context=self.get_serializer_context())
        if not body.is_valid():
            errors = body.errors  # by index: a dict, or a list in DRF's older format
            pairs = errors.items() if isinstance(errors, dict) else enumerate(errors)
            raise serializers.ValidationError({str(i): error for i, error in pairs if error})
        stored, errors, originals = [], {}, {}
        try:
            with api_errors():  # one transaction: a refused set undoes the ones before it
                for index, values in enumerate(body.validated_data):
                    try:
                        logged, created = services.set_log(
                            logged_by=self.request.user, **self._entry(values)
                        )
                    except DjangoValidationError as exc:
                        errors[str(index)] = drf_error_detail(exc)
                    except services.IdempotencyConflict as conflict:
                        originals[str(index)] = LoggedSetSerializer(conflict.original).data
                    else:
                        logged.was_created = created
                        stored.append(logged)
                if errors or originals:
                    raise _Refused
        except _Refused:
            if errors:
                raise serializers.ValidationError(errors) from None
            return Response(
                {"detail": CONFLICT, "original": originals},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        created_any = any(logged.was_created for logged in stored)
        return Response(
            LoggedSetResultSerializer(stored, many=True).data,
            status=status.HTTP_201_CREATED if created_any else status.HTTP_200_OK,
        )
