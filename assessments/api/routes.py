"""The assessments app's endpoints on the /api/v1/ router: (prefix, viewset, basename)."""

from .views import BaselineViewSet, FlagViewSet, ResultViewSet, TestDayViewSet, TestViewSet

ROUTES = [
    ("tests", TestViewSet, "api-test"),
    ("baselines", BaselineViewSet, "api-baseline"),
    ("test-days", TestDayViewSet, "api-test-day"),
    ("results", ResultViewSet, "api-result"),
    ("flags", FlagViewSet, "api-flag"),
]
