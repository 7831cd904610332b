from django.apps import AppConfig


class LmsIdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms_identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401 - registers the system checks
        from .services.sessions import index_session

        def _index(sender: object, request: object, user: object, **kwargs: object) -> None:
            # Plumbing, not a rule: every login (admin password or SSO) is indexed by person so that
            # deactivation can end it. SSO logins re-index with their connection and MFA evidence.
            session = getattr(request, "session", None)
            if session is not None and session.session_key:
                index_session(user, session.session_key)  # type: ignore[arg-type]

        user_logged_in.connect(_index, dispatch_uid="lms_identity.index_session")
