"""A (small) simulated day on the whole platform, then the independent check: read every topic
from the beginning and assert the platform's promises (tests/support/invariants.py)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from demo.bus import group_lag, read_all
from demo.day import COURT, Day, Endpoints, monitor_open_stages
from demo.plan import Script
from demo.summary import external_case_ids, summarise
from shared.calendar import load_default_calendar
from shared.clock import SHANGHAI, SimulatedClock
from shared.contracts.registry import topics_consumed_by
from shared.settings import ServiceSettings
from tests.e2e.bundle_checks import bundles_told_finished, check_bundles
from tests.support.invariants import Expectations, check
from tests.support.processes import Platform
from tests.support.tokens import lasting_token

pytestmark = pytest.mark.e2e
CASES = int(os.environ.get("EGOV_E2E_CASES", "16"))
NOTIFY_TOPICS = topics_consumed_by("notify")


async def notify_drained(bootstrap: str, *, limit_s: float) -> bool:
    """Wait until notify's consumer group has committed every record of its topics."""
    started = time.monotonic()
    while (lag := await group_lag(bootstrap, "egov-notify", list(NOTIFY_TOPICS))) > 0:
        if time.monotonic() - started > limit_s:
            print(f"notify: {lag} record(s) still to handle after {limit_s:.0f} s")
            return False
        await asyncio.sleep(3)
    print(f"notify drained {time.monotonic() - started:.0f} s after the day")
    return True


async def test_a_day_of_the_service_hall(
    platform: Platform, kafka_bootstrap: str, clock_env: dict[str, str], meant_bad_file: Path
) -> None:
    clock = SimulatedClock(
        datetime.fromisoformat(clock_env["EGOV_CLOCK_REAL_EPOCH"]),
        datetime.fromisoformat(clock_env["EGOV_CLOCK_SIM_ORIGIN"]),
        float(clock_env["EGOV_CLOCK_SPEED"]),
    )
    settings = ServiceSettings(service_name="e2e", kafka_bootstrap=kafka_bootstrap)
    endpoints = Endpoints(
        platform.url("intake"),
        platform.url("approval"),
        platform.url("monitor"),
        platform.url("notify"),
        platform.url("credit"),
        kafka_bootstrap,
    )
    day = Day(
        endpoints,
        clock=clock,
        calendar=load_default_calendar(),
        settings=settings,
        cases=CASES,
        seed=11,
        concurrency=4,
        bundles=1,  # one applicant applies for a bundle (一件事): tests/e2e/bundle_checks.py
    )
    result = await day.run(limit_s=480)
    assert result.errors == [], result.errors[:10]
    assert len(day.by_case) == sum(1 for c in result.planned if not c.external)
    # Real files: some applicants uploaded PDFs / PNGs, an officer read one back (issue 20).
    assert result.actions["material uploaded"] >= 2 and result.actions["material downloaded"] == 1

    await asyncio.sleep(8)  # let the last notifications and escalations drain
    # Cases other systems published get their case numbers from intake: find them on the bus so
    # the check covers them like the HTTP ones.
    external = external_case_ids(await read_all(kafka_bootstrap), set(day.by_external))
    assert len(external) == len(day.by_external), "every externally published case was accepted"
    assert day.bundles is not None
    all_cases = set(day.by_case) | external | day.bundles.case_ids
    async with httpx.AsyncClient(timeout=10) as http:
        monitor_open = await monitor_open_stages(
            http, endpoints.monitor, all_cases, day.officers.system_headers()
        )
        system = lasting_token(settings, subject="e2e-check", roles=["system"])
        false_committers = [
            c.applicant["id_number"] for c in result.planned if c.script == Script.FALSE_COMMITMENT
        ]
        credit_views = {
            sid: (
                await http.get(
                    f"{endpoints.credit}/v1/subjects/{sid}/credit",
                    headers={"Authorization": f"Bearer {system}"},
                )
            ).json()
            for sid in false_committers
        }

    # What applicants are told is checked once notify has handled everything the day published
    # (it runs behind the accelerated clock on a slow database; how far is printed), and each
    # bundle's end has been told (its clock's closing reaches notify last): positive markers,
    # not a fixed time.
    drained = await notify_drained(kafka_bootstrap, limit_s=300)
    records = await read_all(kafka_bootstrap)
    told_by = time.monotonic() + 60
    while not bundles_told_finished(day.bundles, records) and time.monotonic() < told_by:
        await asyncio.sleep(3)
        records = await read_all(kafka_bootstrap)
    assert drained, "notify still had events to handle 300 s after the day"
    check_bundles(day.bundles, records)
    meant_bad = set(meant_bad_file.read_text().split())
    violations = check(
        records,
        Expectations(
            now=clock.now(),
            monitor_open=monitor_open,
            meant_bad=meant_bad,
            external_credit_sources={COURT},
            cases=all_cases,
        ),
    )
    if violations:  # keep what the checker saw of the cases it names, for the post-mortem
        named = {c for c in all_cases if any(c in v for v in violations)}
        kept = meant_bad_file.parent / "violations.jsonl"
        with kept.open("w") as out:
            for r in records:
                data = r.envelope.data if r.envelope is not None else {}
                if data.get("case_id") in named:
                    out.write(r.value.decode(errors="replace") + "\n")
        print(f"records of {len(named)} named case(s) kept in {kept}")
    assert violations == [], "\n".join(violations[:30])

    summary = summarise(records, all_cases)
    print("\n".join(summary.lines()))
    # The day really contained what the scenario scripted, end to end.
    assert {"approved", "refused", "denied", "prereview_failed"} <= set(summary.decisions)
    if false_committers:
        assert summary.decisions["revoked"] >= 1
        assert summary.credit_incidents["egov-approval"] >= 1
        for sid, view in credit_views.items():
            assert view.get("records") or view.get("active_records"), (
                f"no credit record for {sid}: {view}"
            )
    assert summary.escalations_by_rung[4] >= 1, (
        "a slow officer's stage should reach the inspection office"
    )
    assert summary.credit_incidents["egov-monitor"] >= 1
    assert summary.credit_incidents[COURT] == 3
    assert summary.lights["red"] >= 1 and summary.lights["yellow"] >= 1
    assert summary.notifications["email"] >= 1 and summary.notifications["inbox"] >= 1
    # The day crossed into 2027, whose holiday schedule is not published: deadlines reaching it
    # were provisional, and none of them stopped the hall (no dead letter, checked above).
    in_2027 = [
        r.envelope.data
        for r in records
        if r.envelope is not None
        and r.envelope.type == "gov.egov.stage.opened.v1"
        and r.envelope.data["case_id"] in all_cases  # not the bad-input storm's probes
        and r.envelope.data["limit"]["unit"] != "natural_days"  # holidays never count there
        and datetime.fromisoformat(r.envelope.data["due_at"]).astimezone(SHANGHAI).year == 2027
    ]
    assert in_2027 and all(o.get("due_provisional") for o in in_2027)
