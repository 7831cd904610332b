"""Settings for `make bench` only: the production settings plus the ceiling views and their table.

Everything that matters to the figures (middleware, database options, logging) is inherited unchanged from
lms_identity.settings; this module adds only what the benchmark needs to exist.
"""

import os

from lms_identity.encryption import derive_key
from lms_identity.settings import *  # noqa: F403
from lms_identity.settings import ALLOWED_HOSTS, FIELD_ENCRYPTION_KEYS, INSTALLED_APPS, SECRET_KEY

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# The load generator talks to 127.0.0.1; the in-process query counts use Django's test client.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1", "localhost", "testserver"]
# The benchmark's throwaway database holds only its stub IdP's secret: a key derived from SECRET_KEY will do.
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [derive_key(SECRET_KEY)]
# Every request of the benchmark comes from 127.0.0.1: the per-address SSO rate limits would cut it off.
SSO_RATE_LIMIT = 0
SSO_SIGNAL_RATE_LIMIT = 0
# The evidence section prices the audit seal on a SCIM POST (bench/sections/evidence.py): with
# BENCH_AUDIT_SEAL=none a commit asks nobody (events stay unsealed: the guarantee off, for the price only),
# with inline the committing thread seals after its commit (the first design); unset, as deployed.
_SEAL_HOOKS = {"none": "bench.audit_trail.ask_nobody", "inline": ""}
AUDIT_SEAL_NOTIFY = _SEAL_HOOKS.get(os.environ.get("BENCH_AUDIT_SEAL", ""), AUDIT_SEAL_NOTIFY)  # noqa: F405
