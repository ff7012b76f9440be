from django.urls import path

from . import views_exports as views

urlpatterns = [
    path("exports/sets.csv", views.sets_export, name="export_sets"),
]
