"""OpenID Connect settings of a connection, and the IdP's published metadata and keys, cached.

Discovery metadata is cached on the row for METADATA_TTL and refetched after it (or on demand from the
admin). The JWKS is cached on the row and parsed once per process; a token with a key id we do not know
triggers at most one refetch per JWKS_REFETCH_INTERVAL, claimed by a conditional UPDATE so that several
web processes do not all refetch on the same rotation.
"""

import threading
from datetime import timedelta
from typing import Any

import jwt
import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lms_identity.errors import InvalidValue
from lms_identity.models import Group, GroupClaimMapping, IdpConnection, OidcConfig
from lms_identity.models.oidc import DEFAULT_CLAIM_MAPPING, SUPPORTED_ALGORITHMS, JitPolicy, MfaPolicy

from .audit import Actor, record_event

METADATA_TTL = timedelta(hours=24)
JWKS_REFETCH_INTERVAL = timedelta(minutes=1)
HTTP_TIMEOUT = (3.05, 10)  # connect, read (seconds): an IdP that hangs never holds a web worker for long

# What an admin or a command may set, in the order the admin form shows it.
SETTABLE_FIELDS = (
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "algorithms",
    "claim_mapping",
    "groups_claim",
    "jit_policy",
    "jit_required_group",
    "allowed_domains",
    "mfa_policy",
    "mfa_amr_values",
    "mfa_acr_values",
    "max_age",
    "user_join",
    "idle_timeout",
    "absolute_lifetime",
    "reverify_interval",
    "admin_require_mfa",
    "admin_max_age",
)
SETTABLE = frozenset(SETTABLE_FIELDS)
SECRET_FIELDS = frozenset({"client_secret"})  # stored encrypted (EncryptedTextField), audited as "***"
MAX_SECRET_LENGTH = 500


class IdpUnavailable(Exception):
    """The IdP's metadata or keys could not be fetched or make no sense. The message names no secret."""


def configure_oidc(connection: IdpConnection, *, actor: Actor, changes: dict[str, Any]) -> list[str]:
    """Create or change the connection's OpenID Connect settings. Returns the fields changed ([] when
    none). Locks the row; audited (the secret only as "changed", never its value). Changing the issuer
    drops the cached metadata and keys."""
    unknown = set(changes) - SETTABLE
    if unknown:
        raise InvalidValue(sorted(unknown)[0], f"{sorted(unknown)[0]} cannot be set")
    _check(changes)
    with transaction.atomic():
        config = OidcConfig.objects.select_for_update().filter(connection=connection).first()
        created = config is None
        if config is None:
            if not changes.get("issuer") or not changes.get("client_id"):
                raise InvalidValue("issuer", "an issuer and a client id are required")
            config = OidcConfig(connection=connection, claim_mapping=dict(DEFAULT_CLAIM_MAPPING))
        diff = {k: (getattr(config, k), v) for k, v in changes.items() if getattr(config, k) != v}
        if not diff and not created:
            return []
        for field, (_, value) in diff.items():
            setattr(config, field, value)
        if "issuer" in diff:
            config.metadata, config.metadata_fetched_at, config.jwks, config.jwks_fetched_at = (
                {},
                None,
                {},
                None,
            )
        config.save()
        shown = {k: (("***", "***") if k in SECRET_FIELDS else v) for k, v in diff.items()}
        record_event(
            actor,
            "connection.oidc_created" if created else "connection.oidc_updated",
            connection,
            changes=shown,
            connection_id=connection.pk,
        )
    return list(diff)


