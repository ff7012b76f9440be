"""Team reports: a test's results across a team, the training figures, as pages and CSV."""

from django.urls import path

from . import views_reports as views

urlpatterns = [
    path("reports/", views.report_index, name="report_index"),
    path("reports/tests/<int:test_id>/", views.report_test, name="report_test"),
    path("reports/tests/<int:test_id>/csv/", views.report_test_csv, name="report_test_csv"),
    path("reports/training/", views.report_training, name="report_training"),
    path("reports/training/csv/", views.report_training_csv, name="report_training_csv"),
]
