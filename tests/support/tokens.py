"""Bearer tokens for unit tests that call an API in-process.

A token is a real-world credential: the verifier checks its expiry on the system's clock
(shared/auth.py), not on the case clock a test fixes. A test token is therefore issued at a fixed
instant and valid for a century: the same token on whatever day the tests run, and no test reads
the clock to make one (tests/unit/shared/test_auth.py shows an expired one is still refused)."""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta

import httpx

from shared.auth import mint_applicant_token, mint_token, submission_token
from shared.contracts import ApplicantKind
from shared.identifiers import is_valid_resident_id, is_valid_uscc
from shared.identity import Principal, RealName
from shared.roles import Assurance
from shared.settings import ServiceSettings

ISSUED_AT = datetime(2025, 1, 1, tzinfo=UTC)
VALID_FOR = timedelta(days=100 * 365)
EXPIRES_AT = ISSUED_AT + VALID_FOR


def lasting_token(
    settings: ServiceSettings,
    *,
    subject: str,
    roles: list[str],
    department: str | None = None,
    region: str | None = None,
) -> str:
    return mint_token(
        settings,
        subject=subject,
        now=ISSUED_AT,
        ttl=VALID_FOR,
        roles=roles,
        department=department,
        region=region,
    )


def bearer(token: str) -> dict[str, str]:
    """The Authorization header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


def officer_headers(
    settings: ServiceSettings,
    *,
    subject: str,
    roles: list[str],
    department: str | None = None,
    region: str | None = None,
) -> dict[str, str]:
    """The Authorization header of an officer's (or system's) lasting token."""
    return bearer(
        lasting_token(settings, subject=subject, roles=roles, department=department, region=region)
    )


def applicant_token(
    settings: ServiceSettings,
    *,
    id_number: str,
    name: str,
    kind: str = "person",
    assurance: Assurance = Assurance.REAL_PERSON,
    phone: str | None = None,
    email: str | None = None,
) -> str:
    """An applicant's real-name token (shared/auth.mint_applicant_token), lasting."""
    return mint_applicant_token(
        settings,
        id_number=id_number,
        name=name,
        kind=kind,
        assurance=assurance,
        phone=phone,
        email=email,
        now=ISSUED_AT,
        ttl=VALID_FOR,
    )


class SignedInApplicant(httpx.Auth):
    """httpx auth for tests that submit as applicants do: each ``POST …/v1/cases`` (or
    ``…/v1/bundles``) without an Authorization header goes with the real-name token of the
    body's applicant (shared/auth.submission_token). Other requests go as they are."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if (
            request.method == "POST"
            and request.url.path.endswith(("/v1/cases", "/v1/bundles"))
            and "authorization" not in request.headers
        ):
            try:
                body = json.loads(request.content or b"{}")
            except ValueError:
                body = None
            token = submission_token(self.settings, body, now=ISSUED_AT, ttl=VALID_FOR)
            if token is not None:
                request.headers["Authorization"] = f"Bearer {token}"
        yield request


def applicant_principal(id_number: str, name: str = "申请人") -> Principal:
    """The principal an applicant's real-name token verifies to (for handlers called directly)."""
    kind = ApplicantKind.PERSON if is_valid_resident_id(id_number) else ApplicantKind.ENTITY
    real_name = RealName(kind=kind, id_number=id_number, name=name, assurance=Assurance.REAL_PERSON)
    return Principal(
        subject=f"idp-{id_number}", name=name, roles=frozenset({"applicant"}), real_name=real_name
    )


def bearer_of(
    settings: ServiceSettings, sub: str, *roles: str, department: str | None = None
) -> dict[str, str]:
    """The Authorization header of an officer's or system's token; for the role ``applicant``
    alone with an ID number or credit code, the real-name token of that identity."""
    if roles == ("applicant",) and (is_valid_resident_id(sub) or is_valid_uscc(sub)):
        kind = "person" if is_valid_resident_id(sub) else "entity"
        token = applicant_token(settings, id_number=sub, name="申请人", kind=kind)
    else:
        token = lasting_token(settings, subject=sub, roles=list(roles), department=department)
    return {"Authorization": f"Bearer {token}"}
