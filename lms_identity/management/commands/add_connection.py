from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lms_identity.services.audit import Actor
from lms_identity.services.connections import upsert_connection


class Command(BaseCommand):
    help = "Create or update an IdP connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        connection, created = upsert_connection(
            options["slug"], name=options["name"], actor=Actor.system("add_connection")
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} connection {connection.slug} ({connection.name})")
