from django.apps import AppConfig


class LmsIdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms_identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        # Imported here because they import models, which exist only once the registry is ready.
        from django.core.checks import Tags, register
        from django.db.backends.signals import connection_created

        from . import receivers
        from .checks import DEPLOY_CHECKS, check_admin_power_not_granted
        from .sqlite_connections import configure_connection

        for check, tag in DEPLOY_CHECKS:
            register(check, tag, deploy=True)
        register(check_admin_power_not_granted, Tags.security, Tags.database)
        # Module-level receivers: a local function would be held by a weak reference and collected.
        receivers.connect()
        connection_created.connect(configure_connection, dispatch_uid="lms_identity.sqlite_connections")
