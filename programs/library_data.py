"""The global exercise library shipped as data (programs/data/exercises.json)."""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "exercises.json"
FIELDS = (
    "name",
    "description",
    "cues",
    "category",
    "muscles",
    "equipment",
    "measurement",
    "per_side",
    "source",
)


def load_exercises(exercise_model) -> int:
    """Create or update every global exercise; safe to run again. Used by a data migration
    (with the historical model) and by tests whose transactions flush the table."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    for row in rows:
        exercise_model.objects.update_or_create(
            organisation=None, slug=row["slug"], defaults={f: row[f] for f in FIELDS}
        )
    return len(rows)
