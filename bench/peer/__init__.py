"""The peer: stock django-scim2 (the version we depend on) with its default adapters, in the smallest
Django project that serves it, for `make bench`'s side-by-side figures (section `peer`).

What a team gets by following django-scim2's README: its URL patterns, views, `SCIMUser` adapter and
`SCIMAuthCheckMiddleware`, over Django's `AbstractUser` with the library's `AbstractSCIMUserMixin`. The
library does not authenticate callers; like most deployments the project adds a bearer-token middleware
looking the token up in a table (one query per request, as Django REST framework's TokenAuthentication
does). Django's default middleware (`startproject`), and the same database connection settings as ours
(persistent connections with health checks), so the comparison is of the request handling.
"""
