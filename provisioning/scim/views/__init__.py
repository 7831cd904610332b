"""The SCIM 2.0 endpoints."""
