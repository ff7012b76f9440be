"""Load the global exercise library from programs/data/exercises.json."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "exercises.json"
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


def load(apps, schema_editor):
    Exercise = apps.get_model("programs", "Exercise")
    for row in json.loads(DATA.read_text(encoding="utf-8")):
        Exercise.objects.update_or_create(
            organisation=None, slug=row["slug"], defaults={f: row[f] for f in FIELDS}
        )


def unload(apps, schema_editor):
    apps.get_model("programs", "Exercise").objects.filter(organisation=None).delete()


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
