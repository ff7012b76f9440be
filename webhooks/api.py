"""REST endpoints for webhooks: an owner's endpoints (CRUD), each endpoint's delivery log, and
redelivery by hand.

Owners (head coaches) only. An endpoint or delivery of another organisation is a 404; one of the
requester's own organisation that they do not own is a 403, as is any call by someone who owns
no organisation. Writes go through webhooks.services. Like every viewset of the API, a POST
honours an Idempotency-Key (config/idempotency.py) and errors have the one format
(config/api_errors.py).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from athletes.api.serializers import ScopedPrimaryKeyRelatedField, api_errors
from athletes.models import Organisation
from athletes.selectors import role_in
from config.api_errors import ErrorFormatMixin
from config.idempotency import IdempotencyMixin
from config.pagination import KeysetCursorPagination

from . import services
from .models import Delivery, Endpoint, EventType
from .selectors import (
    deliveries_of_member,
    endpoints_of_member,
    endpoints_visible_to,
    organisations_owned_by,
)


def _owned_organisations(user):
    return Organisation.objects.filter(id__in=organisations_owned_by(user))


class EndpointSerializer(serializers.ModelSerializer):
    organisation = ScopedPrimaryKeyRelatedField(scope=_owned_organisations)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        max_length=len(EventType.values),
    )
    url = serializers.CharField(max_length=500)
    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery: keep it on your server only."
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "organisation",
            "url",
            "description",
            "events",
            "active",
            "secret",
            "created_at",
        ]
        read_only_fields = ["id", "secret", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["organisation"].required = False
        return fields

    def validate(self, attrs):
        if (
            self.instance is not None
            and "organisation" in attrs
            and attrs["organisation"].id != self.instance.organisation_id
        ):
            raise serializers.ValidationError(
                {"organisation": ["An endpoint cannot move to another organisation."]}
            )
        return attrs

    def create(self, validated_data):
        with api_errors():
            return services.endpoint_create(
                created_by=self.context["request"].user, **validated_data
            )

    def update(self, instance, validated_data):
        validated_data.pop("organisation", None)
        with api_errors():
            return services.endpoint_update(
                endpoint=instance, updated_by=self.context["request"].user, **validated_data
            )


class DeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    event_created_at = serializers.DateTimeField(source="event.created_at", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_type",
            "event_created_at",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "give_up_at",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryCursorPagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class OwnerOnlyMixin:
    """Objects are found among the organisations the requester belongs to (else 404); using
    them needs ownership of that organisation (else 403)."""

    def require_owner_somewhere(self) -> None:
        if not organisations_owned_by(self.request.user):
            raise PermissionDenied(services.OWNERS_ONLY)

    def member_scope(self):
        raise NotImplementedError

    def organisation_id_of(self, obj) -> int:
        raise NotImplementedError

    def get_object(self):
        obj = get_object_or_404(self.member_scope(), pk=self.kwargs["pk"])
        if role_in(self.request.user, self.organisation_id_of(obj)) != "owner":
            raise PermissionDenied(services.OWNERS_ONLY)
        return obj


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints of the organisations you own"),
    retrieve=extend_schema(summary="One webhook endpoint with its signing secret"),
    create=extend_schema(summary="Register an https endpoint for events (owners)"),
    update=extend_schema(summary="Change an endpoint (owners)"),
    partial_update=extend_schema(summary="Change an endpoint (owners)"),
    destroy=extend_schema(summary="Remove an endpoint and its delivery log (owners)"),
)
class EndpointViewSet(IdempotencyMixin, ErrorFormatMixin, OwnerOnlyMixin, viewsets.ModelViewSet):
    """Webhook endpoints. Each gets the events it subscribes to as signed JSON POSTs
    (`Baseline-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`),
    retried with exponential backoff for 24 hours."""

    serializer_class = EndpointSerializer
    filter_backends = []
    ordering = ["created_at", "id"]

    def get_queryset(self):
        return endpoints_visible_to(self.request.user).order_by("created_at", "id")

    def member_scope(self):
        return endpoints_of_member(self.request.user)

    def organisation_id_of(self, endpoint: Endpoint) -> int:
        return endpoint.organisation_id

    def list(self, request: Request, *args, **kwargs) -> Response:
        self.require_owner_somewhere()
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_owner_somewhere()
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, endpoint: Endpoint) -> None:
        with api_errors():
            services.endpoint_delete(endpoint=endpoint, deleted_by=self.request.user)

    @extend_schema(
        summary="The endpoint's delivery log, newest first",
        responses=DeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=DeliveryCursorPagination)
    def deliveries(self, request: Request, pk=None) -> Response:
        endpoint = self.get_object()
        deliveries = endpoint.deliveries.select_related("event").order_by("-created_at", "-id")
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


@extend_schema_view(retrieve=extend_schema(summary="One webhook delivery (owners)"))
class DeliveryViewSet(
    IdempotencyMixin,
    ErrorFormatMixin,
    OwnerOnlyMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook deliveries: one event sent to one endpoint, with its attempts."""

    serializer_class = DeliverySerializer
    filter_backends = []

    def get_queryset(self):
        return self.member_scope()

    def member_scope(self):
        return deliveries_of_member(self.request.user).select_related("event", "endpoint")

    def organisation_id_of(self, delivery: Delivery) -> int:
        return delivery.endpoint.organisation_id

    @extend_schema(
        summary="Send the delivery again now (owners)",
        description="Whatever its status; the retry window of 24 hours starts again.",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk=None) -> Response:
        delivery = self.get_object()
        with api_errors():
            delivery = services.delivery_redeliver(delivery=delivery, by=request.user)
        delivery = self.member_scope().get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
