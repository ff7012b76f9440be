"""The global test catalogue and its default baselines (assessments/data/tests.json)."""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "tests.json"
FIELDS = (
    "name",
    "protocol",
    "unit",
    "per_side",
    "trials",
    "combine",
    "higher_is_better",
    "plausible_min",
    "plausible_max",
    "decimals",
    "measurement_error",
    "citation",
)


def load_catalogue(test_model, baseline_model, norm_model) -> int:
    """Create or update every global test and its global rules; safe to run again. Used by a
    data migration (historical models) and by tests whose transactions flush the tables."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    for row in rows:
        test, _ = test_model.objects.update_or_create(
            organisation=None, slug=row["slug"], defaults={f: row[f] for f in FIELDS}
        )
        for rule in row["baselines"]:
            baseline, _ = baseline_model.objects.update_or_create(
                test=test,
                organisation=None,
                team=None,
                kind=rule["kind"],
                defaults={
                    "comparator": rule["comparator"],
                    "value": rule.get("value"),
                    "active": rule.get("active", True),
                    "note": rule.get("note", ""),
                },
            )
            norm_model.objects.filter(baseline=baseline).delete()
            norm_model.objects.bulk_create(
                norm_model(baseline=baseline, sex=sex, age_min=low, age_max=high, value=value)
                for sex, low, high, value in rule.get("norms", [])
            )
    return len(rows)
