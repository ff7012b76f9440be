from django.urls import path

from . import views_roster_csv as views

urlpatterns = [
    path("athletes/import/", views.roster_import_view, name="roster_import"),
    path(
        "athletes/import/template.csv",
        views.roster_import_template_view,
        name="roster_import_template",
    ),
    path("athletes/export.csv", views.roster_export_view, name="roster_export"),
]
