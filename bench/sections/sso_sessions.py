"""Sessions (issue 13), part of the sso section: ending every session of one person among a million, the
per-request cost of the session policy, and back-channel logout and Security Event Token handling.

In this process on the section's own database: 1,000,000 people each holding one indexed session (plus
three more for the people timed). Endings call the session service; the policy check is timed around
SessionPolicyMiddleware on a request whose session is already loaded (the authentication middleware
loads it anyway), and the same page is timed through Django's test client with and without the
middleware; logout tokens and SETs are signed by the stub IdP's key and POSTed through the test client.
"""

import hashlib
import random
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt

from bench import db, report
from bench.context import Bench, Skip
from bench.loadgen import percentile
from bench.report import Section

CLIENT_ID = "bench-sessions"
END_TARGET_MS = 50
POLICY_TARGET_MS = 1
SIGNAL_TARGET_MS = 50
BCL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"


def run(bench: Bench, section: Section) -> None:
    try:
        from lms_identity.services.sessions import end_sessions_of  # noqa: F401
        from lms_identity.sso.session_policy import SessionPolicyMiddleware  # noqa: F401
    except ImportError as exc:
        raise Skip(f"the session service has not landed: {exc}") from None
    from bench.idp_stub import StubIdp
    from lms_identity.services.audit import Actor
    from lms_identity.services.connections import upsert_connection
    from lms_identity.services.oidc_config import configure_oidc

    size = 50_000 if bench.quick else 1_000_000
    count = 60 if bench.quick else 300
    bench.fresh_database("sessions")
    idp = StubIdp(bench.stub_port, CLIENT_ID)
    try:
        connection, _ = upsert_connection("bench-sessions", actor=Actor.system("bench"))
        configure_oidc(
            connection,
            actor=Actor.system("bench"),
            changes={"issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": "s"},
        )
        began = time.monotonic()
        db.seed_users(connection.pk, 1, size)
        db.seed_sessions(1, size, connection_id=connection.pk)
        db.analyze("lms_identity_user", "lms_identity_usersession", "django_session")
        print(f"  seeded {size:,} people with a session each in {time.monotonic() - began:.0f} s", flush=True)
        people = random.Random(13).sample(range(1, size + 1), 3 * count)
        ending = _end_all(connection, people[:count])
        policy = _policy(connection, people[count])
        backchannel = _signals(idp, connection, people[count : 2 * count], _logout_token, "backchannel")
        sets = _signals(idp, connection, people[2 * count :], _security_event, "sets")
    finally:
        idp.stop()
    _figures(section, size, count, ending, policy, backchannel, sets)


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": statistics.median(ordered), "p99": percentile(ordered, 99), "max": ordered[-1]}


def _person(n: int) -> Any:
    from lms_identity.models import User

    return User.objects.get(pk=db.user_id(n))


def _session_key(n: int) -> str:
    """The key db.seed_sessions gave person n's session."""
    return hashlib.md5(f"bench-session-{n}".encode()).hexdigest()[:32]  # noqa: S324 - a name, not a secret


def _new_session(person: Any) -> str:
    from django.contrib.sessions.backends.db import SessionStore

    from lms_identity.services.sessions import index_session

    store = SessionStore()
    store["_auth_user_id"] = str(person.pk)
    store.create()
    index_session(person, store.session_key or "")
    return store.session_key or ""


def _end_all(connection: Any, numbers: list[int]) -> dict[str, float]:
    """end_sessions_of for people holding four sessions each, among everyone else's."""
    from lms_identity.services.audit import Actor
    from lms_identity.services.sessions import end_sessions_of

    times = []
    for n in numbers:
        person = _person(n)
        for _ in range(3):
            _new_session(person)
        began = time.perf_counter()
        ended = end_sessions_of(person, cause="admin", actor=Actor.system("bench"))
        times.append((time.perf_counter() - began) * 1000)
        if ended != 4:
            raise RuntimeError(f"ended {ended} sessions of person {n}, expected 4")
    return _stats(times)


def _policy(connection: Any, n: int) -> dict[str, Any]:
    """The middleware's own time on a loaded session, and a page with and without it."""
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django.test import Client, RequestFactory, override_settings

    from lms_identity.sso import session_keys
    from lms_identity.sso.session_policy import POLICY, SessionPolicyMiddleware, load_policy

    person = _person(n)
    client = Client()
    client.force_login(person)
    store = SessionStore(client.session.session_key)
    now = time.time()
    store.update(
        {
            session_keys.CONNECTION: connection.pk,
            session_keys.SIGNED_IN_AT: now,
            session_keys.LAST_SEEN_AT: now,
            session_keys.VERIFIED_AT: now,
            POLICY: load_policy(connection.pk),
        }
    )
    store.save()
    middleware = SessionPolicyMiddleware(lambda request: HttpResponse())
    checks = []
    for _ in range(2000):
        request = RequestFactory().get("/learn/")
        request.session = SessionStore(store.session_key)
        assert "_auth_user_id" in request.session  # loads it, as the authentication middleware does
        request.user = AnonymousUser()
        began = time.perf_counter()
        middleware(request)
        checks.append((time.perf_counter() - began) * 1000)
    pages: dict[str, list[float]] = {"with": [], "without": []}
    without = [m for m in settings.MIDDLEWARE if not m.endswith("SessionPolicyMiddleware")]
    for _ in range(300):
        for key in ("with", "without"):
            with override_settings(**({"MIDDLEWARE": without} if key == "without" else {})):
                began = time.perf_counter()
                status = client.get("/learn/").status_code
                pages[key].append((time.perf_counter() - began) * 1000)
            if status != 200:
                raise RuntimeError(f"/learn/ answered {status}")
    return {"check": _stats(checks), "with": _stats(pages["with"]), "without": _stats(pages["without"])}


