"""Reading check-ins: every read is scoped through athletes.selectors."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from athletes.models import Athlete, User
from athletes.selectors import athletes_visible_to

from .models import AREA_FIELDS, PAIN_LIMIT, CheckIn


def checkins_visible_to(user: User, *, organisation=None) -> QuerySet[CheckIn]:
    """Check-ins of the athletes the user may see (staff: their athletes; an athlete: their
    own)."""
    return CheckIn.objects.filter(athlete__in=athletes_visible_to(user, organisation=organisation))


def checkin_of_day(athlete: Athlete, date: datetime.date | None = None) -> CheckIn | None:
    """The athlete's check-in of the day (default today); the caller has scoped the athlete."""
    date = date or timezone.localdate()
    return CheckIn.objects.filter(athlete=athlete, date=date).first()


def recent_checkins(athlete: Athlete, *, days: int = 14) -> QuerySet[CheckIn]:
    """The athlete's check-ins of the last `days` days, newest first."""
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    return CheckIn.objects.filter(athlete=athlete, date__gte=since).order_by("-date")


def painful_checkins(
    athletes: QuerySet[Athlete], *, since: datetime.date, until: datetime.date
) -> QuerySet[CheckIn]:
    """Check-ins of the (already scoped) athletes between the two dates with pain or stiffness
    above PAIN_LIMIT in any area. One query."""
    above = Q()
    for field in AREA_FIELDS:
        above |= Q(**{f"{field}__gt": PAIN_LIMIT})
    return CheckIn.objects.filter(
        above, athlete_id__in=athletes.values("id"), date__gte=since, date__lte=until
    ).order_by("date", "id")


def painful_checkins_visible_to(
    user: User, *, organisation=None, days: int = 7, limit: int = PAIN_LIMIT
) -> QuerySet[CheckIn]:
    """Recent check-ins with pain or stiffness above `limit` in any area, of the athletes the
    user may see, newest first (for the coach's dashboard). One query."""
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    above = Q()
    for field in AREA_FIELDS:
        above |= Q(**{f"{field}__gt": limit})
    return (
        checkins_visible_to(user, organisation=organisation)
        .filter(above, date__gte=since)
        .select_related("athlete")
        .order_by("-date", "athlete__last_name", "athlete__first_name")
    )
