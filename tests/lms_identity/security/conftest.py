# The live server and Chromium of the SSO browser tests (no OpenID provider needed here).
from tests.lms_identity.sso.conftest import chromium, sso_live_server  # noqa: F401