def _logout_token(idp: Any, sid: str) -> tuple[str, dict[str, Any], str]:
    now = int(time.time())
    claims = {
        "iss": idp.issuer,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "events": {BCL_EVENT: {}},
        "sid": sid,
    }
    token = jwt.encode(claims, idp.key.private, algorithm="RS256", headers={"kid": idp.key.kid})
    return "/sso/bench-sessions/backchannel-logout/", {"logout_token": token}, ""


def _security_event(idp: Any, sid: str) -> tuple[str, Any, str]:
    claims = {
        "iss": idp.issuer,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "jti": uuid.uuid4().hex,
        "sub_id": {"format": "opaque", "id": sid},
        "events": {SESSION_REVOKED: {}},
    }
    headers = {"kid": idp.key.kid, "typ": "secevent+jwt"}
    token = jwt.encode(claims, idp.key.private, algorithm="RS256", headers=headers)
    return "/sso/bench-sessions/ssf/events/", token, "application/secevent+jwt"


def _signals(
    idp: Any, connection: Any, numbers: list[int], make: Callable[[Any, str], tuple[str, Any, str]], what: str
) -> dict[str, float]:
    """POST one signal per person naming their seeded session by sid; each must end exactly it."""
    from django.test import Client

    from lms_identity.models import UserSession

    keys = [_session_key(n) for n in numbers]
    for key in keys:
        UserSession.objects.filter(session_key=key).update(sid=f"sid-{key}")
    client = Client()
    times = []
    for key in keys:
        path, body, content_type = make(idp, f"sid-{key}")
        began = time.perf_counter()
        if content_type:
            response = client.post(path, body, content_type=content_type)
        else:
            response = client.post(path, body)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code not in (200, 202) or UserSession.objects.filter(session_key=key).exists():
            raise RuntimeError(f"{what}: {response.status_code} {response.content[:200]!r}")
    return _stats(times)


def _figures(
    section: Section,
    size: int,
    count: int,
    ending: dict[str, float],
    policy: dict[str, Any],
    backchannel: dict[str, float],
    sets: dict[str, float],
) -> None:
    section.add(
        f"ending all 4 sessions of one person among {size:,} sessions (end_sessions_of, audited): p99",
        f"{report.ms(ending['p99'])} (p50 {report.ms(ending['p50'])}, "
        f"max {report.ms(ending['max'])}, n={count})",
        f"< {END_TARGET_MS} ms",
        ending["p99"] < END_TARGET_MS,
    )
    check = policy["check"]
    section.add(
        "session policy check per request (SessionPolicyMiddleware on a loaded session): p99",
        f"{report.ms(check['p99'])} (p50 {report.ms(check['p50'])}, n=2000)",
        f"< {POLICY_TARGET_MS} ms",
        check["p99"] < POLICY_TARGET_MS,
    )
    section.add(
        "  GET /learn/ through the test client with / without the policy middleware: p50, p99",
        f"{report.ms(policy['with']['p50'])} / {report.ms(policy['without']['p50'])}, "
        f"{report.ms(policy['with']['p99'])} / {report.ms(policy['without']['p99'])} "
        "(n=300 each, interleaved)",
    )
    section.add(
        "back-channel logout (validate the logout token, end its sid's session): p99",
        f"{report.ms(backchannel['p99'])} (p50 {report.ms(backchannel['p50'])}, n={count})",
        f"< {SIGNAL_TARGET_MS} ms",
        backchannel["p99"] < SIGNAL_TARGET_MS,
    )
    section.add(
        "Security Event Token push (CAEP session-revoked naming a sid): p99",
        f"{report.ms(sets['p99'])} (p50 {report.ms(sets['p50'])}, n={count})",
        f"< {SIGNAL_TARGET_MS} ms",
        sets["p99"] < SIGNAL_TARGET_MS,
    )
    section.note(
        f"Sessions: {size:,} people with one indexed session each; the people timed hold three more. "
        "Logout tokens and SETs are RS256, signed by the stub IdP's published key, POSTed through Django's "
        "test client (no network hop); each names one seeded session by sid and must end exactly it."
    )
