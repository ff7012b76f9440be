"""The athletes app's endpoints on the /api/v1/ router: (prefix, viewset, basename)."""

from .views import AthleteViewSet, OrganisationViewSet, TeamViewSet

ROUTES = [
    ("organisations", OrganisationViewSet, "api-organisation"),
    ("teams", TeamViewSet, "api-team"),
    ("athletes", AthleteViewSet, "api-athlete"),
]
