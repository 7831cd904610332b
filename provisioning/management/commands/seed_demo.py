from typing import Any

from django.core.management.base import BaseCommand

from lms_identity.demo import seed_identities


class Command(BaseCommand):
    help = "Seed the demo data `make run` shows: identities, and (when present) courses and rules."

    def handle(self, *args: Any, **options: Any) -> None:
        connection = seed_identities()
        self.stdout.write(f"Demo connection: {connection.slug}")
