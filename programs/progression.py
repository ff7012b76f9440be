"""Progression with pain gating: pure functions, no database.

Every N weeks a prescription moves up a level (more load, another set, the next rep range or
tempo). Before each week the athlete's pain decides, after Silbernagel's pain-monitoring model
(AJSM 2007): pain above 5/10 in the week before drops one level; pain that rose week on week
holds the level; otherwise the planned progression goes ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PAIN_LIMIT = 5


@dataclass(frozen=True)
class Level:
    level: int
    change: str  # "start", "progress", "hold", "step_back"
    reason: str


def max_level(progression: dict, base_sets: int, weeks: int) -> int:
    kind = progression.get("kind", "none")
    if kind == "add_load":
        return weeks
    if kind == "add_set":
        return max(0, (progression.get("max_sets") or base_sets + 2) - base_sets)
    if kind == "steps":
        return len(progression.get("steps") or [])
    return 0


def levels_by_week(
    *, weeks: int, every_weeks: int, top: int, weekly_pain: dict[int, int | None]
) -> dict[int, Level]:
    """The level of each week 1..weeks given the most pain logged in each earlier week."""
    levels = {1: Level(0, "start", "")}
    level = 0
    for week in range(2, weeks + 1):
        before, two_before = weekly_pain.get(week - 1), weekly_pain.get(week - 2)
        due = (week - 1) % max(1, every_weeks) == 0
        if before is not None and before > PAIN_LIMIT:
            if level > 0:
                level -= 1
                change = "step_back"
                reason = (
                    f"Pain {before}/10 in week {week - 1} is above {PAIN_LIMIT}/10: one step back."
                )
            else:
                change = "hold"
                reason = f"Pain {before}/10 in week {week - 1} is above {PAIN_LIMIT}/10: holding."
        elif due and before is not None and two_before is not None and before > two_before:
            change = "hold"
            reason = (
                f"Pain rose week on week ({two_before}/10 → {before}/10): holding "
                "instead of progressing."
            )
        elif due and level < top:
            level += 1
            change = "progress"
            reason = f"Progressing: every {every_weeks} week{'s' if every_weeks > 1 else ''}."
        else:
            change = "hold"
            reason = ""
        levels[week] = Level(level, change, reason)
    return levels


def apply_level(item: dict, level: int) -> dict:
    """The prescription `item` (a plan entry) at progression `level`."""
    result = dict(item)
    progression = item.get("progression") or {}
    kind = progression.get("kind", "none")
    if level <= 0 or kind == "none":
        return result
    if kind == "add_load" and progression.get("load_step") and item.get("load_value") is not None:
        step = Decimal(str(progression["load_step"]))
        result["load_value"] = str(Decimal(str(item["load_value"])) + step * level)
    elif kind == "add_set":
        cap = progression.get("max_sets") or item["sets"] + level
        result["sets"] = min(item["sets"] + level, cap)
    elif kind == "steps":
        for step in (progression.get("steps") or [])[:level]:
            result.update({k: v for k, v in step.items() if k in STEP_FIELDS})
    return result


STEP_FIELDS = ("sets", "target_min", "target_max", "tempo", "load_value", "rest_seconds")


def tempo_seconds(tempo: str) -> int | None:
    """Seconds per rep from a tempo such as "3-0-1" or "3/1/3" (X counts as 1)."""
    if not tempo:
        return None
    parts = tempo.replace("/", "-").replace(":", "-").split("-")
    total = 0
    for part in parts:
        part = part.strip().upper()
        if part == "X":
            total += 1
        elif part.isdigit():
            total += int(part)
        else:
            return None
    return total or None
