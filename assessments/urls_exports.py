"""CSV pages of assessments: the results and flags exports and the results import."""

from django.urls import path

from . import views_exports as views

urlpatterns = [
    path("exports/results.csv", views.results_export, name="export_results"),
    path("exports/flags.csv", views.flags_export, name="export_flags"),
    path("results/import/", views.results_import_view, name="results_import"),
    path(
        "results/import/template.csv",
        views.results_import_template,
        name="results_import_template",
    ),
]
