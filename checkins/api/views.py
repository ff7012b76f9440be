"""REST endpoints for check-ins: staff read their athletes', an athlete their own; the athlete
(and staff who may change the athlete) record them, safe to replay: the same client_uuid with
the same values returns the check-in (200), with other values a 422 showing the original."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from athletes.api.serializers import api_errors
from athletes.api.views import ScopedViewSetMixin, ordering_parameter
from athletes.selectors import athlete_profile_of

from .. import services
from ..models import VALUE_FIELDS
from ..selectors import checkins_visible_to
from .filters import CheckInFilter
from .serializers import (
    CONFLICT,
    CheckInConflictSerializer,
    CheckInRecordSerializer,
    CheckInSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="Check-ins of the athletes the requester may see",
        parameters=[ordering_parameter("date")],
    ),
    retrieve=extend_schema(summary="One check-in"),
)
class CheckInViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Athletes' morning check-ins: pain and stiffness per area, soreness, sleep, readiness."""

    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["date"]
    ordering = ["-date", "-id"]

    def get_queryset(self):
        return checkins_visible_to(self.request.user)

    def can_write(self, obj) -> bool:
        return False  # check-ins change by recording another one for the same day

    @extend_schema(
        summary="Record the check-in of a day (a later one the same day edits it)",
        description="201 when it created the day's check-in; 200 when it edited it or was a "
        "replay (the same client_uuid and values); 422 when the client_uuid was sent before "
        "with other values.",
        request=CheckInRecordSerializer,
        responses={
            201: CheckInSerializer,
            200: CheckInSerializer,
            422: OpenApiResponse(
                CheckInConflictSerializer, description="The client_uuid was used before."
            ),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = CheckInRecordSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        athlete = values.pop("athlete", None) or athlete_profile_of(request.user)
        try:
            with api_errors():
                if athlete is None:
                    raise DjangoValidationError(
                        {"athlete": "Give the athlete: you have no athlete profile of your own."}
                    )
                checkin, created = services.checkin_record(
                    athlete=athlete,
                    recorded_by=request.user,
                    client_uuid=values.pop("client_uuid"),
                    date=values.pop("date", None),
                    **{field: values.get(field) for field in VALUE_FIELDS},
                )
        except services.IdempotencyConflict as conflict:
            return Response(
                {"detail": CONFLICT, "original": CheckInSerializer(conflict.original).data},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(CheckInSerializer(checkin).data, status=code)
