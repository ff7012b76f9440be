"""Derived training figures per athlete, team and week, in a fixed number of queries.

- compliance: sessions completed ÷ sessions scheduled up to today (skipped ones count as missed;
  sessions of paused or ended assignments that never happened do not count);
- volume: reps, seconds, foot contacts and metres logged, and time under tension: the seconds
  of timed sets plus reps × the prescribed tempo's seconds per rep (a rep set logged without a
  tempo adds no time under tension: it is not known);
- session load: session RPE × minutes (Foster), summed over the week;
- pain: the highest pain of the week (given when a session was completed or with a logged set),
  None for a week without any pain score;
- the rolling average of a weekly figure (e.g. foot contacts over 4 weeks): rolling_average.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncWeek
from django.utils import timezone

from athletes.models import Athlete

from .models import LoggedSet, ScheduledSession, SessionStatus

DUE = [SessionStatus.SCHEDULED, SessionStatus.COMPLETED, SessionStatus.SKIPPED]


@dataclass
class Figures:
    scheduled: int = 0
    completed: int = 0
    reps: int = 0
    seconds: int = 0
    contacts: int = 0
    metres: int = 0
    time_under_tension: int = 0
    session_load: float = 0.0
    pain: int | None = None
    athletes: set = field(default_factory=set)

    @property
    def compliance(self) -> float | None:
        return None if not self.scheduled else self.completed / self.scheduled

    def add(self, other: Figures) -> None:
        for name in (
            "scheduled",
            "completed",
            "reps",
            "seconds",
            "contacts",
            "metres",
            "time_under_tension",
            "session_load",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.pain = _most(self.pain, other.pain)
        self.athletes |= other.athletes


def _most(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def weekly_figures(
    *, athlete_ids, start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> dict[tuple[int, datetime.date], Figures]:
    """{(athlete id, Monday of the week): Figures} for the weeks from `start` to `end`."""
    today = today or timezone.localdate()
    figures: dict[tuple[int, datetime.date], Figures] = defaultdict(Figures)
    sessions = (
        ScheduledSession.objects.filter(
            athlete_id__in=athlete_ids, date__gte=start, date__lte=min(end, today)
        )
        .annotate(monday=_monday("date"))
        .values("athlete_id", "monday")
        .annotate(
            scheduled=Count("id", filter=Q(status__in=DUE)),
            completed=Count("id", filter=Q(status=SessionStatus.COMPLETED)),
            load=Coalesce(
                Sum(
                    F("session_rpe") * F("duration_minutes"),
                    filter=Q(status=SessionStatus.COMPLETED),
                    output_field=DecimalField(),
                ),
                Value(Decimal(0)),
                output_field=DecimalField(),
            ),
            most_pain=Max("pain"),
        )
    )
    for row in sessions:
        item = figures[(row["athlete_id"], _day(row["monday"]))]
        item.scheduled, item.completed = row["scheduled"], row["completed"]
        item.session_load = float(row["load"])
        item.pain = _most(item.pain, row["most_pain"])
        item.athletes.add(row["athlete_id"])
    tut = ExpressionWrapper(
        Coalesce(F("seconds"), 0) + Coalesce(F("reps"), 0) * Coalesce(F("rep_seconds"), 0),
        output_field=IntegerField(),
    )
    volume = (
        LoggedSet.objects.filter(
            athlete_id__in=athlete_ids,
            performed_at__gte=_midnight(start),
            performed_at__lt=_midnight(end + datetime.timedelta(days=1)),
        )
        .annotate(monday=_monday("performed_at"))
        .values("athlete_id", "monday")
        .annotate(
            total_reps=Coalesce(Sum("reps"), 0),
            total_seconds=Coalesce(Sum("seconds"), 0),
            total_contacts=Coalesce(Sum("contacts"), 0),
            total_metres=Coalesce(Sum("metres"), 0),
            tut=Coalesce(Sum(tut), 0),
            most_pain=Max("pain"),
        )
    )
    for row in volume:
        item = figures[(row["athlete_id"], _day(row["monday"]))]
        item.reps, item.seconds = row["total_reps"], row["total_seconds"]
        item.contacts, item.metres = row["total_contacts"], row["total_metres"]
        item.time_under_tension = row["tut"]
        item.pain = _most(item.pain, row["most_pain"])
        item.athletes.add(row["athlete_id"])
    return dict(figures)


def team_figures(
    *,
    athlete_ids,
    team_ids: list[int],
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
) -> dict[int, Figures]:
    """{team id: Figures} from `start` to `end`, added up per team in the database: sessions
    scheduled and completed and the session load of the team's athletes, and the athletes with a
    session or a logged set (`athletes`). An athlete on two teams counts in both. Two queries;
    volume and pain are left out (weekly_figures has them per athlete)."""
    today = today or timezone.localdate()
    in_range = {"date__gte": start, "date__lte": min(end, today)}
    sessions = ScheduledSession.objects.filter(athlete_id__in=athlete_ids, **in_range)
    sets = LoggedSet.objects.filter(
        athlete_id__in=athlete_ids,
        performed_at__gte=_midnight(start),
        performed_at__lt=_midnight(end + datetime.timedelta(days=1)),
    )
    figures = {team_id: Figures() for team_id in team_ids}
    totals = (
        sessions.filter(athlete__teams__in=team_ids)
        .values("athlete__teams")
        .annotate(
            scheduled=Count("id", filter=Q(status__in=DUE)),
            completed=Count("id", filter=Q(status=SessionStatus.COMPLETED)),
            load=Coalesce(
                Sum(
                    F("session_rpe") * F("duration_minutes"),
                    filter=Q(status=SessionStatus.COMPLETED),
                    output_field=DecimalField(),
                ),
                Value(Decimal(0)),
                output_field=DecimalField(),
            ),
        )
        .order_by()
    )
    for row in totals:
        item = figures[row["athlete__teams"]]
        item.scheduled, item.completed = row["scheduled"], row["completed"]
        item.session_load = float(row["load"])
    members = (
        Athlete.teams.through.objects.filter(team_id__in=team_ids, athlete_id__in=athlete_ids)
        .filter(
            Q(athlete_id__in=sessions.values("athlete_id"))
            | Q(athlete_id__in=sets.values("athlete_id"))
        )
        .values_list("team_id", "athlete_id")
    )
    for team_id, athlete_id in members:
        figures[team_id].athletes.add(athlete_id)
    return figures


def weekly_pain(
    *, athlete_ids, start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> dict[tuple[int, datetime.date], int]:
    """{(athlete id, Monday of the week): the week's highest pain} for the weeks from `start` to
    `end` that have a pain score: the `pain` of weekly_figures without the rest (one query, only
    the rows with pain)."""
    today = today or timezone.localdate()
    sessions = (
        ScheduledSession.objects.filter(
            athlete_id__in=athlete_ids,
            date__gte=start,
            date__lte=min(end, today),
            pain__isnull=False,
        )
        .annotate(monday=_monday("date"))
        .values("athlete_id", "monday")
        .annotate(most_pain=Max("pain"))
        .order_by()
    )
    sets = (
        LoggedSet.objects.filter(
            athlete_id__in=athlete_ids,
            performed_at__gte=_midnight(start),
            performed_at__lt=_midnight(end + datetime.timedelta(days=1)),
            pain__isnull=False,
        )
        .annotate(monday=_monday("performed_at"))
        .values("athlete_id", "monday")
        .annotate(most_pain=Max("pain"))
        .order_by()
    )
    pain: dict[tuple[int, datetime.date], int] = {}
    for row in sessions.union(sets, all=True):
        key = (row["athlete_id"], _day(row["monday"]))
        pain[key] = _most(pain.get(key), row["most_pain"])
    return pain


def _monday(field: str) -> Cast:
    """The Monday of a date's week, or of a timestamp's in the current time zone, as a date
    (cast in SQL: a date is cheaper to read than a timestamp)."""
    return Cast(TruncWeek(field, output_field=DateField()), DateField())


def _midnight(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the current time zone: a range on the timestamp itself (rather than
    on its date, `performed_at__date`) can use the (athlete, performed_at) index."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _day(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def rolling_average(values: list[float], window: int = 4) -> list[float | None]:
    """The mean of each value and the `window - 1` before it (weeks without data count as 0);
    None until a full window is there, so an average is never taken over fewer weeks."""
    averages: list[float | None] = []
    for index in range(len(values)):
        if index + 1 < window:
            averages.append(None)
        else:
            averages.append(sum(values[index + 1 - window : index + 1]) / window)
    return averages


def totals_by_week(
    figures: dict[tuple[int, datetime.date], Figures],
) -> dict[datetime.date, Figures]:
    """Team figures: every athlete's week added up (compliance over all their sessions)."""
    totals: dict[datetime.date, Figures] = defaultdict(Figures)
    for (_, week), item in figures.items():
        totals[week].add(item)
    return dict(sorted(totals.items()))


def totals_by_athlete(figures: dict[tuple[int, datetime.date], Figures]) -> dict[int, Figures]:
    totals: dict[int, Figures] = defaultdict(Figures)
    for (athlete_id, _), item in figures.items():
        totals[athlete_id].add(item)
    return dict(totals)
