"""Shared helpers of the assessment page tests."""

import datetime

from django.urls import reverse

from assessments import services
from assessments.models import Flag, Result, Test, TestDay

DAY = datetime.date.today() - datetime.timedelta(days=7)  # within the last year, never ahead


def day(date: datetime.date) -> str:
    return f"{date.day} {date:%b}"


HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


def catalogue(slug: str) -> Test:
    return Test.objects.get(organisation=None, slug=slug)


def record(athlete, test, trials, by, **extra) -> Result:
    result, _ = services.result_record(
        athlete=athlete, test=test, trials=trials, recorded_by=by, **extra
    )
    return result


def evaluated(athlete, test, trials, by, day=DAY) -> Result:
    """A result recorded on `day` and evaluated that day, as the worker would."""
    result = record(athlete, test, trials, by, date=day)
    services.result_evaluate(result_id=result.id, today=day)
    return result


def flagged(athlete, test, trials, by, day=DAY) -> Flag:
    evaluated(athlete, test, trials, by, day)
    return Flag.objects.get(athlete=athlete, test=test)


def new_test_day(team, test, by, day=DAY) -> TestDay:
    return services.test_day_create(test=test, created_by=by, date=day, team=team)


def row_url(test_day, athlete) -> str:
    return reverse("test_day_row", args=[test_day.pk, athlete.pk])
