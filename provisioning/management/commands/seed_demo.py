from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from courses.demo import backdate_seats, seed_catalog
from courses.reconcile import reconcile_everyone
from lms_identity.demo import seed_history, seed_identities
from lms_identity.services.audit import Actor
from lms_identity.sso.demo import configure_demo_sso
from provisioning.demo import LEGACY_ACCOUNTS, seed_leaver_history
from provisioning.services.pool_alerts import sync_pool_alerts


class Command(BaseCommand):
    help = "Seed the demo data `make run` shows: identities, and (when present) courses and rules."

    def handle(self, *args: Any, **options: Any) -> None:
        connection = seed_identities()
        if configure_demo_sso(connection):
            self.stdout.write("Demo sign-in: the local OpenID provider (DEMO_MODE)")
        self.stdout.write(f"Demo connection: {connection.slug}")
        seed_catalog(connection)
        summary = reconcile_everyone(actor=Actor.system("seed_demo"))
        self.stdout.write(f"Demo catalog seeded; grants reconciled: {summary}")
        # A few weeks of history, so every dashboard chart has points; then the pools' alerts.
        signins = seed_history(connection)
        backdate_seats()
        leavers = seed_leaver_history()
        self.stdout.write(
            f"Demo history: {signins} sign-ins, {leavers} leavers; alerts: {sync_pool_alerts()}"
        )
        sample = (
            LEGACY_ACCOUNTS.relative_to(Path.cwd())
            if LEGACY_ACCOUNTS.is_relative_to(Path.cwd())
            else LEGACY_ACCOUNTS
        )
        self.stdout.write(
            "Clean-up before SCIM, a dry run on a messy sample of legacy accounts: "
            f"python manage.py import_accounts {sample} --connection {connection.slug} --dry-run"
        )