def get_metadata(config: OidcConfig, *, refresh: bool = False) -> dict[str, Any]:
    """The IdP's discovery document, from the cache unless stale (or `refresh`). Raises IdpUnavailable."""
    fresh = config.metadata_fetched_at and timezone.now() - config.metadata_fetched_at < METADATA_TTL
    if config.metadata and fresh and not refresh:
        return config.metadata
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        metadata = _fetch_json(url, "discovery document")
    except IdpUnavailable:
        if config.metadata and not refresh:
            return config.metadata  # stale beats down: an IdP blip must not stop sign-ins
        raise
    # OpenID Connect Discovery 4.3: the issuer in the document must be exactly the one we asked.
    if metadata.get("issuer") != config.issuer:
        raise IdpUnavailable("the discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise IdpUnavailable(f"the discovery document has no {key}")
    now = timezone.now()
    OidcConfig.objects.filter(pk=config.pk).update(metadata=metadata, metadata_fetched_at=now)
    config.metadata, config.metadata_fetched_at = metadata, now
    return metadata


def get_signing_key(config: OidcConfig, kid: str | None, alg: str) -> jwt.PyJWK | None:
    """The IdP's public key for this key id and algorithm, or None when the IdP does not publish one.

    Served from the process cache, then the row's cache; an unknown key id refetches the JWKS once, and
    not again until JWKS_REFETCH_INTERVAL has passed (so a forged kid cannot make us hammer the IdP)."""
    key = _pick_key(_parsed_keys(config), kid, alg)
    if key is not None:
        return key
    if not _claim_jwks_refetch(config):
        return None
    jwks = _fetch_json(get_metadata(config)["jwks_uri"], "key set")
    if not isinstance(jwks.get("keys"), list):
        raise IdpUnavailable("the key set has no keys")
    # A new stamp with the new keys: a process that cached the old keys under the claim's stamp moves on.
    now = timezone.now()
    OidcConfig.objects.filter(pk=config.pk).update(jwks=jwks, jwks_fetched_at=now)
    config.jwks, config.jwks_fetched_at = jwks, now
    return _pick_key(_parsed_keys(config), kid, alg)


def jwks_fetch_count() -> int:
    """How many times this process fetched a key set (for the benchmark and tests)."""
    return _fetches["jwks"]


_cache_lock = threading.Lock()
_parsed: dict[tuple[int, str], list[jwt.PyJWK]] = {}
_fetches = {"jwks": 0, "metadata": 0}


def _parsed_keys(config: OidcConfig) -> list[jwt.PyJWK]:
    stamp = config.jwks_fetched_at.isoformat() if config.jwks_fetched_at else ""
    cache_key = (config.pk, stamp)
    with _cache_lock:
        keys = _parsed.get(cache_key)
    if keys is not None:
        return keys
    keys = []
    for jwk in (config.jwks or {}).get("keys", []):
        try:
            keys.append(jwt.PyJWK(jwk))
        except (jwt.PyJWKError, jwt.InvalidKeyError, KeyError, ValueError, TypeError):
            continue  # a key type we do not use (or a malformed one) must not hide the others
    with _cache_lock:
        for old in [k for k in _parsed if k[0] == config.pk]:
            del _parsed[old]
        _parsed[cache_key] = keys
    return keys


def _pick_key(keys: list[jwt.PyJWK], kid: str | None, alg: str) -> jwt.PyJWK | None:
    family = {"R": "RSA", "P": "RSA", "E": "EC"}[alg[0]]
    usable = [
        k
        for k in keys
        if k.key_type == family
        and k._jwk_data.get("use", "sig") == "sig"
        and k._jwk_data.get("alg", alg) == alg
    ]
    if kid is not None:
        usable = [k for k in usable if k.key_id == kid]
    # No kid is fine only when the choice is unambiguous (OpenID Connect Core 10.1).
    return usable[0] if len(usable) == 1 or (kid is not None and usable) else None


def _claim_jwks_refetch(config: OidcConfig) -> bool:
    """Take the right to refetch the key set now; False when it was fetched less than a minute ago."""
    now = timezone.now()
    previous = config.jwks_fetched_at
    if previous is not None and now - previous < JWKS_REFETCH_INTERVAL:
        return False
    rows = OidcConfig.objects.filter(pk=config.pk, jwks_fetched_at=previous)
    if previous is None:
        rows = OidcConfig.objects.filter(pk=config.pk, jwks_fetched_at__isnull=True)
    if rows.update(jwks_fetched_at=now) != 1:
        config.refresh_from_db(fields=["jwks", "jwks_fetched_at"])
        return False
    config.jwks_fetched_at = now
    return True


def _fetch_json(url: str, what: str) -> dict[str, Any]:
    _fetches["jwks" if what == "key set" else "metadata"] += 1
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError):
        raise IdpUnavailable(f"the IdP's {what} could not be fetched") from None
    if not isinstance(body, dict):
        raise IdpUnavailable(f"the IdP's {what} is not a JSON object")
    return body


