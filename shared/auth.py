"""Bearer-JWT authentication for officers, applicants and systems.

Claims: ``sub``, ``name``, ``department``, ``region``, ``roles``. HS256 with a configured key
for development; RS256 verified against an identity provider's JWKS (Keycloak or similar)
in production.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from shared.roles import Role
from shared.service_tokens import ServiceKeys, real_now
from shared.settings import ServiceSettings


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    name: str = ""
    department: str | None = None
    region: str | None = None
    roles: frozenset[str] = frozenset()

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class AuthError(Exception):
    pass


class TokenVerifier:
    """People's tokens (HS256 in development, the identity provider's JWKS in production) and
    other services' tokens (their own keys, shared/service_tokens.py)."""

    def __init__(
        self, settings: ServiceSettings, *, now: Callable[[], datetime] = real_now
    ) -> None:
        self.settings = settings
        self.now = now
        self._jwks: jwt.PyJWKClient | None = (
            jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        )
        self._services = ServiceKeys(settings)

    def verify(self, token: str) -> Principal:
        if self._services.signed_by_a_service(token):
            try:
                claims = self._services.verify(token, self.now())
            except (jwt.PyJWTError, KeyError) as exc:
                raise AuthError(f"invalid service token: {exc}") from exc
            return Principal(subject=str(claims["sub"]), roles=frozenset({Role.SYSTEM.value}))
        return self._verify_person(token)

    def _verify_person(self, token: str) -> Principal:
        s = self.settings
        required = ["sub", "exp"] if s.jwt_max_lifetime_s is None else ["sub", "exp", "iat"]
        try:
            if s.jwt_algorithm.upper().startswith("RS") and self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
            else:
                key = s.jwt_secret.get_secret_value()
            claims = jwt.decode(
                token,
                key,
                algorithms=[s.jwt_algorithm],
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                options={"require": required},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        lifetime = claims.get("exp", 0) - claims.get("iat", 0)
        if s.jwt_max_lifetime_s is not None and lifetime > s.jwt_max_lifetime_s:
            limit = s.jwt_max_lifetime_s
            raise AuthError(f"invalid token: valid for {lifetime} s, at most {limit}")
        roles = claims.get("roles") or []
        if isinstance(roles, str):
            roles = roles.split(",")
        return Principal(
            subject=str(claims["sub"]),
            name=str(claims.get("name", "")),
            department=claims.get("department"),
            region=claims.get("region"),
            roles=frozenset(str(r) for r in roles),
        )


def mint_token(
    settings: ServiceSettings,
    *,
    subject: str,
    now: datetime,
    roles: list[str],
    name: str = "",
    department: str | None = None,
    region: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A development token signed with the HS256 key (production tokens come from the IdP)."""
    claims: dict[str, Any] = {
        "sub": subject,
        "name": name,
        "roles": roles,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if department:
        claims["department"] = department
    if region:
        claims["region"] = region
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:
        raise RuntimeError("app.state.verifier is not set (bootstrap must set it)")
    return verifier


def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    try:
        return _verifier(request).verify(header[7:].strip())
    except AuthError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc


def optional_principal(request: Request) -> Principal | None:
    if not request.headers.get("authorization"):
        return None
    return current_principal(request)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require_roles(*roles: str) -> Any:
    """Dependency: 403 naming the roles needed when the caller has none of them."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise HTTPException(403, f"requires one of the roles: {', '.join(roles)}")
        return principal

    return Depends(check)
