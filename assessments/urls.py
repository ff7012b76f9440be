"""The assessment pages: the test catalogue and baselines, results and test days, the flag
inbox, notification settings, and the athlete's own results."""

from django.urls import path

from . import views_catalogue as catalogue
from . import views_flags as flags
from . import views_results as results

test = "tests/<int:pk>/"
test_day = "test-days/<int:pk>/"
flag = "flags/<int:pk>/"

urlpatterns = [
    path("tests/", catalogue.test_list, name="test_list"),
    path("tests/new/", catalogue.test_create, name="test_create"),
    path(test, catalogue.test_detail, name="test_detail"),
    path(test + "baselines/", catalogue.baseline_save, name="baseline_save"),
    path(
        test + "baselines/<int:baseline_id>/remove/",
        catalogue.baseline_remove,
        name="baseline_remove",
    ),
    path("athletes/<int:athlete_id>/results/", results.athlete_results, name="athlete_results"),
    path("test-days/", results.test_day_list, name="test_day_list"),
    path("test-days/new/", results.test_day_create, name="test_day_create"),
    path(test_day, results.test_day_detail, name="test_day_detail"),
    path(test_day + "rows/<int:athlete_id>/", results.test_day_row, name="test_day_row"),
    path("flags/", flags.flag_list, name="flag_list"),
    path(flag, flags.flag_detail, name="flag_detail"),
    path(flag + "dismiss/", flags.flag_dismiss, name="flag_dismiss"),
    path(flag + "resolve/", flags.flag_resolve, name="flag_resolve"),
    path("settings/notifications/", flags.notification_settings, name="notification_settings"),
    path("me/results/", results.my_results, name="my_results"),
]
