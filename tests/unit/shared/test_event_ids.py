"""Derived event ids: the same on a replay, unguessable without the deployment's key."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from shared.contracts import derived_event_id, use_event_id_key
from shared.contracts.envelope import DEV_EVENT_ID_KEY
from shared.runtime import key_event_ids
from shared.settings import MIN_EVENT_ID_KEY_CHARS, ServiceSettings
from tests.support.production import PRODUCTION

DEPLOYMENT_KEY = "k" * MIN_EVENT_ID_KEY_CHARS


@pytest.fixture(autouse=True)
def _restore_key() -> Iterator[None]:
    yield
    key_event_ids(ServiceSettings())


def outsider_guesses(*parts: str) -> set[str]:
    """What someone who knows the parts and the published code can compute."""
    plain = "egov:" + ":".join(parts)
    published = hmac.new(
        DEV_EVENT_ID_KEY.encode(), "\x1f".join(("egov", *parts)).encode(), hashlib.sha256
    ).digest()[:16]
    return {uuid.uuid5(uuid.NAMESPACE_URL, plain).hex, published.hex()}


def test_a_replay_derives_the_same_id() -> None:
    use_event_id_key(DEPLOYMENT_KEY)
    assert derived_event_id("case.submitted", "C1") == derived_event_id("case.submitted", "C1")
    assert derived_event_id("s1", "red") != derived_event_id("s1", "yellow")


def test_the_parts_cannot_be_regrouped() -> None:
    assert derived_event_id("a:b", "c") != derived_event_id("a", "b:c")


def test_without_the_key_the_id_cannot_be_computed() -> None:
    use_event_id_key(DEPLOYMENT_KEY)
    real = derived_event_id("case.submitted", "C1")
    assert real not in outsider_guesses("case.submitted", "C1")
    use_event_id_key("another deployment's key, also long enough")
    assert derived_event_id("case.submitted", "C1") != real


def test_the_bootstrap_keys_the_process_from_the_settings() -> None:
    key_event_ids(ServiceSettings(event_id_key=DEPLOYMENT_KEY))
    keyed = derived_event_id("x")
    key_event_ids(ServiceSettings(event_id_key=DEPLOYMENT_KEY + "2"))
    assert derived_event_id("x") != keyed


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        use_event_id_key("")


@pytest.mark.parametrize("key", [None, DEV_EVENT_ID_KEY, "short"])
def test_production_refuses_a_published_or_short_key(
    key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EGOV_EVENT_ID_KEY", raising=False)
    values = {k: v for k, v in PRODUCTION.items() if k != "event_id_key"}
    extra = {} if key is None else {"event_id_key": key}
    with pytest.raises(ValidationError, match="EGOV_EVENT_ID_KEY") as refused:
        ServiceSettings(**values, **extra)
    assert "EGOV_JWT" not in str(refused.value)  # only the key is named


def test_production_starts_with_a_key_of_its_own() -> None:
    settings = ServiceSettings(**PRODUCTION | {"event_id_key": DEPLOYMENT_KEY})
    assert settings.event_id_key.get_secret_value() == DEPLOYMENT_KEY
    assert DEPLOYMENT_KEY not in repr(settings)
