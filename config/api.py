"""The REST API under /api/v1/: one router that every app registers its viewsets on."""

from collections import OrderedDict

from django.urls import path
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView, DefaultRouter

from athletes.api.auth import MeView, ObtainTokenView


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

api_urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