def _check(changes: dict[str, Any]) -> None:
    if "issuer" in changes and not str(changes["issuer"]).startswith(("https://", "http://")):
        raise InvalidValue("issuer", "the issuer must be an http(s) URL")
    if "client_secret" in changes and len(str(changes["client_secret"])) > MAX_SECRET_LENGTH:
        raise InvalidValue(
            "client_secret", f"the client secret must be at most {MAX_SECRET_LENGTH} characters"
        )
    if "algorithms" in changes:
        wanted = [a.strip() for a in str(changes["algorithms"]).split(",") if a.strip()]
        bad = [a for a in wanted if a not in SUPPORTED_ALGORITHMS]
        if bad or not wanted:
            raise InvalidValue("algorithms", f"only {', '.join(SUPPORTED_ALGORITHMS)} are accepted")
    if "jit_policy" in changes and changes["jit_policy"] not in JitPolicy.values:
        raise InvalidValue("jit_policy", f"jit must be one of {', '.join(JitPolicy.values)}")
    if "mfa_policy" in changes and changes["mfa_policy"] not in MfaPolicy.values:
        raise InvalidValue("mfa_policy", f"mfa must be one of {', '.join(MfaPolicy.values)}")
    if "claim_mapping" in changes and not isinstance(changes["claim_mapping"], dict):
        raise InvalidValue("claim_mapping", "the claim mapping must be an object")


def sso_urls(connection: IdpConnection) -> dict[str, str]:
    """The values to register at the IdP for this connection, on settings.PUBLIC_URL."""
    base = f"{settings.PUBLIC_URL}/sso/{connection.slug}"
    return {
        "redirect_uri": f"{base}/callback/",
        "initiate_login_uri": f"{base}/initiate/",
        "frontchannel_logout_uri": f"{base}/logout/",
        "post_logout_redirect_uri": f"{base}/signed-out/",
        "backchannel_logout_uri": f"{base}/backchannel-logout/",
        # We end exactly the IdP session a logout names, so ask the IdP to always send its sid.
        "backchannel_logout_session_required": "true",
        "ssf_push_endpoint": f"{base}/ssf/events/",
        "global_token_revocation_endpoint": f"{base}/global-token-revocation/",
    }


def map_group_claim(connection: IdpConnection, claim_value: str, group: Group, *, actor: Actor) -> bool:
    """Make this groups-claim value (a name or an Entra object id) mean this group of the same
    connection. Idempotent; returns whether anything changed. Audited."""
    claim_value = claim_value.strip()
    if not claim_value or len(claim_value) > 255:
        raise InvalidValue("claim_value", "the claim value must be 1 to 255 characters")
    if group.connection_id != connection.pk:
        raise InvalidValue("group", "the group must belong to the same connection")
    with transaction.atomic():
        mapping = (
            GroupClaimMapping.objects.select_for_update()
            .filter(connection=connection, claim_value=claim_value)
            .first()
        )
        if mapping is not None and mapping.group_id == group.pk:
            return False
        before = str(mapping.group_id) if mapping else None
        if mapping is None:
            GroupClaimMapping.objects.create(connection=connection, claim_value=claim_value, group=group)
        else:
            mapping.group = group
            mapping.save(update_fields=["group"])
        record_event(
            actor,
            "connection.group_claim_mapped",
            group,
            changes={"claim_value": (None, claim_value), "group": (before, str(group.pk))},
            connection_id=connection.pk,
        )
    return True


def unmap_group_claim(mapping: GroupClaimMapping, *, actor: Actor) -> bool:
    """Forget a groups-claim mapping. Claim memberships already made go at each person's next sign-in.
    Idempotent; audited."""
    with transaction.atomic():
        deleted, _ = GroupClaimMapping.objects.filter(pk=mapping.pk).delete()
        if deleted:
            record_event(
                actor,
                "connection.group_claim_unmapped",
                mapping.group,
                changes={"claim_value": (mapping.claim_value, None)},
                connection_id=mapping.connection_id,
            )
    return bool(deleted)
