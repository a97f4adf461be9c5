"""The hall across the 2026/2027 boundary on the real broker and database, every service a process
on one accelerated clock starting Wednesday 2026-12-23 09:00 (Shanghai) when they are launched.

Before 2027's schedule exists, cases are submitted, accepted and rated with deadlines in 2027:
nothing is refused or dead-lettered and those deadlines say they are provisional. Then a 2027
schedule (a test fixture, never shipped) is published with `egov calendar publish` while the
platform runs: one open deadline moves earlier (into the past), one later; the recomputed
deadlines match an independent computation, the monitor fires on the new times only, notify
tells the people concerned, and no service restarts.

The platform runs on a private broker and database: the published test year must not reach any
other test.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.calendar import Limit, WorkingCalendar, YearSchedule, load_default_calendar
from shared.calendar.statutory import statutory_holidays
from shared.clock import SHANGHAI
from tests.support.platform import World, platform_fixtures

pytestmark = pytest.mark.integration

ORIGIN = datetime(2026, 12, 23, 9, 0, tzinfo=SHANGHAI)
SPEED = 20_000.0  # one real second is 5 h 33 min: Dec 23 to Jan 9 in about 70 s
# The clock is at ORIGIN when the processes are launched: they start while December runs (about
# 9 s, 2 days) and case A is submitted as soon as they answer: both within the 37 s (8.6 days)
# before it must be rated.
STARTUP_S = 0.0
# Not an official schedule: Saturday Jan 2 worked, Monday and Tuesday Jan 4-5 off.
FIXTURE = YearSchedule(
    year=2027,
    source="test fixture, not an official schedule",
    published=date(2027, 1, 2),
    off=tuple(sorted(statutory_holidays(2027) | {date(2027, 1, 4), date(2027, 1, 5)})),
    extra_working_days=(date(2027, 1, 2),),
)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


stack, world = platform_fixtures(
    "year-boundary",
    origin=ORIGIN,
    speed=SPEED,
    startup_s=STARTUP_S,
    env={"EGOV_CALENDAR_SWEEP_S": "5"},
)


def due(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(SHANGHAI)


async def test_the_hall_crosses_the_year_boundary_and_takes_the_published_schedule(
    world: World, tmp_path: Path
) -> None:
    pids = {name: svc.proc.pid for name, svc in world.platform.services.items() if svc.proc}
    await world.until(ORIGIN)

    # Case A, decided in December; rated badly on Wednesday Dec 30: its rectification (5 working
    # days) ends in 2027 and is provisional.
    case_a, code_a = await world.submit()
    for stage, action, role in (
        ("prereview", "pass", "handler"),
        ("accept", "accept", "handler"),
        ("review", "pass", "reviewer"),
        ("decide", "approve", "approver"),
        ("deliver", "deliver", "handler"),
    ):
        await world.act(case_a, stage, action, role)
    # rated on Dec 30 or 31 (below): a later rating is a run too slow for this timeline
    assert world.clock.now() < sh(2027, 1, 1), "the platform started too slowly for this test"
    await world.until(sh(2026, 12, 30, 9))

    async def rate() -> httpx.Response | None:
        r = await world.http.post(
            f"{world.url('intake')}/v1/cases/{case_a}/rating",
            params={"code": code_a},
            json={"level": "dissatisfied", "comment": "等了太久"},
        )
        return None if r.status_code == 409 else r  # 409 until intake hears of the decision

    rated = await world.eventually(rate)
    assert rated is not None and rated.status_code == 201, rated.text if rated else "409"
    rectification = rated.json()["rectification"]
    assert rectification["due_provisional"] is True
    # rated on Dec 30: Dec 31, (Jan 1 off), Jan 4, 5, 6, 7 under the statutory holidays alone
    assert due(rectification["due_at"]).date() in (date(2027, 1, 7), date(2027, 1, 8))

    # Case B, submitted Wednesday Dec 30 and accepted between Thursday Dec 31 and Saturday Jan 2:
    # its review stage (one working day) ends on Monday Jan 4, provisionally.
    case_b, code_b = await world.submit()
    await world.act(case_b, "prereview", "pass", "handler")
    await world.until(sh(2026, 12, 31, 9))
    await world.act(case_b, "accept", "accept", "handler")
    review = await world.task(case_b, "review")
    assert review is not None and review["due_provisional"] is True
    assert due(review["due_at"]).date() == date(2027, 1, 4)

    async def tracked() -> dict[str, Any] | None:
        r = await world.http.get(
            f"{world.url('intake')}/v1/cases/{case_b}", params={"code": code_b}
        )
        view = r.json()
        return view if any(s["stage"] == "review" for s in view["current_stages"]) else None

    tracking = await world.eventually(tracked)
    assert tracking is not None
    assert tracking["deadline_provisional"] is True

    async def monitored() -> dict[str, Any] | None:
        r = await world.http.get(
            f"{world.url('monitor')}/v1/stages/{case_b}", headers=world.system()
        )
        stages = r.json()["stages"] if r.status_code == 200 else []
        return next((s for s in stages if s["stage_id"] == f"{case_b}:review"), None)

    watched = await world.eventually(monitored)
    assert watched is not None and watched["due_provisional"] is True
    letters = await world.bus("egov.deadletter")
    assert letters == [], [
        (r.header("dlq.consumer"), r.header("dlq.reason"), r.header("dlq.error")) for r in letters
    ]

    # Saturday Jan 2 (a working day in the published schedule) has passed: publish on Sunday
    # Jan 3, well before B's provisional deadline (Monday Jan 4, end of day).
    await world.until(sh(2027, 1, 3, 0, 30))
    assert world.clock.now() < sh(2027, 1, 4, 12), "the run is too slow for this test's timeline"
    published_at = world.clock.now()
    schedule_file = tmp_path / "2027.json"
    schedule_file.write_text(FIXTURE.model_dump_json(), encoding="utf-8")
    code, out, err = await cli(world, "calendar", "publish", str(schedule_file))
    assert code == 0, err
    expected = load_default_calendar()
    expected.publish(FIXTURE)
    assert f"calendar {expected.version}" in out

    async def changes() -> list[dict[str, Any]]:
        found = await world.events("egov.stages", "deadline.changed.v1")
        kinds = {(c["kind"], c["case_id"]) for c in found}
        return found if {("stage", case_b), ("rectification", case_a)} <= kinds else []

    changed = await world.eventually(changes, within_s=60)
    assert changed, "no deadline.changed for both deadlines"
    await check_recomputation(world, changed, expected, case_a, case_b)

    # The monitor: B's review turned red when the change arrived, not at its new deadline
    # (Jan 2, already past), and its ladder started there; A's rectification fires at its new
    # deadline (Jan 8 when rated on Dec 30), not at the provisional one.
    rect_due = next(due(c["new_due_at"]) for c in changed if c["case_id"] == case_a)
    await world.until(max(sh(2027, 1, 9, 3), rect_due + timedelta(hours=3)))
    supervision = await world.events("egov.supervision", "")
    b_red = [
        e
        for e in supervision
        if e.get("stage_id") == f"{case_b}:review" and e.get("light") == "red"
    ]
    assert len(b_red) == 1
    red_at = datetime.fromisoformat(b_red[0]["at"])
    assert red_at >= published_at and due(b_red[0]["due_at"]) == sh(2027, 1, 2, 23, 59, 59)
    rungs = [e for e in supervision if e.get("stage_id") == f"{case_b}:review" and "rung" in e]
    assert rungs and min(datetime.fromisoformat(e["escalated_at"]) for e in rungs) == red_at
    rect_alerts = [
        e
        for e in supervision
        if e.get("stage_id", "").startswith("RECT-")
        and e.get("case_id") == case_a
        and e.get("light") == "red"
    ]
    assert [due(e["at"]) for e in rect_alerts] == [rect_due]

    # Notify told B's reviewers and B's applicant of the new date.
    async def told() -> list[dict[str, Any]]:
        outcomes = await world.events("egov.notifications", "")
        return [
            o
            for o in outcomes
            if o["source_event_type"].endswith("deadline.changed.v1") and o["case_id"] == case_b
        ]

    notes = await world.eventually(told)
    assert {n["recipient_kind"] for n in notes} >= {"officer", "applicant"}

    # Every service runs the published version; none restarted; nothing dead-lettered.
    for name in pids:
        ready = (await world.http.get(f"{world.url(name)}/readyz")).json()
        assert expected.version in ready["checks"]["calendar"], (name, ready)
    assert {n: s.proc.pid for n, s in world.platform.services.items() if s.proc} == pids
    assert all(
        s.proc is not None and s.proc.poll() is None for s in world.platform.services.values()
    )
    letters = await world.bus("egov.deadletter")
    assert letters == [], [
        (r.header("dlq.consumer"), r.header("dlq.reason"), r.header("dlq.error")) for r in letters
    ]

    # A different schedule for the now official year is refused and changes nothing.
    changed_file = tmp_path / "2027-changed.json"
    changed_file.write_text(
        FIXTURE.model_copy(update={"extra_working_days": ()}).model_dump_json(), encoding="utf-8"
    )
    code, _, err = await cli(world, "calendar", "publish", str(changed_file))
    assert code == 2 and "already has an official schedule" in err


async def cli(world: World, *args: str) -> tuple[int, str, str]:
    """`egov`'s shared commands, as an operator runs them."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.cli",
        *args,
        env={**os.environ, "EGOV_KAFKA_BOOTSTRAP": world.bootstrap},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def check_recomputation(
    world: World,
    changed: list[dict[str, Any]],
    calendar: WorkingCalendar,
    case_a: str,
    case_b: str,
) -> None:
    """Each change is what the published calendar gives from the recorded start and limit."""
    opened = {e["stage_id"]: e for e in await world.events("egov.stages", "stage.opened.v1")} | {
        e["rectification_id"]: e
        for e in await world.events("egov.cases", "rectification.opened.v1")
    }
    for change in changed:
        key = change.get("rectification_id") or change["stage_id"]
        start = opened[key]
        expected_due = calendar.deadline(
            datetime.fromisoformat(start["opened_at"]), Limit.model_validate(start["limit"])
        )
        assert due(change["new_due_at"]) == expected_due, change
        assert due(change["old_due_at"]) == due(start["due_at"]), change
        assert change["calendar_version"] == calendar.version
        assert change["due_provisional"] is False
    by_case = {c["case_id"]: c for c in changed}
    assert due(by_case[case_b]["new_due_at"]) < due(by_case[case_b]["old_due_at"])  # earlier
    assert due(by_case[case_a]["new_due_at"]) > due(by_case[case_a]["old_due_at"])  # later
    assert json.dumps(changed)  # serialisable as published
