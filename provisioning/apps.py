from typing import Any

from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "provisioning"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from .services.admin_lockouts import report_admin_lockout

        def _locked_out(sender: Any, request: Any, username: Any, ip_address: Any, **kwargs: Any) -> None:
            # Here rather than in the core: the alert lives in provisioning, and the core imports neither.
            report_admin_lockout(user_name=username, ip_address=ip_address)

        user_locked_out.connect(_locked_out, weak=False, dispatch_uid="provisioning.report_admin_lockout")
