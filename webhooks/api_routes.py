"""The webhooks app's endpoints on the /api/v1/ router: (prefix, viewset, basename)."""

from .api import DeliveryViewSet, EndpointViewSet

ROUTES = [
    ("webhooks", EndpointViewSet, "api-webhook"),
    ("webhook-deliveries", DeliveryViewSet, "api-webhook-delivery"),
]
