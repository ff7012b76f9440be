"""REST endpoints for tests, baselines, test days, results and flags.

Every queryset comes from assessments.selectors: an object the requester cannot see is a 404;
one they can see but not change (a global test or rule, an athlete's own flag) is a 403 on any
write. Writes go through assessments.services (results, test days, flags) and
assessments.baselines (a club's tests and rules).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.baselines import RULES_DENIED, baseline_remove, may_set_rules
from assessments.models import Baseline, Flag, Result, Test, TestDay
from assessments.selectors import (
    baselines_visible_to,
    baselines_writable_by,
    flags_visible_to,
    results_visible_to,
    test_days_visible_to,
    tests_visible_to,
    tests_writable_by,
)
from assessments.services import (
    BatchRowsInvalid,
    ResultConflict,
    flag_dismiss,
    flag_resolve,
    may_record_for,
    results_record_batch,
    test_day_create,
)
from athletes.api.serializers import api_errors, drf_error_detail
from athletes.api.views import ScopedViewSetMixin, ordering_parameter
from config.pagination import KeysetCursorPagination

from .filters import BaselineFilter, FlagFilter, ResultFilter, TestDayFilter, TestFilter
from .serializers import (
    MAX_BATCH_ROWS,
    BaselineSerializer,
    FlagConflictSerializer,
    FlagDismissSerializer,
    FlagResolveSerializer,
    FlagSerializer,
    ResultBatchResponseSerializer,
    ResultBatchSerializer,
    ResultConflictSerializer,
    ResultSerializer,
    TestDaySerializer,
    TestSerializer,
)

HTTP_422 = 422

# --- tests -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="The test catalogue: global tests and your clubs' own",
        description="Each test carries `baselines`: the global rules and your organisations' "
        "overrides for it.",
        parameters=[ordering_parameter("name")],
    ),
    retrieve=extend_schema(summary="One test with its rules"),
    create=extend_schema(summary="Add a test to your organisation's catalogue (staff)"),
    update=extend_schema(summary="Change one of your organisation's tests (staff)"),
    partial_update=extend_schema(summary="Change one of your organisation's tests (staff)"),
)
class TestViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Tests (assessments): the catalogue shipped with Baseline (read-only) plus the own tests of
    the requester's organisations, which their staff add and change."""

    __test__ = False  # not a pytest test class

    serializer_class = TestSerializer
    filterset_class = TestFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name", "id"]
    write_denied = "Only your organisation's own tests can be changed; the catalogue is not."
    create_denied = "Only the club's staff may add tests."

    def get_queryset(self):
        user = self.request.user
        rules = baselines_visible_to(user).prefetch_related("norms").order_by("kind", "id")
        return tests_visible_to(user).prefetch_related(
            Prefetch("baselines", queryset=rules, to_attr="visible_baselines")
        )

    def can_write(self, test: Test) -> bool:
        return tests_writable_by(self.request.user).filter(pk=test.pk).exists()

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        return super().create(request, *args, **kwargs)


# --- baselines ---------------------------------------------------------------------------------

BASELINE_WRITE_NOTE = (
    "Changing a baseline does not itself re-evaluate results already recorded: new results "
    "use the change at once, and the nightly sweep re-evaluates each athlete's latest result "
    "that the change affects."
)


