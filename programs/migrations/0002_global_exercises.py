"""Load the global exercise library from programs/data/exercises.json."""

from django.db import migrations

from programs.library_data import load_exercises


def load(apps, schema_editor):
    load_exercises(apps.get_model("programs", "Exercise"))


def unload(apps, schema_editor):
    apps.get_model("programs", "Exercise").objects.filter(organisation=None).delete()


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
