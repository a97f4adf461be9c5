"""Service-to-service bearer tokens: each service signs with a key of its own, and a service
accepts a caller whose public key is in the services' JWKS.

A token says who calls (`sub` svc-<service>, key id egov-<service>:<key thumbprint>), whom it
is for (`aud` egov-service-<callee>: one audience per service, so a token for credit is no good
at approval), and lives minutes (`EGOV_SERVICE_TOKEN_TTL_S`, at most `MAX_SERVICE_TOKEN_S`).
It does not depend on how people's tokens are verified (HS256 in development, the identity
provider's RS256 in production), which is what let intake's HS256 service token be refused by
credit in production. Keys: `egov service-keys` makes a key per service and the JWKS
(docs/security.md).

Without `EGOV_SERVICE_KEY_FILE` (development, unit tests) a service signs with the development
HS256 key; production refuses to start without its key (shared/settings.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.settings import ServiceSettings

SERVICE_ISSUER = "egov-services"
MAX_SERVICE_TOKEN_S = 3600
CLOCK_SKEW_S = 30  # tolerated difference between the caller's clock and the callee's
KEY_PREFIX = "egov-"
SUBJECT_PREFIX = "svc-"


def service_audience(service: str) -> str:
    return f"egov-service-{service}"


def key_id(service: str, public_jwk: dict[str, Any]) -> str:
    """egov-<service>:<thumbprint>: the owner, and which of its keys (two during a rotation)."""
    members = {k: public_jwk[k] for k in ("e", "kty", "n")}  # RFC 7638, RSA
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())
    thumbprint = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    return f"{KEY_PREFIX}{service}:{thumbprint[:16]}"


def owner(kid: str) -> str:
    return kid.removeprefix(KEY_PREFIX).partition(":")[0]


def _public_jwk(private_pem: bytes) -> dict[str, Any]:
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    return dict(json.loads(RSAAlgorithm.to_jwk(private_key.public_key())))  # type: ignore[arg-type]


def real_now() -> datetime:
    # A token is a real-world credential: its expiry is real time, not the (simulated) case clock.
    return datetime.now(UTC)


def key_path(settings: ServiceSettings) -> Path | None:
    if not settings.service_key_file:
        return None
    return Path(settings.service_key_file.replace("{service}", settings.service_name))


class ServiceTokens:
    """The bearer tokens this service sends, one per callee, renewed before they expire."""

    def __init__(
        self, settings: ServiceSettings, *, now: Callable[[], datetime] = real_now
    ) -> None:
        self.settings = settings
        self.now = now
        path = key_path(settings)
        self._key: Any = None if path is None else path.read_bytes()
        self._kid = (
            None if self._key is None else key_id(settings.service_name, _public_jwk(self._key))
        )
        self._cache: dict[str, tuple[str, datetime]] = {}

    def bearer(self, callee: str) -> str:
        now = self.now()
        cached = self._cache.get(callee)
        if cached is not None and cached[1] - now > timedelta(seconds=30):
            return cached[0]
        ttl = timedelta(seconds=self.settings.service_token_ttl_s)
        token = self._sign(callee, now, ttl)
        self._cache[callee] = (token, now + ttl)
        return token

    def _sign(self, callee: str, now: datetime, ttl: timedelta) -> str:
        service = self.settings.service_name
        claims = {
            "sub": f"{SUBJECT_PREFIX}{service}",
            "roles": ["system"],
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
        }
        if self._key is None:  # development: the shared HS256 key and audience of people's tokens
            claims |= {"iss": self.settings.jwt_issuer, "aud": self.settings.jwt_audience}
            secret = self.settings.jwt_secret.get_secret_value()
            return jwt.encode(claims, secret, algorithm="HS256")
        claims |= {"iss": SERVICE_ISSUER, "aud": service_audience(callee)}
        headers = {"kid": self._kid}
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)


class ServiceKeys:
    """The services' public keys (a JWKS file) and the check of a token signed with one."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._keys: dict[str, Any] = {}
        if settings.service_jwks_file:
            doc = json.loads(Path(settings.service_jwks_file).read_text())
            self._keys = {k["kid"]: RSAAlgorithm.from_jwk(k) for k in doc["keys"]}

    def signed_by_a_service(self, token: str) -> bool:
        try:
            return jwt.get_unverified_header(token).get("kid") in self._keys
        except jwt.PyJWTError:
            return False

    def verify(self, token: str, now: datetime) -> dict[str, Any]:
        """The claims of a service token meant for this service, valid at `now` (real time,
        given so that tests need not read the clock); PyJWTError otherwise."""
        kid = jwt.get_unverified_header(token)["kid"]
        claims: dict[str, Any] = jwt.decode(
            token,
            self._keys[kid],
            algorithms=["RS256"],
            audience=service_audience(self.settings.service_name),
            issuer=SERVICE_ISSUER,
            options={"require": ["sub", "exp", "iat"], "verify_exp": False, "verify_iat": False},
        )
        at = now.timestamp()
        if not claims["iat"] - CLOCK_SKEW_S <= at < claims["exp"] + CLOCK_SKEW_S:
            raise jwt.ExpiredSignatureError(f"valid from {claims['iat']} to {claims['exp']}")
        if claims["sub"] != SUBJECT_PREFIX + owner(kid):
            raise jwt.InvalidTokenError(f"subject {claims['sub']} does not own key {kid}")
        if claims["exp"] - claims["iat"] > MAX_SERVICE_TOKEN_S:
            raise jwt.InvalidTokenError(f"lives longer than {MAX_SERVICE_TOKEN_S} s")
        return claims


def generate(services: Iterable[str], out: Path) -> Path:
    """A private key per service (<out>/<service>.pem, mode 600) and the JWKS of their public
    keys (<out>/jwks.json); an existing key is kept. Returns the JWKS path."""
    out.mkdir(parents=True, exist_ok=True)
    keys = []
    for service in services:
        pem = out / f"{service}.pem"
        if not pem.exists():
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem.touch(mode=0o600)
            pem.write_bytes(
                private.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        jwk = _public_jwk(pem.read_bytes())
        keys.append(jwk | {"kid": key_id(service, jwk), "use": "sig", "alg": "RS256"})
    jwks = out / "jwks.json"
    text = json.dumps({"keys": keys}, indent=1) + "\n"
    if not jwks.exists() or jwks.read_text() != text:
        jwks.write_text(text)
    return jwks