@extend_schema_view(
    list=extend_schema(
        summary="Baselines: global rules and your organisations' overrides",
        parameters=[ordering_parameter("kind", "updated_at")],
    ),
    retrieve=extend_schema(summary="One baseline with its norms"),
    create=extend_schema(
        summary="Override a rule for your organisation or one of its teams (head coach, physio)",
        description=BASELINE_WRITE_NOTE,
    ),
    update=extend_schema(
        summary="Change an override (head coach, physio)", description=BASELINE_WRITE_NOTE
    ),
    partial_update=extend_schema(
        summary="Change an override (head coach, physio)", description=BASELINE_WRITE_NOTE
    ),
    destroy=extend_schema(
        summary="Remove an override (head coach, physio)",
        description="The organisation's or the global rule of that kind applies again. "
        + BASELINE_WRITE_NOTE,
    ),
)
class BaselineViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Baselines (the rules a result must meet). Global rules are read-only; the head coach and
    physios of an organisation override them for the organisation or one of its teams. Coaches
    and athletes read them."""

    serializer_class = BaselineSerializer
    filterset_class = BaselineFilter
    ordering_fields = ["kind", "updated_at"]
    ordering = ["test", "kind", "id"]
    create_denied = RULES_DENIED

    def get_queryset(self):
        return baselines_visible_to(self.request.user).prefetch_related("norms")

    def can_write(self, baseline: Baseline) -> bool:
        user = self.request.user
        if baseline.organisation_id is None:
            self.write_denied = "Global rules are read-only; add an override for your club."
            return False
        self.write_denied = RULES_DENIED
        return (
            may_set_rules(user, baseline.organisation_id)
            and baselines_writable_by(user).filter(pk=baseline.pk).exists()
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, baseline: Baseline) -> None:
        with api_errors():
            baseline_remove(baseline=baseline, removed_by=self.request.user)


# --- test days ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Test days of your clubs (staff)", parameters=[ordering_parameter("date")]
    ),
    retrieve=extend_schema(summary="One test day"),
    create=extend_schema(summary="Start a test day for a team (staff)"),
)
class TestDayViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A team tested together on one day. Record its results with `POST /results/batch/`."""

    __test__ = False

    serializer_class = TestDaySerializer
    filterset_class = TestDayFilter
    ordering_fields = ["date"]
    ordering = ["-date", "-id"]
    create_denied = "Only the club's staff run test days."

    def get_queryset(self):
        return test_days_visible_to(self.request.user).annotate(result_count=Count("results"))

    def can_write(self, test_day: TestDay) -> bool:
        return True  # nothing but create writes, and create has no object

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        return super().create(request, *args, **kwargs)


# --- results -----------------------------------------------------------------------------------


