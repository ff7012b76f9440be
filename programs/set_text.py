"""How a logged set and a prescription read on the athlete's phone page: "3 × 10–12 reps",
"2:00", "20 kg", "Left · 12 reps · 20 kg · RPE 7 · pain 2/10"."""

from __future__ import annotations

from .forms_today import number
from .models import LoadType, LoggedSet

MEASURES = ("reps", "seconds", "contacts", "metres")
UNITS = {
    "reps": ("rep", "reps"),
    "contacts": ("foot contact", "foot contacts"),
    "metres": ("m", "m"),
}


def clock(seconds) -> str:
    """Seconds as m:ss (120 → "2:00")."""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def amount(measurement: str, low, high=None) -> str:
    """ "10–12 reps", "2:00", "50 foot contacts", "20 m"."""
    single = high is None or high == low
    if measurement == "seconds":
        return clock(low) if single else f"{clock(low)}–{clock(high)}"
    singular, plural = UNITS.get(measurement, ("", ""))
    if single:
        return f"{low} {singular if low == 1 else plural}".strip()
    return f"{low}–{high} {plural}".strip()


def load_text(load_type: str, load_value) -> str:
    if load_type == LoadType.BODYWEIGHT:
        return "bodyweight"
    if load_value in (None, "") or load_type == LoadType.NONE:
        return ""
    if load_type == LoadType.KG:
        return f"{number(load_value)} kg"
    return f"{number(load_value)} % body mass"


def target_text(item: dict) -> str:
    """ "3 × 10–12 reps", "3 × 2:00", "2 × 50 foot contacts"."""
    return f"{item['sets']} × {amount(item['measurement'], item['target_min'], item['target_max'])}"


def set_summary(logged: LoggedSet) -> str:
    """ "Left · 12 reps · 20 kg · RPE 7 · pain 2/10"."""
    parts = [logged.get_side_display()] if logged.side else []
    parts += [amount(m, getattr(logged, m)) for m in MEASURES if getattr(logged, m) is not None]
    load = load_text(logged.load_type, logged.load_value)
    if load:
        parts.append(load)
    if logged.rpe is not None:
        parts.append(f"RPE {number(logged.rpe)}")
    if logged.pain is not None:
        parts.append(f"pain {logged.pain}/10")
    return " · ".join(parts)
