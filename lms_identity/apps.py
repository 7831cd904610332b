from django.apps import AppConfig


class LmsIdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms_identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        # Imported here because it imports models, which exist only once the registry is ready.
        # Module-level receivers: the earlier local function was held by a weak reference and collected,
        # so no password sign-in was indexed.
        from . import receivers

        receivers.connect()
