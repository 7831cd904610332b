from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms_identity.errors import InvalidValue
from lms_identity.models.oidc import JitPolicy, MfaPolicy
from lms_identity.services.audit import Actor
from lms_identity.services.connections import update_connection, upsert_connection
from lms_identity.services.oidc_config import configure_oidc, sso_urls

OIDC_OPTIONS = {
    "issuer": "issuer",
    "client_id": "client_id",
    "client_secret": "client_secret",
    "jit": "jit_policy",
    "allowed_domains": "allowed_domains",
    "mfa": "mfa_policy",
}


class Command(BaseCommand):
    help = "Create or update an IdP connection, and (with --issuer ...) its OpenID Connect sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default=None)
        parser.add_argument("--issuer", help="The IdP's issuer URL, exactly as in its ID tokens.")
        parser.add_argument("--client-id")
        parser.add_argument("--client-secret", help="Stored, never printed.")
        parser.add_argument("--jit", choices=JitPolicy.values, help="Just-in-time accounts (default off).")
        parser.add_argument("--allowed-domains", help="Comma-separated email domains, e.g. a.com,b.org")
        parser.add_argument("--mfa", choices=MfaPolicy.values, help="MFA policy (default trust_idp).")
        parser.add_argument(
            "--adopt-existing-accounts",
            choices=["on", "off"],
            help="Let SCIM adopt existing accounts of no connection (default off; never admins).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("add_connection")
        connection, created = upsert_connection(options["slug"], name=options["name"], actor=actor)
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} connection {connection.slug} ({connection.name})")
        if options.get("adopt_existing_accounts") is not None:
            adopt = options["adopt_existing_accounts"] == "on"
            update_connection(connection, actor=actor, changes={"adopt_existing_accounts": adopt})
            self.stdout.write(f"Adopt existing accounts: {options['adopt_existing_accounts']}")
        changes = {field: options[opt] for opt, field in OIDC_OPTIONS.items() if options.get(opt) is not None}
        if not changes:
            return
        try:
            changed = configure_oidc(connection, actor=actor, changes=changes)
        except InvalidValue as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"OpenID Connect settings: {', '.join(changed) or 'unchanged'}")
        for name, url in sso_urls(connection).items():
            self.stdout.write(f"  {name:<26}{url}")
