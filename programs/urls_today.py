from django.urls import path, re_path

from . import views_today, views_week

urlpatterns = [
    path("today/", views_today.today, name="today"),
    path("today/log/", views_today.today_adhoc_log, name="today_adhoc_log"),
    path("today/week/", views_week.today_week, name="today_week"),
    re_path(r"^today/(?P<day>\d{4}-\d{2}-\d{2})/$", views_week.today_day, name="today_day"),
    path(
        "today/sessions/<int:session_id>/sets/",
        views_today.today_set_log,
        name="today_set_log",
    ),
    path(
        "today/sessions/<int:session_id>/complete/",
        views_today.today_session_complete,
        name="today_session_complete",
    ),
    path(
        "athletes/<int:athlete_id>/sessions/<int:session_id>/log/",
        views_today.session_log,
        name="session_log",
    ),
    path(
        "athletes/<int:athlete_id>/sessions/<int:session_id>/log/sets/",
        views_today.session_log_set,
        name="session_log_set",
    ),
    path(
        "athletes/<int:athlete_id>/sessions/<int:session_id>/log/complete/",
        views_today.session_log_complete,
        name="session_log_complete",
    ),
]
