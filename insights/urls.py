"""The coach's read-only insight pages: dashboard, athlete insight, team reports."""

from django.urls import include, path

urlpatterns = [
    path("", include("insights.urls_dashboard")),
    path("", include("insights.urls_athlete")),
    path("", include("insights.urls_reports")),
]
