from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("organisation/switch/", views.organisation_switch, name="organisation_switch"),
    path("athletes/", views.athlete_list, name="athlete_list"),
    path("athletes/new/", views.athlete_create, name="athlete_create"),
    path("athletes/<int:pk>/", views.athlete_detail, name="athlete_detail"),
    path("athletes/<int:pk>/edit/", views.athlete_edit, name="athlete_edit"),
    path("athletes/<int:pk>/archive/", views.athlete_archive, name="athlete_archive"),
    path("athletes/<int:pk>/restore/", views.athlete_restore, name="athlete_restore"),
    path("athletes/<int:pk>/invite/", views.athlete_invite, name="athlete_invite"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("invite/<uidb64>/<token>/", views.InviteAcceptView.as_view(), name="invite_accept"),
]
