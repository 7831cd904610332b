from django.apps import AppConfig


class LmsIdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms_identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .services.sessions import index_session

        def _index(sender: object, request: object, user: object, **kwargs: object) -> None:
            # Plumbing, not a rule: every login (admin password or SSO) is indexed by person so that
            # deactivation can end it. SSO logins re-index with their connection and MFA evidence.
            session = getattr(request, "session", None)
            if session is not None and session.session_key:
                meta = getattr(request, "META", {})
                index_session(
                    user,  # type: ignore[arg-type]
                    session.session_key,
                    user_agent=meta.get("HTTP_USER_AGENT", ""),
                    ip_address=meta.get("REMOTE_ADDR") or None,
                )

        # weak=False: _index is local to ready(); a weak reference dies with this frame and no password
        # sign-in was indexed (so deactivation could not end it).
        user_logged_in.connect(_index, dispatch_uid="lms_identity.index_session", weak=False)
