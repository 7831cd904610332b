import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms_identity.errors import BreakGlassRefused
from lms_identity.services.audit import Actor
from lms_identity.services.break_glass import create_break_glass_account

PASSWORD_VARIABLE = "BREAK_GLASS_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create the one break-glass account (a superuser that may sign in with a password, only inside a "
        "window a second L&D admin approved). The password is asked for, or read from "
        f"${PASSWORD_VARIABLE}; it is never printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_name", help="The account's userName.")
        parser.add_argument("--email", default="", help="Where the owner of the account reads mail.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(PASSWORD_VARIABLE) or self._ask()
        try:
            user = create_break_glass_account(
                options["user_name"], options["email"], password, actor=Actor.system("create_break_glass")
            )
        except BreakGlassRefused as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(f"Created the break-glass account {user.user_name}.")

    def _ask(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
