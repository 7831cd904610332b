"""What an SSO sign-in keeps in the Django session (read by the callback, logout and the session policy)."""

CONNECTION = "sso_connection_id"  # the connection the person signed in through
SID = "sso_sid"  # the IdP's session id, when its ID token had one
SIGNED_IN_AT = "session_signed_in_at"  # epoch seconds of the (first) sign-in: the absolute lifetime
LAST_SEEN_AT = "session_last_seen_at"  # epoch seconds of the last request, to the minute: the idle timeout
VERIFIED_AT = "sso_verified_at"  # epoch seconds the IdP last vouched for the person (sign-in or prompt=none)
BREAK_GLASS_UNTIL = "break_glass_until"  # epoch seconds the approved break-glass window closes
MFA = "sso_mfa"  # whether the sign-in evidenced MFA (amr/acr), for the admin session policy
AUTHENTICATED_AT = "sso_authenticated_at"  # epoch seconds of the last interactive (not prompt=none) sign-in
