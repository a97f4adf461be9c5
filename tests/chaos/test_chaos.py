"""The short chaos run: services SIGKILLed at random moments and restarted, the broker restarted
once (durable mode), and the invariants still hold. Starts its own durable stack."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dev import devstack
from tests.support.chaos import run

pytestmark = pytest.mark.e2e


async def test_nothing_lost_nothing_applied_twice_under_faults(tmp_path: Path) -> None:
    if devstack.choose_broker(log=lambda _: None) == "tansu" and shutil.which("npm") is None:
        pytest.skip("durable mode on Tansu needs npm (s3rver); apt-get install nodejs npm")
    report = await run(cases=10, kills=5, seed=5, speed=5000, workdir=tmp_path)
    assert report.day is not None
    assert report.day.errors == [], report.day.errors[:10]
    assert report.broker_restarts == 1
    assert len(report.kills) >= 3
    assert report.violations == [], "\n".join(report.violations[:30])
