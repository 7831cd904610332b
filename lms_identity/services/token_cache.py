"""Which connection a SCIM token belongs to, remembered per process for at most SCIM_TOKEN_CACHE_MS.

Every SCIM request presents its bearer token; looking it up is a query, and an IdP's sync sends thousands
of requests with the same token. Each web process remembers a live token's connection for a short
while (one second by default), so a revoked token or a disabled connection stops working in every
process within that time, and at once in the process that revoked it (revoke_scim_token clears this
process's memory when its transaction commits). Only tokens found live in the database are remembered,
so a caller sending random tokens cannot fill the memory, and every miss still goes to the database.
A rotated token's own expiry is remembered with it and checked on every read: it is never served past it.
"""

import copy
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from lms_identity.models import IdpConnection


@dataclass(frozen=True)
class CachedToken:
    token_id: int
    connection: IdpConnection
    last_used_at: datetime | None
    expires: float
    token_expires_at: datetime | None = None

    def connection_copy(self) -> IdpConnection:
        """A request's own copy: no request can change what the next one sees."""
        return copy.copy(self.connection)


class TokenCache:
    def __init__(self) -> None:
        self._entries: dict[str, CachedToken] = {}
        self._lock = threading.Lock()

    @staticmethod
    def clock() -> float:
        return time.monotonic()

    @staticmethod
    def lifetime() -> float:
        return max(0, int(getattr(settings, "SCIM_TOKEN_CACHE_MS", 0))) / 1000

    def get(self, digest: str) -> CachedToken | None:
        entry = self._entries.get(digest)
        if entry is None or entry.expires <= self.clock():
            return None
        if entry.token_expires_at is not None and entry.token_expires_at <= timezone.now():
            return None  # a rotated token past its overlap: the database answers (and refuses it)
        return entry

    def remember(
        self,
        digest: str,
        *,
        token_id: int,
        connection: IdpConnection,
        last_used_at: datetime | None,
        token_expires_at: datetime | None = None,
    ) -> None:
        lifetime = self.lifetime()
        if not lifetime:
            return
        now = self.clock()
        entry = CachedToken(token_id, copy.copy(connection), last_used_at, now + lifetime, token_expires_at)
        with self._lock:
            # Drop what has expired, so tokens revoked long ago do not stay in memory.
            for stale in [d for d, e in self._entries.items() if e.expires <= now]:
                del self._entries[stale]
            self._entries[digest] = entry

    def touched(self, digest: str, last_used_at: datetime) -> None:
        """The token's last use was just written: remember it, so the next request does not write again."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries[digest] = replace(entry, last_used_at=last_used_at)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


tokens = TokenCache()
