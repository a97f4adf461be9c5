"""Bearer-JWT authentication for officers, applicants and systems.

Claims: ``sub``, ``name``, ``department``, ``region``, ``roles``, and for applicants the
real-name and verified-contact claims of shared/identity.py. HS256 with a configured key for
development; RS256 verified against an identity provider's JWKS (Keycloak or similar) in
production.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request

from shared.contracts.common import ApplicantKind
from shared.identity import (
    Principal,
    RealName,
    real_name_claims,
    real_name_from_claims,
    verified_email,
    verified_phone,
)
from shared.roles import Assurance, Role
from shared.service_tokens import ServiceKeys, real_now
from shared.settings import ServiceSettings


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
            real_name=real_name_from_claims(claims),
            verified_phone=verified_phone(claims),
            verified_email=verified_email(claims),
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
    real_name: RealName | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> str:
    """A development token signed with the HS256 key (production tokens come from the IdP);
    ``real_name``, ``phone`` and ``email`` add an applicant's verified identity claims."""
    claims: dict[str, Any] = {
        "sub": subject,
        "name": name or (real_name.name if real_name else ""),
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
    claims |= real_name_claims(real_name, phone=phone, email=email)
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def mint_applicant_token(
    settings: ServiceSettings,
    *,
    id_number: str,
    name: str,
    now: datetime,
    kind: str = "person",
    assurance: Assurance = Assurance.REAL_PERSON,
    phone: str | None = None,
    email: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A development real-name token of an applicant, as the identity provider would issue it
    after face verification, with the phone and email it verified."""
    real_name = RealName(
        kind=ApplicantKind(kind),
        id_number=id_number.strip().upper(),
        name=name,
        assurance=assurance,
    )
    return mint_token(
        settings,
        subject=f"idp-{real_name.id_number}",
        now=now,
        ttl=ttl,
        roles=[Role.APPLICANT.value],
        real_name=real_name,
        phone=phone,
        email=email,
    )


def submission_token(
    settings: ServiceSettings,
    body: Any,
    *,
    now: datetime,
    ttl: timedelta = timedelta(hours=12),
) -> str | None:
    """A development real-name token for the applicant a ``POST /v1/cases`` body names, its
    phone and email verified; None when the body names no applicant (so a malformed body is
    refused for itself, not for a token)."""
    body = body if isinstance(body, dict) else {}
    applicant, contact = body.get("applicant"), body.get("contact")
    applicant = applicant if isinstance(applicant, dict) else {}
    contact = contact if isinstance(contact, dict) else {}
    kind, id_number = applicant.get("kind"), applicant.get("id_number")
    if not isinstance(id_number, str) or kind not in [k.value for k in ApplicantKind]:
        return None
    return mint_applicant_token(
        settings,
        id_number=id_number,
        name=str(applicant.get("name", "")),
        kind=str(kind),
        phone=str(contact["phone"]) if contact.get("phone") else None,
        email=str(contact["email"]) if contact.get("email") else None,
        now=now,
        ttl=ttl,
    )


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


__all__ = [
    "AuthError",
    "CurrentPrincipal",
    "OptionalPrincipal",
    "Principal",
    "TokenVerifier",
    "current_principal",
    "mint_applicant_token",
    "mint_token",
    "optional_principal",
    "require_roles",
    "submission_token",
]
