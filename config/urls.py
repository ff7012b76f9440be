from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config.api import api_urlpatterns
from config.api_docs import ApiDocsView
from config.bench import ping as bench_ping
from config.health import healthz
from config.pwa import service_worker, web_manifest

urlpatterns = [
    # First: the API's calls are the busiest and its prefix rules the rest out in one step.
    path("api/v1/", include(api_urlpatterns)),
    path("", include("athletes.urls")),
    path("", include("athletes.urls_roster_csv")),
    path("", include("athletes.urls_tokens")),
    path("", include("programs.urls")),
    path("", include("programs.urls_builder")),
    path("", include("programs.urls_today")),
    path("", include("assessments.urls")),
    path("", include("assessments.urls_exports")),
    path("", include("programs.urls_exports")),
    path("", include("webhooks.urls")),
    path("", include("insights.urls")),
    path("", include("checkins.urls")),
    path("healthz", healthz, name="healthz"),
    path("sw.js", service_worker, name="service_worker"),
    path("manifest.webmanifest", web_manifest, name="web_manifest"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.BENCH_ENDPOINTS:  # the load benchmark's yardstick (bench/api); off elsewhere
    urlpatterns.append(path("bench/ping", bench_ping, name="bench_ping"))

admin.site.site_header = "Baseline administration"
admin.site.site_title = "Baseline admin"
