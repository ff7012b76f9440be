from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from athletes.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo organisations, people and training data (once; a re-run changes nothing)."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is never loaded with production settings.")
        created = demo_load()
        self.stdout.write("Demo data loaded." if created else "Demo data already present.")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for email, who in DEMO_LOGINS:
            self.stdout.write(f"  {email:<30} {who}")
        self.stdout.write("\nOpen http://127.0.0.1:8000/ · admin /admin/ · API docs /api/docs/\n")
