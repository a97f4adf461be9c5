"""Fixtures of tests/e2e/test_bad_input.py (tests/e2e/conftest.py belongs to the day scenario)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from dev.tools import ensure_apt_tool
from shared.settings import ServiceSettings
from tests.support.bad_input import kcat_command
from tests.support.tokens import lasting_token


@pytest.fixture(scope="session")
def kcat() -> list[str]:
    """The kcat command (`dev/kcat` on a current librdkafka when available); installed with
    apt-get when missing and running as root, else the test is skipped."""
    if ensure_apt_tool("kcat", "kcat") is None:
        pytest.skip(
            "kcat is not installed and cannot be installed here (not root or no apt-get): "
            "apt-get install kcat"
        )
    cmd = kcat_command()
    if cmd[0] != "kcat" and shutil.which(cmd[0]) is None and not cmd[0].startswith("/"):
        cmd = ["kcat"]
    return cmd


@pytest.fixture(scope="session")
def schemathesis_cli() -> str:
    found = shutil.which("schemathesis") or _venv_bin("schemathesis")
    if found is None:
        pytest.fail("schemathesis is not installed: pip install -e '.[dev]' (see constraints.txt)")
    return found


def _venv_bin(name: str) -> str | None:
    import sys
    from pathlib import Path

    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else None


@pytest.fixture(scope="session")
def fuzz_token() -> Iterator[str]:
    """A bearer token with every role, for the authenticated operations."""
    yield lasting_token(
        ServiceSettings(service_name="e2e-fuzz"),
        subject="e2e-fuzzer",
        roles=[
            "admin",
            "system",
            "handler",
            "reviewer",
            "approver",
            "section_chief",
            "department_head",
            "supervisor",
            "inspector",
        ],
        department="500000-SCJ",
        region="500000",
    )
