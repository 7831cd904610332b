"""A stub OpenID provider for the SSO benchmark: discovery and a JWKS over real HTTP on loopback, counting
every fetch, with keys the benchmark signs ID tokens with. The code exchange is not served: the benchmark
excludes it from the timing by handing the backend its token response directly."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        algorithm = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)
        self.public_jwk = {
            **json.loads(algorithm.to_jwk(self.private.public_key())),
            "kid": kid,
            "use": "sig",
            "alg": "RS256",
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


class StubIdp:
    def __init__(self, port: int, client_id: str) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        self.client_id = client_id
        self.key = SigningKey("k1")
        self.published = [self.key]
        self.fetches = {"metadata": 0, "jwks": 0}
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                if path == "/.well-known/openid-configuration":
                    idp.fetches["metadata"] += 1
                    body: Any = idp.metadata()
                elif path == "/jwks":
                    idp.fetches["jwks"] += 1
                    body = {"keys": [k.public_jwk for k in idp.published]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def rotate(self) -> None:
        """Publish a new key and sign with it from now on (the old one is withdrawn)."""
        self.key = SigningKey(uuid.uuid4().hex[:8])
        self.published = [self.key]

    def id_token(self, *, nonce: str, sub: str, email: str, given: str, family: str) -> str:
        now = int(time.time())
        return self.key.sign(
            {
                "iss": self.issuer,
                "aud": self.client_id,
                "sub": sub,
                "iat": now,
                "exp": now + 300,
                "nonce": nonce,
                "email": email,
                "email_verified": True,
                "given_name": given,
                "family_name": family,
                "name": f"{given} {family}",
                "amr": ["pwd", "mfa"],
                "groups": [],
            }
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
