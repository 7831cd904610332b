from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms_identity.errors import InvalidValue
from lms_identity.models import User
from lms_identity.models.users import user_name_is
from lms_identity.services.api_tokens import issue_api_token
from lms_identity.services.audit import Actor


class Command(BaseCommand):
    help = "Issue an admin API token for a person (by userName); prints it alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("person", help="The person's userName.")
        parser.add_argument("--label", default="", help="What the token is for (shown in the admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.not_deleted().filter(user_name_is(options["person"])).first()
        if user is None:
            raise CommandError(f"No person {options['person']!r}.")
        try:
            token, raw = issue_api_token(user, actor=Actor.system("api_token"), label=options["label"])
        except InvalidValue as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Token {token.hint}… for {user.user_name}. It is shown once; store it now.")
        self.stdout.write(raw)
