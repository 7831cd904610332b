"""SCIM adapters: the resources as IdPs see them, over the core models."""
