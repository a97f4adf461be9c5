"""Bearer tokens for unit tests that call an API in-process.

A token is a real-world credential: the verifier checks its expiry on the system's clock
(shared/auth.py), not on the case clock a test fixes. A test token is therefore issued at a fixed
instant and valid for a century: the same token on whatever day the tests run, and no test reads
the clock to make one (tests/unit/shared/test_auth.py shows an expired one is still refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.auth import mint_token
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
