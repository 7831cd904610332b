"""Fixtures for the SSO tests: a fake IdP in a thread (token-level tests), real oidc-provider node
processes on two loopback addresses (browser tests; the live server and Chromium are in tests/conftest.py)."""

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from lms_identity.services.audit import Actor
from lms_identity.services.oidc_config import configure_oidc
from tests.factories import ConnectionFactory
from tests.parallel import free_port

from .fake_idp import FakeIdp

ROOT = Path(__file__).resolve().parents[3]
PROVIDER_DIR = ROOT / "tests" / "oidc_provider"


@pytest.fixture(scope="session")
def fake_idp_server():
    idp = FakeIdp("127.0.0.1", free_port())
    yield idp
    idp.stop()


@pytest.fixture
def fake_idp(fake_idp_server):
    fake_idp_server.reset()
    return fake_idp_server


@pytest.fixture
def make_oidc_connection(db):
    def make(slug, issuer, *, client_id="lms-client", client_secret="s3cret", **changes):
        connection = ConnectionFactory(slug=slug, name=slug.title())
        configure_oidc(
            connection,
            actor=Actor.system("tests"),
            changes={"issuer": issuer, "client_id": client_id, "client_secret": client_secret, **changes},
        )
        return connection

    return make


@pytest.fixture
def fake_connection(make_oidc_connection, fake_idp):
    return make_oidc_connection("acme", fake_idp.issuer, jit_policy="create")


def start_login(client, slug, **query):
    """GET /sso/SLUG/login/ and return (state, nonce, the authorize URL's query)."""
    response = client.get(f"/sso/{slug}/login/", query)
    assert response.status_code == 302, response.content[:500]
    params = {k: v[0] for k, v in parse_qs(urlparse(response["Location"]).query).items()}
    state = params["state"]
    nonce = client.session["oidc_states"][state]["nonce"]
    return state, nonce, params


# --- real processes -------------------------------------------------------------------------------


def _loopback_2_works():
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def sso_live_server(browser_live_server):
    return browser_live_server


class NodeProvider:
    def __init__(self, host, port, *, slug, live_url, accounts, tmp, id_token_claims=False):
        self.issuer = f"http://{host}:{port}"
        self.slug = slug
        self.client_id, self.client_secret = f"lms-{slug}", f"secret-{slug}"
        accounts_file = tmp / f"accounts-{slug}.json"
        accounts_file.write_text(json.dumps(accounts))
        cmd = [
            "node",
            "server.js",
            "--issuer",
            self.issuer,
            "--host",
            host,
            "--port",
            str(port),
            "--client-id",
            self.client_id,
            "--client-secret",
            self.client_secret,
            "--redirect-uri",
            f"{live_url}/sso/{slug}/callback/",
            "--initiate-uri",
            f"{live_url}/sso/{slug}/initiate/",
            "--target-link-uri",
            f"{live_url}/learn/?from=tile",
            "--post-logout-uri",
            f"{live_url}/sso/{slug}/signed-out/",
            "--backchannel-logout-uri",
            f"{live_url}/sso/{slug}/backchannel-logout/",
            "--accounts",
            str(accounts_file),
        ]
        if id_token_claims:
            cmd.append("--id-token-claims")
        self.process = subprocess.Popen(
            cmd, cwd=PROVIDER_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and self.process.poll() is None:
            line = self.process.stdout.readline()
            if line.startswith("READY"):
                return
        self.stop()
        raise RuntimeError(f"oidc-provider did not start: {line!r}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


ACME_ACCOUNTS = [
    {
        "username": "ada",
        "password": "pw-ada",
        "sub": "acme-ada",
        "email": "ada@acme.test",
        "email_verified": True,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "groups": ["Engineering", "6f1c1a52-0b3e-4f6f-9a4e-2f1d2c3b4a5e"],
        "amr": ["pwd", "mfa", "otp"],
        "acr": "urn:lms:acr:mfa",
    },
    {
        "username": "bob",
        "password": "pw-bob",
        "sub": "acme-bob",
        "email": "bob@acme.test",
        "email_verified": True,
        "given_name": "Bob",
        "family_name": "Byrne",
        "groups": [],
        "amr": ["pwd"],
        "acr": "urn:lms:acr:pwd",
    },
    {
        "username": "eve",
        "password": "pw-eve",
        "sub": "acme-eve",
        "email": "eve@contractor.test",
        "email_verified": True,
        "given_name": "Eve",
        "family_name": "Outside",
        "groups": [],
        "amr": ["pwd"],
        "acr": "urn:lms:acr:pwd",
    },
]
ACME_ACCOUNTS.append(
    {
        "username": "lena",
        "password": "pw-lena",
        "sub": "acme-lena",
        "email": "lena@acme.test",
        "email_verified": True,
        "given_name": "Lena",
        "family_name": "Learning",
        "groups": ["LMS Admins"],
        "amr": ["pwd", "mfa", "otp"],
        "acr": "urn:lms:acr:mfa",
    }
)
for name, group in (("audrey", "LMS Auditors"), ("ivan", "Instructors")):
    ACME_ACCOUNTS.append(
        {
            "username": name,
            "password": f"pw-{name}",
            "sub": f"acme-{name}",
            "email": f"{name}@acme.test",
            "email_verified": True,
            "given_name": name.title(),
            "family_name": "Acme",
            "groups": [group],
            "amr": ["pwd", "mfa", "otp"],
            "acr": "urn:lms:acr:mfa",
        }
    )
GLOBEX_ACCOUNTS = [
    {
        "username": "zoe",
        "password": "pw-zoe",
        "sub": "globex-zoe",
        "email": "zoe@globex.test",
        "email_verified": True,
        "given_name": "Zoe",
        "family_name": "Zhang",
        "groups": ["Sales"],
        "amr": ["pwd", "hwk"],
        "acr": "urn:lms:acr:mfa",
    },
]


@pytest.fixture(scope="session")
def node_providers(sso_live_server, tmp_path_factory):
    if shutil.which("node") is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        pytest.skip("node or tests/oidc_provider/node_modules missing: run `make node`")
    if not _loopback_2_works():
        pytest.skip("127.0.0.2 is not usable on this machine")
    tmp = tmp_path_factory.mktemp("providers")
    started = []
    try:
        started.append(
            NodeProvider(
                "127.0.0.1",
                free_port(),
                slug="acme",
                live_url=sso_live_server.url,
                accounts=ACME_ACCOUNTS,
                tmp=tmp,
            )
        )
        started.append(
            NodeProvider(
                "127.0.0.2",
                free_port("127.0.0.2"),
                slug="globex",
                live_url=sso_live_server.url,
                accounts=GLOBEX_ACCOUNTS,
                tmp=tmp,
                id_token_claims=True,
            )
        )
        yield {p.slug: p for p in started}
    finally:
        for provider in started:
            provider.stop()


@pytest.fixture
def site(sso_live_server, node_providers, transactional_db, settings):
    """The live site with both connections wired to their providers (JIT create, trust the IdP)."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False

    class Site:
        url = sso_live_server.url
        providers = node_providers

        def connect(self, slug, **changes):
            provider = node_providers[slug]
            connection = ConnectionFactory(slug=slug, name=slug.title())
            configure_oidc(
                connection,
                actor=Actor.system("tests"),
                changes={
                    "issuer": provider.issuer,
                    "client_id": provider.client_id,
                    "client_secret": provider.client_secret,
                    "jit_policy": "create",
                    "scopes": "openid email profile groups",
                    **changes,
                },
            )
            return connection

    return Site()


def sign_in_at_idp(page, username, password):
    """Fill the test IdP's login form."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
