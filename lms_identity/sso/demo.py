"""The demo sign-in `make run` wires up: the demo connection signs in through the local oidc-provider
(tests/oidc_provider/server.js on DEMO_ISSUER) with the people of tests/oidc_provider/demo-accounts.json,
who match lms_identity/demo.py's people (sub = their SCIM externalId). Only with settings.DEMO_MODE."""

from django.conf import settings

from lms_identity.models import Group, IdpConnection
from lms_identity.services.audit import Actor
from lms_identity.services.oidc_config import configure_oidc, map_group_claim

DEMO_ISSUER = "http://127.0.0.1:8300"
DEMO_CLIENT_ID = "lms-demo"
DEMO_CLIENT_SECRET = "demo-only-client-secret"
DEMO_SIGN_IN = "ada / ada (MFA), grace / grace (MFA), alan / alan, mary / mary"


def configure_demo_sso(connection: IdpConnection) -> bool:
    """Point the demo connection at the local provider and map its groups claim. Idempotent; does
    nothing unless DEMO_MODE is on. Returns whether the demo sign-in is configured."""
    if not settings.DEMO_MODE or not connection.is_demo:
        return False
    actor = Actor.system("seed_demo")
    configure_oidc(
        connection,
        actor=actor,
        changes={
            "issuer": DEMO_ISSUER,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "scopes": "openid email profile groups",
            "jit_policy": "off",  # the demo people are provisioned (as by SCIM): the right setting with SCIM
            "user_join": "sub",
            "allowed_domains": "demo.example",
        },
    )
    for group in Group.objects.filter(connection=connection):
        map_group_claim(connection, group.display_name, group, actor=actor)
    return True