class ResultCursorPagination(KeysetCursorPagination):
    """Stable pages while results are being added: newest first by default."""

    ordering = ("-date", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class TieBreakingOrderingFilter(OrderingFilter):
    """Orders by the requested field and then by id in the same direction, so a cursor never
    skips or repeats results of the same date."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and ordering[-1].lstrip("-") != "id":
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return ordering


def _record_rows(test_day: TestDay, recorded_by, rows: list[dict]) -> list[tuple[Result, bool]]:
    """The test day's rows through the service: all or none; errors keyed by row index,
    {"rows": {"3": {"left": ["…"]}}}."""
    try:
        return results_record_batch(test_day=test_day, recorded_by=recorded_by, rows=rows)
    except BatchRowsInvalid as error:
        raise serializers.ValidationError(
            {
                "rows": {
                    index: drf_error_detail(DjangoValidationError(fields))
                    for index, fields in error.rows.items()
                }
            }
        ) from error


def _conflict_response(conflict: ResultConflict) -> Response:
    body = {"detail": str(conflict), "original": conflict.original.id}
    if getattr(conflict, "row", None) is not None:
        body["row"] = conflict.row
    return Response(body, status=HTTP_422)


CONFLICT_422 = OpenApiResponse(
    ResultConflictSerializer,
    description="The client_uuid was used before with a different result; nothing was stored.",
)


@extend_schema_view(
    list=extend_schema(
        summary="Results you may see, newest first (cursor pages)",
        description="`passed` and `reasons` are null/empty until a worker has evaluated the "
        "result. Follow `next` to page; the cursor stays stable while results are added.",
        parameters=[ordering_parameter("date")],
    ),
    retrieve=extend_schema(summary="One result"),
    create=extend_schema(
        summary="Record one result (staff of the athlete)",
        description="Validation errors name the side (`left`, `right`, `both`) or field. "
        "Send a `client_uuid` to make retries safe: the same body again returns the stored "
        "result with 200; a different body with the same uuid is a 422.",
        responses={
            201: ResultSerializer,
            200: OpenApiResponse(ResultSerializer, description="A replay: the stored result."),
            400: OpenApiResponse(
                description='Errors keyed by field, trials by side: {"left": ["…"]}.'
            ),
            403: OpenApiResponse(description="The requester may not record for the athlete."),
            422: CONFLICT_422,
        },
    ),
)
class ResultViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Results: staff see their athletes' results, an athlete their own. The club's staff record
    them, one at a time or a test day's grid at once."""

    serializer_class = ResultSerializer
    filterset_class = ResultFilter
    pagination_class = ResultCursorPagination
    filter_backends = [DjangoFilterBackend, TieBreakingOrderingFilter]
    ordering_fields = ["date"]
    ordering = ["-date", "-id"]
    create_denied = "Only the club's staff record results."

    def get_queryset(self):
        return results_visible_to(self.request.user)

    def can_write(self, result: Result) -> bool:
        return True  # results are only created; the service checks the athlete

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = serializer.save()
        except ResultConflict as conflict:
            return _conflict_response(conflict)
        code = status.HTTP_201_CREATED if serializer.created else status.HTTP_200_OK
        return Response(self.get_serializer(result).data, status=code)

    @extend_schema(
        summary="Record a test day's results: all rows or none",
        description=f"Name a test day (`test_day`) or start one (`test`, `team`, `date`). "
        f"At most {MAX_BATCH_ROWS} rows. One bad row stores nothing; errors "
        'are keyed by row index and side: `{"rows": {"3": {"left": ["…"]}}}`.',
        request=ResultBatchSerializer,
        responses={
            201: ResultBatchResponseSerializer,
            400: OpenApiResponse(
                description='Nothing was stored. Row errors: {"rows": {"3": {"left": ["…"]}}}.'
            ),
            403: OpenApiResponse(description="Only the club's staff record results."),
            422: CONFLICT_422,
        },
    )
    @action(detail=False, methods=["post"], serializer_class=ResultBatchSerializer)
    def batch(self, request: Request) -> Response:
        self.require_staff_somewhere()
        serializer = ResultBatchSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with api_errors():
                test_day = data.get("test_day") or test_day_create(
                    test=data["test"],
                    team=data["team"],
                    date=data["date"],
                    notes=data["notes"],
                    created_by=request.user,
                )
                stored = _record_rows(test_day, request.user, data["rows"])
        except ResultConflict as conflict:
            return _conflict_response(conflict)
        test_day.result_count = test_day.results.count()
        body = {
            "test_day": TestDaySerializer(test_day, context=self.get_serializer_context()).data,
            "results": ResultSerializer(
                [result for result, _ in stored], many=True, context=self.get_serializer_context()
            ).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


# --- flags -------------------------------------------------------------------------------------


class FlagClosed(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The flag is already closed."
    default_code = "flag_closed"


@contextmanager
def _flag_change() -> Iterator[None]:
    """A service's "already closed" is a 409; other validation errors are 400s."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict") and "status" in error.error_dict:
            raise FlagClosed(error.message_dict["status"][0]) from error
        raise serializers.ValidationError(drf_error_detail(error)) from error


FLAG_ACTION_RESPONSES = {
    200: FlagSerializer,
    403: OpenApiResponse(description="The requester may see the flag but not change it."),
    404: OpenApiResponse(description="No such flag among those the requester may see."),
    409: OpenApiResponse(FlagConflictSerializer, description="The flag is already closed."),
}


@extend_schema_view(
    list=extend_schema(
        summary="Flags: athletes who need attention (cursor pages)",
        description="Newest first by default. Follow `next` to page: the cursor stays exact "
        "while flags are raised, whatever the ordering (ties are broken by id).",
        parameters=[ordering_parameter("created_at", "retest_due")],
    ),
    retrieve=extend_schema(summary="One flag with its history"),
)
class FlagViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Flags are raised, moved along and resolved by the system (a failed result, a passing
    retest); staff of the athlete may dismiss one with a reason or resolve one by hand. Athletes
    see their own flags, read-only."""

    serializer_class = FlagSerializer
    filterset_class = FlagFilter
    pagination_class = KeysetCursorPagination
    ordering_fields = ["created_at", "retest_due"]
    ordering = ["-created_at", "-id"]
    write_denied = "Only the athlete's coaches and physios change flags."

    def get_queryset(self):
        return (
            flags_visible_to(self.request.user)
            .select_related("protocol__template")
            .prefetch_related("events")
        )

    def can_write(self, flag: Flag) -> bool:
        return may_record_for(self.request.user, flag.athlete)

    def _fresh(self, flag: Flag) -> Response:
        flag = self.get_queryset().get(pk=flag.pk)
        return Response(FlagSerializer(flag, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Dismiss a flag with a reason (staff of the athlete)",
        description="Closes the flag without a passing retest and ends its protocol.",
        request=FlagDismissSerializer,
        responses=FLAG_ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk=None) -> Response:
        flag = self.get_object()
        serializer = FlagDismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with _flag_change():
            flag = flag_dismiss(
                flag=flag, dismissed_by=request.user, reason=serializer.validated_data["reason"]
            )
        return self._fresh(flag)

    @extend_schema(
        summary="Resolve a flag by hand (staff of the athlete)",
        description="E.g. a pain flag once the athlete is fine; ends its protocol.",
        request=FlagResolveSerializer,
        responses=FLAG_ACTION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk=None) -> Response:
        flag = self.get_object()
        serializer = FlagResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with _flag_change():
            flag = flag_resolve(
                flag=flag, resolved_by=request.user, note=serializer.validated_data["note"]
            )
        return self._fresh(flag)
