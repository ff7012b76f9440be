from django.urls import path

from . import views_tokens

urlpatterns = [
    path("settings/tokens/", views_tokens.api_token_list, name="api_tokens"),
    path(
        "settings/tokens/<int:pk>/revoke/",
        views_tokens.api_token_revoke_view,
        name="api_token_revoke",
    ),
]
