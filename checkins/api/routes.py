"""The checkins app's endpoints on the /api/v1/ router: (prefix, viewset, basename)."""

from .views import CheckInViewSet

ROUTES = [
    ("checkins", CheckInViewSet, "api-checkin"),
]
