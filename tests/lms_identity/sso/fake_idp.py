"""A tiny OpenID provider in a thread, for token-level tests: it serves discovery, a JWKS the test
controls, a token endpoint that hands out the ID token the test signed (each code once), and userinfo."""

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa


class SigningKey:
    def __init__(self, alg: str = "RS256", kid: str | None = None) -> None:
        self.alg = alg
        self.kid = kid or uuid.uuid4().hex[:8]
        if alg.startswith("ES"):
            self.private = ec.generate_private_key(ec.SECP256R1())
            algo = jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA256)
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            algo = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)
        self.public_jwk = {
            **json.loads(algo.to_jwk(self.private.public_key())),
            "kid": self.kid,
            "use": "sig",
            "alg": alg,
        }

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={"kid": self.kid, **headers})


class FakeIdp:
    def __init__(
        self, host: str, port: int, client_id: str = "lms-client", client_secret: str = "s3cret"
    ) -> None:
        self.issuer = f"http://{host}:{port}"
        self.client_id, self.client_secret = client_id, client_secret
        self.host, self.port = host, port
        self.reset()
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/.well-known/openid-configuration":
                    idp.requests["metadata"] += 1
                    return self._json(200, idp.metadata())
                if path == "/jwks":
                    idp.requests["jwks"] += 1
                    return self._json(200, {"keys": [k.public_jwk for k in idp.published]})
                if path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token in idp.userinfo:
                        return self._json(200, idp.userinfo[token])
                    return self._json(401, {"error": "invalid_token"})
                return self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = self.headers.get("Authorization", "").removeprefix("Basic ")
                client = base64.b64decode(basic).decode() if basic else ""
                if client != f"{idp.client_id}:{idp.client_secret}":
                    return self._json(401, {"error": "invalid_client"})
                idp.token_requests.append(form)
                code = form.get("code", "")
                if code in idp.used_codes or code not in idp.codes:
                    return self._json(400, {"error": "invalid_grant", "error_description": "code used"})
                idp.used_codes.add(code)
                return self._json(200, idp.codes.pop(code))

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.key = SigningKey("RS256", kid="k1")
        self.published = [self.key]
        self.codes: dict[str, dict[str, Any]] = {}
        self.used_codes: set[str] = set()
        self.userinfo: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.requests = {"metadata": 0, "jwks": 0}
        self.end_session = False  # whether discovery advertises an end_session_endpoint

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            **({"end_session_endpoint": f"{self.issuer}/logout"} if self.end_session else {}),
        }

    def claims(self, nonce: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "sub-ada",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": "ada@acme.test",
            "email_verified": True,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "name": "Ada Lovelace",
            "amr": ["pwd", "mfa"],
            "groups": [],
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def issue_code(self, id_token: str, *, userinfo: dict[str, Any] | None = None) -> str:
        """Register a code the token endpoint will exchange (once) for this ID token."""
        code = uuid.uuid4().hex
        access = uuid.uuid4().hex
        self.codes[code] = {
            "id_token": id_token,
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
        }
        if userinfo is not None:
            self.userinfo[access] = userinfo
        return code
