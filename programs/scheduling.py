"""Turning an assignment into dates: pure functions, no database.

Week k of an assignment is the seven days from start + 7(k-1). In each week the scheduler
places up to `sessions_per_week` sessions on the preferred weekdays (any day when none are
given, spread evenly), never closer than `min_gap_hours` to the session before. A week that
cannot fit them all gets fewer, and says so.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Slot:
    week: int
    date: datetime.date


@dataclass
class Schedule:
    slots: list[Slot]
    warnings: list[str] = field(default_factory=list)


def gap_days(min_gap_hours: int) -> int:
    """Sessions fall on days, so a gap of 48 h means two days apart, 36 h also two."""
    return max(1, math.ceil(min_gap_hours / 24)) if min_gap_hours else 0


def allowed(day: datetime.date, weekdays: list[int]) -> bool:
    return not weekdays or day.weekday() in weekdays


def _week_candidates(week_start: datetime.date, per_week: int, weekdays: list[int]):
    days = [week_start + datetime.timedelta(days=i) for i in range(7)]
    if weekdays:
        return [d for d in days if d.weekday() in weekdays]
    # No preference: start from evenly spread days, then fill with the rest in order.
    spread = sorted({round(i * 7 / per_week) for i in range(per_week)})
    preferred = [days[i] for i in spread if i < 7]
    return preferred + [d for d in days if d not in preferred]


def schedule_dates(
    *,
    start: datetime.date,
    weeks: int,
    sessions_per_week: int,
    weekdays: list[int],
    min_gap_hours: int,
    first_week: int = 1,
    not_before: datetime.date | None = None,
    previous: datetime.date | None = None,
) -> Schedule:
    """Dates for weeks `first_week`..`weeks` of an assignment starting on `start`."""
    gap = gap_days(min_gap_hours)
    slots: list[Slot] = []
    warnings: list[str] = []
    for week in range(first_week, weeks + 1):
        week_start = start + datetime.timedelta(days=7 * (week - 1))
        chosen: list[datetime.date] = []
        for day in _week_candidates(week_start, sessions_per_week, weekdays):
            if len(chosen) == sessions_per_week:
                break
            if not_before and day < not_before:
                continue
            neighbours = [d for d in [previous, *chosen] if d is not None]
            if all(abs((day - d).days) >= gap for d in neighbours):
                chosen.append(day)
        chosen.sort()
        if len(chosen) < sessions_per_week:
            warnings.append(
                f"Week {week} fits {len(chosen)} of {sessions_per_week} sessions "
                f"with these weekdays and a {min_gap_hours} h gap."
            )
        slots.extend(Slot(week, day) for day in chosen)
        if chosen:
            previous = chosen[-1]
    return Schedule(slots, warnings)


def next_allowed_day(
    after: datetime.date, *, min_gap_hours: int, weekdays: list[int]
) -> datetime.date:
    """The first day at least the gap after `after` that is a preferred weekday."""
    day = after + datetime.timedelta(days=gap_days(min_gap_hours))
    while not allowed(day, weekdays):
        day += datetime.timedelta(days=1)
    return day


def cascade(
    dates: list[datetime.date], *, moved_to: datetime.date, min_gap_hours: int, weekdays: list[int]
) -> list[datetime.date]:
    """Later sessions after one moved to `moved_to`: each keeps its date unless the gap to the
    one before requires it to move; then it goes to the next allowed day."""
    gap = gap_days(min_gap_hours)
    result, previous = [], moved_to
    for day in dates:
        if (day - previous).days < gap:
            day = next_allowed_day(previous, min_gap_hours=min_gap_hours, weekdays=weekdays)
        result.append(day)
        previous = day
    return result


def sessions_for_week(sessions: list, week: int, rotation_weeks: int) -> list:
    """The template sessions that belong to `week` of a rotation (None: every week)."""
    position = (week - 1) % max(1, rotation_weeks) + 1
    return [s for s in sessions if s.rotation_week in (None, position)]
