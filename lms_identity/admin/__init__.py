"""The L&D admin console's identity pages, one module per task: people, teams, connections, OpenID
Connect sign-in, the audit trail, and Django's own admin permission groups."""

from . import admin_accounts, api_tokens, audit, break_glass, connections, people, sso, teams

__all__ = ["admin_accounts", "api_tokens", "audit", "break_glass", "connections", "people", "sso", "teams"]
