"""The day's register desk (demo/register.py) on the monitor's register API built on fakes: each
open record is answered by its own department's head, each answered one closed by the
inspection office; what is noted only is left alone, and a desk that meets an error says so."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx

from demo.day import Officers
from demo.register import RegisterRound
from services.monitor.register_api import router as register_router
from shared.auth import TokenVerifier
from shared.clock import FixedClock
from shared.observability.http import create_app
from tests.unit.monitor.fakes import ListPublisher
from tests.unit.monitor.test_register import (
    AT,
    SETTINGS,
    MemoryRegister,
    Source,
    escalation,
    finding,
    record,
)


async def desk_on(
    register: MemoryRegister | None, publisher: ListPublisher
) -> tuple[Counter[str], list[str]]:
    app = create_app(service="monitor", routers=[register_router])
    app.state.monitor = Source(register, FixedClock(AT + timedelta(days=1)), publisher)  # type: ignore[arg-type]
    app.state.verifier = TokenVerifier(SETTINGS)
    actions: Counter[str] = Counter()
    errors: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        await RegisterRound(c, "http://t", Officers(SETTINGS)).round(actions, errors)
    return actions, errors


async def test_the_desk_answers_each_open_record_as_its_department_and_closes_it() -> None:
    register, publisher = MemoryRegister(), ListPublisher()
    for value in (finding("500000-SCJ"), finding("500000-GAJ"), escalation("none")):
        await record(value, register, publisher)
    actions, errors = await desk_on(register, publisher)
    assert errors == []
    assert actions == Counter({"register answer": 2, "register decision": 2})
    rows = sorted(register.rows.values(), key=lambda r: r["kind"])
    assert [(r["kind"], r["state"]) for r in rows] == [
        ("escalation", "noted"),
        ("finding", "closed"),
        ("finding", "closed"),
    ]
    # answered by the head of the record's own department (the API refuses any other)
    answered_by = {r["department"]: r["answer"]["by"] for r in rows if r["kind"] == "finding"}
    assert answered_by == {
        "500000-SCJ": "500000-SCJ-department_head1",
        "500000-GAJ": "500000-GAJ-department_head1",
    }
    # each answer closed the record's supervised answer stage
    closed = [e.data["stage_id"] for e in publisher.sent if e.type == "gov.egov.stage.closed.v1"]
    assert len(closed) == 2 and all(s.endswith(":answer:1") for s in closed)


async def test_a_register_the_desk_cannot_read_is_reported_not_swallowed() -> None:
    register, publisher = MemoryRegister(), ListPublisher()
    await record(finding("500000-SCJ"), register, publisher)
    actions, errors = await desk_on(None, publisher)  # the register's database not configured
    assert actions == Counter()
    assert [e.split(":")[0] for e in errors] == ["register (open)", "register (answered)"]
    assert all(" 503 " in e for e in errors)
