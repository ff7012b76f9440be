"""The owner's webhook pages under /settings/webhooks/."""

from django.urls import path

from . import views

endpoint = "settings/webhooks/<int:pk>/"

urlpatterns = [
    path("settings/webhooks/", views.endpoint_list, name="webhook_list"),
    path("settings/webhooks/new/", views.endpoint_create, name="webhook_create"),
    path(endpoint, views.endpoint_detail, name="webhook_detail"),
    path(endpoint + "delete/", views.endpoint_delete, name="webhook_delete"),
    path(
        "settings/webhooks/deliveries/<int:pk>/redeliver/",
        views.delivery_redeliver,
        name="webhook_redeliver",
    ),
]
