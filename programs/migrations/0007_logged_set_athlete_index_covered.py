import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The athlete's own index on logged sets goes: the unique (athlete, client_uuid) and the
    (athlete, performed_at) index lead with it. Only the index is dropped; the foreign key is
    kept as it is (Django's AlterField would drop and re-check it over the whole table)."""

    dependencies = [
        ("athletes", "0007_athlete_rules_changed_at"),
        ("programs", "0006_dashboard_week_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="loggedset",
                    name="athlete",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="logged_sets",
                        to="athletes.athlete",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "programs_loggedset_athlete_id_c16a57c9"',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "programs_loggedset_athlete_id_c16a57c9" '
                    'ON "programs_loggedset" ("athlete_id")',
                ),
            ],
        ),
    ]
