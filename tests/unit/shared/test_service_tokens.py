"""Service-to-service tokens: each service signs with its own key, one audience per callee,
minutes of life; production refuses the development shortcuts, naming the setting."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from shared.auth import AuthError, TokenVerifier, mint_token
from shared.cli import app
from shared.service_tokens import ServiceTokens, generate
from shared.settings import ServiceSettings
from tests.support.production import PRODUCTION
from tests.support.tokens import ISSUED_AT, VALID_FOR

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(["intake", "credit", "approval"], tmp_path_factory.mktemp("keys"))


def settings(service: str, jwks: Path, **extra: object) -> ServiceSettings:
    return ServiceSettings(
        service_name=service,
        service_key_file=str(jwks.parent / "{service}.pem"),
        service_jwks_file=str(jwks),
        **extra,  # type: ignore[arg-type]
    )


def kid(keys: Path, service: str) -> str:
    doc = json.loads(keys.read_text())
    return next(k["kid"] for k in doc["keys"] if k["kid"].startswith(f"egov-{service}:"))


def test_during_a_rotation_both_keys_of_a_service_are_accepted(keys: Path, tmp_path: Path) -> None:
    new = generate(["intake"], tmp_path / "new")  # intake's next key
    both = tmp_path / "jwks.json"
    merged = json.loads(keys.read_text())["keys"] + json.loads(new.read_text())["keys"]
    both.write_text(json.dumps({"keys": merged}))
    callee = TokenVerifier(
        ServiceSettings(service_name="credit", service_jwks_file=str(both)), now=at(NOW)
    )
    for old_or_new in (keys, new):
        token = ServiceTokens(settings("intake", old_or_new), now=at(NOW)).bearer("credit")
        assert callee.verify(token).subject == "svc-intake"


def at(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


def verifier(service: str, keys: Path, now: datetime = NOW, **extra: object) -> TokenVerifier:
    return TokenVerifier(settings(service, keys, **extra), now=at(now))


def intake_token(keys: Path, now: datetime = NOW) -> str:
    return ServiceTokens(settings("intake", keys), now=at(now)).bearer("credit")


def test_the_callee_accepts_a_caller_it_knows(keys: Path) -> None:
    principal = verifier("credit", keys).verify(intake_token(keys))
    assert principal.subject == "svc-intake" and principal.roles == {"system"}


def test_the_token_is_signed_by_the_caller_not_with_the_shared_secret(keys: Path) -> None:
    token = intake_token(keys)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"].startswith("egov-intake:")
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(token, ServiceSettings().jwt_secret.get_secret_value(), algorithms=["HS256"])


def test_production_people_verification_does_not_refuse_service_tokens(keys: Path) -> None:
    # The bug: intake signed HS256 while production verifies RS256 only, so the credit check
    # never ran. The callee here verifies people with RS256 and still takes intake's token.
    callee = verifier("credit", keys, jwt_algorithm="RS256", jwt_jwks_url="https://idp.invalid/")
    assert callee.verify(intake_token(keys)).subject == "svc-intake"


def test_a_token_for_one_service_is_refused_by_another(keys: Path) -> None:
    with pytest.raises(AuthError, match="(?i)audience"):
        verifier("approval", keys).verify(intake_token(keys))


def test_an_expired_service_token_is_refused(keys: Path) -> None:
    token = intake_token(keys)
    assert verifier("credit", keys, NOW + timedelta(seconds=299)).verify(token)
    with pytest.raises(AuthError, match="valid from"):
        verifier("credit", keys, NOW + timedelta(seconds=331)).verify(token)
    with pytest.raises(AuthError, match="valid from"):
        verifier("credit", keys, NOW - timedelta(seconds=31)).verify(token)


def test_a_key_unknown_to_the_callee_is_not_a_service_token(keys: Path, tmp_path: Path) -> None:
    stranger = generate(["intake"], tmp_path / "other")  # same names, other keys
    token = ServiceTokens(settings("intake", stranger), now=at(NOW)).bearer("credit")
    with pytest.raises(AuthError, match="invalid"):
        verifier("credit", keys).verify(token)


def test_a_service_cannot_sign_as_another(keys: Path) -> None:
    private = (keys.parent / "approval.pem").read_bytes()
    claims = {
        "sub": "svc-intake",
        "roles": ["system"],
        "iss": "egov-services",
        "aud": "egov-service-credit",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 60,
    }
    forged = jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid(keys, "approval")})
    with pytest.raises(AuthError, match="does not own"):
        verifier("credit", keys).verify(forged)


def test_a_long_lived_service_token_is_refused(keys: Path) -> None:
    private = (keys.parent / "intake.pem").read_bytes()
    now = int(NOW.timestamp())
    claims = {
        "sub": "svc-intake",
        "iss": "egov-services",
        "aud": "egov-service-credit",
        "iat": now,
        "exp": now + 86_400,
    }
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid(keys, "intake")})
    with pytest.raises(AuthError, match="longer than"):
        verifier("credit", keys).verify(token)


def test_tokens_are_reused_until_shortly_before_they_expire(keys: Path) -> None:
    clock = [NOW]
    tokens = ServiceTokens(settings("intake", keys, service_token_ttl_s=300), now=lambda: clock[0])
    first = tokens.bearer("credit")
    clock[0] = NOW + timedelta(seconds=200)
    assert tokens.bearer("credit") == first
    clock[0] = NOW + timedelta(seconds=290)
    assert tokens.bearer("credit") != first


def test_a_person_token_longer_than_the_maximum_is_refused() -> None:
    # People's tokens expire on the real clock (PyJWT): issued at a fixed instant, their
    # lifetimes are a century plus (or not) an hour, so the test holds on any day.
    s = ServiceSettings(jwt_max_lifetime_s=VALID_FOR_S + 3600)
    fine = lasting(s, VALID_FOR_S)
    too_long = lasting(s, VALID_FOR_S + 3601)
    assert TokenVerifier(s).verify(fine).subject == "u1"
    with pytest.raises(AuthError, match=f"at most {VALID_FOR_S + 3600}"):
        TokenVerifier(s).verify(too_long)


VALID_FOR_S = int(VALID_FOR.total_seconds())


def lasting(s: ServiceSettings, seconds: int) -> str:
    ttl = timedelta(seconds=seconds)
    return mint_token(s, subject="u1", now=ISSUED_AT, roles=["handler"], ttl=ttl)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"jwt_algorithm": "HS256"}, "EGOV_JWT_ALGORITHM"),
        ({"jwt_jwks_url": None}, "EGOV_JWT_JWKS_URL"),
        ({"jwt_max_lifetime_s": None}, "EGOV_JWT_MAX_LIFETIME_S"),
        ({"jwt_max_lifetime_s": 7 * 86_400}, "EGOV_JWT_MAX_LIFETIME_S"),
        ({"service_key_file": None}, "EGOV_SERVICE_KEY_FILE"),
        ({"service_jwks_file": None}, "EGOV_SERVICE_JWKS_FILE"),
        ({"mongo_uri": "mongodb://127.0.0.1:27017/?directConnection=true"}, "EGOV_MONGO_URI"),
    ],
)
def test_production_refuses_each_development_shortcut_by_name(
    change: dict[str, object], named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (
        "EGOV_SERVICE_KEY_FILE",
        "EGOV_SERVICE_JWKS_FILE",
        "EGOV_JWT_JWKS_URL",
        "EGOV_MONGO_URI",
    ):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValidationError, match=named) as refused:
        ServiceSettings(**PRODUCTION | change)
    assert str(refused.value).count("EGOV_") == 1, "only the broken setting is named"


def test_egov_token_refuses_production(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PRODUCTION.items():
        monkeypatch.setenv(f"EGOV_{key.upper()}", str(value))
    result = CliRunner().invoke(app, ["token", "--sub", "x", "--roles", "admin"])
    assert result.exit_code == 2 and "development tokens only" in result.output
    monkeypatch.setenv("EGOV_JWT_ALGORITHM", "HS256")
    result = CliRunner().invoke(app, ["token", "--sub", "x", "--roles", "admin"])
    assert result.exit_code == 2 and "EGOV_JWT_ALGORITHM" in result.output


def test_service_keys_command_writes_a_key_per_service_and_the_jwks(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["service-keys", str(tmp_path)])
    assert result.exit_code == 0, result.output
    kids = [k["kid"] for k in json.loads((tmp_path / "jwks.json").read_text())["keys"]]
    owners = [k.partition(":")[0] for k in kids]
    assert owners == [f"egov-{s}" for s in ("intake", "approval", "monitor", "notify", "credit")]
    assert (tmp_path / "credit.pem").stat().st_mode & 0o077 == 0
