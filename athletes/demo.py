"""Demo data for `make run`: fixed logins that docs and scripts can rely on."""

from django.db import transaction

from .models import User

DEMO_PASSWORD = "baseline-demo"  # noqa: S105 - demo data only, never loaded in production
DEMO_LOGINS = [
    ("admin@baseline.example", "site administrator (Django admin)"),
]


@transaction.atomic
def demo_load() -> bool:
    """Create the demo data unless it is there already. Returns whether anything was created."""
    if User.objects.filter(email="admin@baseline.example").exists():
        return False
    User.objects.create_superuser("admin@baseline.example", DEMO_PASSWORD, first_name="Admin")
    return True
