from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms_identity.models import IdpConnection
from lms_identity.services.audit import Actor
from lms_identity.services.tokens import issue_scim_token


class Command(BaseCommand):
    help = "Issue a new SCIM bearer token for a connection; prints it alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--label", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = IdpConnection.objects.filter(slug=options["slug"]).first()
        if connection is None:
            raise CommandError(f"No connection {options['slug']!r}; create it with add_connection first.")
        token, raw = issue_scim_token(connection, actor=Actor.system("scim_token"), label=options["label"])
        self.stderr.write(f"Token {token.hint}… for {connection.slug}. It is shown once; store it now.")
        self.stdout.write(raw)
