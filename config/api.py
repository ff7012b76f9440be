"""The REST API under /api/v1/: one router that every app registers its viewsets on."""

from collections import OrderedDict

from django.urls import path
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView, DefaultRouter

from assessments.api.routes import ROUTES as ASSESSMENT_ROUTES
from assessments.api.views_csv import FlagsExportView, ResultsExportView, ResultsImportView
from athletes.api.auth import MeView, ObtainTokenView
from athletes.api.routes import ROUTES as ATHLETE_ROUTES
from checkins.api.routes import ROUTES as CHECKIN_ROUTES
from programs.api.routes import ROUTES as PROGRAM_ROUTES
from programs.api.views_csv import SetsExportView
from webhooks.api_routes import ROUTES as WEBHOOK_ROUTES


class BaselineAPIRoot(APIRootView):
    """Baseline's REST API. The schema is at /api/schema/ and the docs at /api/docs/."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        extra = OrderedDict(
            (name, reverse(name, request=request, format=kwargs.get("format")))
            for name in ("api-token", "api-me", "api-schema", "api-docs")
        )
        response.data = OrderedDict({**extra, **response.data})
        return response


class Router(DefaultRouter):
    APIRootView = BaselineAPIRoot


router = Router()
for prefix, viewset, basename in [
    *ATHLETE_ROUTES,
    *PROGRAM_ROUTES,
    *ASSESSMENT_ROUTES,
    *WEBHOOK_ROUTES,
    *CHECKIN_ROUTES,
]:
    router.register(prefix, viewset, basename=basename)

api_urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("exports/results/", ResultsExportView.as_view(), name="api-export-results"),
    path("exports/flags/", FlagsExportView.as_view(), name="api-export-flags"),
    path("exports/sets/", SetsExportView.as_view(), name="api-export-sets"),
    path("results/import/", ResultsImportView.as_view(), name="api-results-import"),
    *router.urls,
]
