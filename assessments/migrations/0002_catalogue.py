"""Load the global test catalogue and its default baselines from assessments/data/tests.json."""

from django.db import migrations

from assessments.catalogue import load_catalogue


def load(apps, schema_editor):
    load_catalogue(
        apps.get_model("assessments", "Test"),
        apps.get_model("assessments", "Baseline"),
        apps.get_model("assessments", "Norm"),
    )


def unload(apps, schema_editor):
    apps.get_model("assessments", "Test").objects.filter(organisation=None).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
