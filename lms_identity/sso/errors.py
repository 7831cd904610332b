"""Why a sign-in was refused. The view turns each into an audit event and an HTML page with a retry link."""

from typing import Any

# reason code -> (HTTP status, what the person is told)
REASONS = {
    "state_mismatch": (400, "This sign-in link has expired or was already used. Please start again."),
    "idp_error": (403, "Your identity provider did not sign you in."),
    "idp_unavailable": (502, "Your identity provider could not be reached. Please try again shortly."),
    "token_exchange_failed": (
        400,
        "Your identity provider did not accept this sign-in (it may be a reused link).",
    ),
    "token_invalid": (400, "The sign-in answer from your identity provider could not be verified."),
    "claims_missing": (400, "Your identity provider did not tell us who you are (no subject or email)."),
    "user_inactive": (403, "Your account is deactivated. Ask your administrator to restore access."),
    "mfa_missing": (403, "Your organisation requires multi-factor authentication for this sign-in."),
    "jit_not_allowed": (
        403,
        "You do not have an account here yet. Ask your administrator to give you access.",
    ),
    "account_conflict": (409, "An account with your email already exists and is managed elsewhere."),
    "unknown_connection": (404, "This sign-in option does not exist or is switched off."),
    "unsafe_target": (400, "This sign-in link points outside this site, so it was refused."),
    "unknown_issuer": (400, "This sign-in request names an identity provider we do not know."),
}


class LoginRefused(Exception):
    """A sign-in we refuse. `reason` is a code of REASONS; `detail` explains it for the audit trail and
    the page, and never holds a token or a secret."""

    def __init__(self, reason: str, detail: str = "", *, user: Any = None) -> None:
        assert reason in REASONS, reason
        self.reason = reason
        self.detail = detail
        self.user = user  # the person refused, when we know who it is
        super().__init__(f"{reason}: {detail}" if detail else reason)

    @property
    def status(self) -> int:
        return REASONS[self.reason][0]

    @property
    def message(self) -> str:
        return REASONS[self.reason][1]
