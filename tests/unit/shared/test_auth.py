"""Bearer tokens: the verifier accepts what the key signed for this audience until it expires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.auth import AuthError, TokenVerifier, mint_token
from shared.settings import ServiceSettings
from tests.support.tokens import ISSUED_AT, lasting_token

SETTINGS = ServiceSettings()


def test_a_signed_token_gives_its_principal() -> None:
    token = lasting_token(SETTINGS, subject="h-1", roles=["handler"], department="500000-SCJ")
    principal = TokenVerifier(SETTINGS).verify(token)
    assert (principal.subject, principal.roles, principal.department) == (
        "h-1",
        frozenset({"handler"}),
        "500000-SCJ",
    )


def test_an_expired_token_is_refused() -> None:
    # Expiry is checked on the system's clock: a day's token from before the test tokens'
    # issue date has expired on any day these tests run.
    day = mint_token(SETTINGS, subject="h-1", roles=["handler"], now=ISSUED_AT - timedelta(days=2))
    with pytest.raises(AuthError, match="expired"):
        TokenVerifier(SETTINGS).verify(day)
