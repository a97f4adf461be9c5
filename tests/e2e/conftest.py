"""One platform for the whole end-to-end session: the five services as separate processes on
the fresh broker and database that `make test` starts for tests/e2e, a real SMTP server and a
stand-in SMS gateway, and the accelerated clock starting on Thursday 2026-12-31 09:00 (Shanghai):
the day crosses into 2027, a year without a published holiday schedule (provisional deadlines)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dev import devstack
from tests.support.platform import message_sinks
from tests.support.processes import Platform

SIM_ORIGIN = "2026-12-31T09:00:00+08:00"
SPEED = float(os.environ.get("EGOV_E2E_SPEED", "6000"))


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def meant_bad_file(e2e_dir: Path) -> Path:
    """Fingerprints of messages tests publish as deliberately bad (one hex per line)."""
    path = e2e_dir / "meant_bad.txt"
    path.touch()
    os.environ["EGOV_E2E_MEANT_BAD"] = str(path)
    return path


@pytest.fixture(scope="session")
def clock_env() -> dict[str, str]:
    return {
        "EGOV_CLOCK_SPEED": str(SPEED),
        "EGOV_CLOCK_REAL_EPOCH": datetime.now(UTC).isoformat(),
        "EGOV_CLOCK_SIM_ORIGIN": SIM_ORIGIN,
    }


@pytest.fixture(scope="session")
def platform(
    kafka_bootstrap: str,
    mongo_uri: str,
    e2e_dir: Path,
    clock_env: dict[str, str],
    meant_bad_file: Path,
) -> Iterator[Platform]:
    with message_sinks(e2e_dir) as sinks:
        plat = Platform(
            kafka_bootstrap,
            mongo_uri,
            e2e_dir / "logs",
            db_prefix="e2e",
            identities=devstack.service_identities(os.environ),
            extra_env={
                **clock_env,
                **sinks,
                "EGOV_RETRY_BASE_S": "0.5",
                "EGOV_LOG_LEVEL": "WARNING",
            },
        )
        try:
            plat.start()
            yield plat
        finally:
            plat.stop()
            print(f"\ne2e logs: {e2e_dir / 'logs'}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The day first, on a quiet platform; the bad-input storm (tests/e2e/test_bad_*.py) after.

    Both share one platform and each looks only at its own messages, but the order matters on
    SecantusDB at the day's 6000x clock: the day alone took 180 s; after the storm (the kcat
    flood, schemathesis) the same day was slow from its first hour (its first cases untouched
    for 10-18 simulated days, every one of their stages overdue), and in four runs of four it
    either left notify 2-7 minutes behind its end or ran into its 480 s limit. Which
    of the storm's leftovers starts that cascade is not established (the database process was
    at 70-85 % of a core throughout, the services near idle); the storm's own assertions do not
    depend on running first."""
    items.sort(key=lambda item: 0 if item.path.name == "test_day.py" else 1)
