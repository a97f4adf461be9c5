"""Fixtures for every test: the local stack's addresses (integration and e2e) and unique ids.

`tests/support/run_tests.py` (`make test`) starts a private broker and database and sets
EGOV_TEST_STACK=1, EGOV_KAFKA_BOOTSTRAP and EGOV_MONGO_URI; without them the tests that need
the stack are skipped, so `pytest tests/unit` runs with no infrastructure at all.
"""

from __future__ import annotations

import os
import uuid

import pytest

from shared.runtime import key_event_ids
from shared.settings import ServiceSettings

# The test process derives event ids under the stack's key (EGOV_EVENT_ID_KEY), as its services do.
key_event_ids(ServiceSettings())


def _stack_setting(name: str) -> str:
    if os.environ.get("EGOV_TEST_STACK") != "1":
        pytest.skip(
            "needs the local broker and database: run `make test` (tests/support/run_tests.py)"
        )
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"EGOV_TEST_STACK=1 but {name} is not set")
    return value


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return _stack_setting("EGOV_KAFKA_BOOTSTRAP")


@pytest.fixture(scope="session")
def mongo_uri() -> str:
    return _stack_setting("EGOV_MONGO_URI")


@pytest.fixture
def unique_id() -> str:
    """Per-test id for topics, keys and documents, so tests never need a global clean-up."""
    return uuid.uuid4().hex
