"""The findings and 督办 register: records from supervision events, answers, decisions, the API
with its roles and department scope, and each awaited answer supervised as a stage (in-memory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.monitor.register import RegisterError, answered, decided, record_from
from services.monitor.register_api import router as register_router
from services.monitor.register_feed import record_events
from services.monitor.settings import MonitorSettings
from shared.auth import TokenVerifier
from shared.calendar import load_default_calendar
from shared.clock import SHANGHAI, FixedClock
from shared.contracts import SupervisionEscalated, SupervisionFinding, make_envelope
from shared.observability.http import create_app
from tests.support.tokens import officer_headers
from tests.unit.monitor.fakes import ListPublisher

SETTINGS = MonitorSettings()
CAL = load_default_calendar()
AT = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)


class MemoryRegister:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    async def add(self, record: dict[str, Any]) -> bool:
        if record["_id"] in self.rows:
            return False
        self.rows[record["_id"]] = record
        return True

    async def add_many(self, records: list[dict[str, Any]]) -> None:
        self.calls.append("add_many")
        for record in records:
            self.rows.setdefault(record["_id"], record)

    async def known(self, record_ids: list[str]) -> set[str]:
        self.calls.append("known")
        return {rid for rid in record_ids if rid in self.rows}

    async def get(self, record_id: str) -> dict[str, Any] | None:
        return self.rows.get(record_id)

    async def replace(self, record: dict[str, Any], *, expected_state: str) -> bool:
        if self.rows[record["_id"]]["state"] != expected_state:
            return False
        self.rows[record["_id"]] = record
        return True

    async def query(self, **f: Any) -> tuple[list[dict[str, Any]], int]:
        found = [
            r
            for r in self.rows.values()
            if all(f[k] is None or r.get(k) == f[k] for k in ("department", "state", "kind"))
        ]
        return found[f["offset"] : f["offset"] + f["limit"]], len(found)


def finding(department: str = "D1", kind: str = "late_sign_in") -> bytes:
    data = SupervisionFinding(
        case_id="C1",
        stage_id="C1:review",
        kind=kind,  # type: ignore[arg-type]
        detail="x",
        department=department,
        region="500000",
        found_at=AT,
    )
    return make_envelope(data, source="/egov/monitor", time=AT).to_json_bytes()


def escalation(card: str) -> bytes:
    data = SupervisionEscalated(
        case_id="C1",
        stage_id="C1:review",
        stage="review",
        item_code="I1",
        department="D1",
        region="500000",
        rung=2 if card != "none" else 1,
        recipients=["section_chief"],
        assignee="cq-scj-r01",
        card=card,  # type: ignore[arg-type]
        due_at=AT,
        escalated_at=AT,
    )
    return make_envelope(data, source="/egov/monitor", time=AT).to_json_bytes()


async def record(value: bytes, register: MemoryRegister, publisher: ListPublisher) -> None:
    await record_events([value], register, publisher, CAL, 5)  # type: ignore[arg-type]


async def test_findings_and_cards_await_an_answer_supervised_as_a_stage() -> None:
    register, publisher = MemoryRegister(), ListPublisher()
    for value in (finding(), escalation("yellow"), escalation("none"), b"not json"):
        await record(value, register, publisher)
    states = sorted((r["kind"], r["state"]) for r in register.rows.values())
    assert states == [("escalation", "noted"), ("escalation", "open"), ("finding", "open")]
    carded = next(r for r in register.rows.values() if r.get("card") == "yellow")
    assert (carded["department"], carded["officer"], carded["rung"]) == ("D1", "cq-scj-r01", 2)
    rec = next(r for r in register.rows.values() if r["kind"] == "finding")
    assert rec["answer_due"] == datetime(2026, 3, 9, 23, 59, 59, tzinfo=SHANGHAI)
    # each awaited answer opened a stage the monitor supervises (lights, ladder)
    opened = [e.data for e in publisher.sent]
    assert len(opened) == 2 and {o["stage"] for o in opened} == {"register_answer"}
    mine = next(o for o in opened if o["case_id"] == rec["_id"])
    assert mine["stage_id"] == f"{rec['_id']}:answer:1"
    assert datetime.fromisoformat(mine["due_at"]) == rec["answer_due"]
    await record(finding(), register, publisher)
    assert len(register.rows) == 3 + 1  # a second finding event is a second record
    copy = next(iter(register.rows.values()))
    before = len(publisher.sent)
    await record(  # a redelivered event opens nothing again
        make_envelope(
            SupervisionFinding(
                case_id="C1",
                kind="late_sign_in",
                detail="x",
                department="D1",
                region="500000",
                found_at=AT,
            ),
            source="/egov/monitor",
            time=AT,
            id=copy["_id"],
        ).to_json_bytes(),
        register,
        publisher,
    )
    assert len(publisher.sent) == before


async def test_what_supervision_finds_about_an_answer_is_noted_not_answered_again() -> None:
    register, publisher = MemoryRegister(), ListPublisher()
    data = SupervisionEscalated(
        case_id="REC1",
        stage_id="REC1:answer:1",
        stage="register_answer",
        item_code="register",
        department="D1",
        region="500000",
        rung=2,
        recipients=["section_chief"],
        card="yellow",
        due_at=AT,
        escalated_at=AT,
    )
    await record(
        make_envelope(data, source="/egov/monitor", time=AT).to_json_bytes(), register, publisher
    )
    assert [r["state"] for r in register.rows.values()] == ["noted"] and publisher.sent == []


def test_answer_then_reject_then_close() -> None:
    from shared.contracts import Envelope

    record = record_from(Envelope.from_json_bytes(finding()), AT + timedelta(days=5))
    assert record is not None
    done = answered(record, by="head", reason="staff ill", measures="a stand-in", at=AT)
    assert done["state"] == "answered" and done["answered_late"] is False
    with pytest.raises(RegisterError):
        answered(done, by="head", reason="again", measures="again", at=AT)
    again = decided(done, by="sup", outcome="reject", note="vague", at=AT, next_due=AT)
    assert again["state"] == "open" and [h["action"] for h in again["history"]] == [
        "answered",
        "reject",
    ]
    late = answered(again, by="head", reason="r", measures="m", at=AT + timedelta(days=1))
    assert late["answered_late"] is True
    closed = decided(late, by="sup", outcome="close", note=None, at=AT, next_due=AT)
    assert closed["state"] == "closed"


@dataclass
class Source:
    register: MemoryRegister
    clock: FixedClock
    publisher: ListPublisher
    calendar: Any = CAL
    register_answer_days: int = 5


def token(roles: list[str], department: str | None = None) -> dict[str, str]:
    return officer_headers(SETTINGS, subject="u1", roles=roles, department=department)


async def test_the_register_api_by_role_and_department() -> None:
    register, publisher = MemoryRegister(), ListPublisher()
    await record(finding("D1"), register, publisher)
    await record(finding("D2"), register, publisher)
    app = create_app(service="monitor", routers=[register_router])
    app.state.monitor = Source(register, FixedClock(AT + timedelta(days=1)), publisher)
    app.state.verifier = TokenVerifier(SETTINGS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        everything = (await c.get("/v1/register", headers=token(["supervisor"]))).json()
        assert everything["total"] == 2
        head = token(["department_head"], department="D1")
        mine = (await c.get("/v1/register", headers=head)).json()
        assert [r["department"] for r in mine["items"]] == ["D1"]
        rid = mine["items"][0]["record_id"]
        other = next(r for r in everything["items"] if r["department"] == "D2")["record_id"]
        body = {"reason": "staff ill", "measures": "a stand-in officer"}
        assert (
            await c.post(f"/v1/register/{other}/answer", json=body, headers=head)
        ).status_code == 403
        bad = await c.post(f"/v1/register/{rid}/answer", json={"reason": ""}, headers=head)
        assert bad.status_code == 422
        ok = await c.post(f"/v1/register/{rid}/answer", json=body, headers=head)
        assert ok.status_code == 200 and ok.json()["state"] == "answered"
        closed_stage = publisher.sent[-1].data
        assert (
            closed_stage["stage_id"] == f"{rid}:answer:1" and closed_stage["outcome"] == "completed"
        )
        twice = await c.post(f"/v1/register/{rid}/answer", json=body, headers=head)
        assert twice.status_code == 409
        refused = await c.post(
            f"/v1/register/{rid}/decision", json={"outcome": "close"}, headers=head
        )
        assert refused.status_code == 403
        sup = token(["supervisor"])
        closed = await c.post(
            f"/v1/register/{rid}/decision", json={"outcome": "close"}, headers=sup
        )
        assert closed.status_code == 200 and closed.json()["state"] == "closed"
        bad_period = await c.get("/v1/register?from=2026-03-05&to=2026-03-01", headers=sup)
        assert bad_period.status_code == 422


async def test_a_batch_is_recorded_in_two_register_calls_and_one_publication() -> None:
    """The register feed's batch: which records are known (one query), the new answers'
    stages published together, the records inserted together; an event seen twice in the
    batch, or recorded by an earlier batch, opens no second answer."""
    register, publisher = MemoryRegister(), ListPublisher()
    d0, d1 = finding("D0"), finding("D1")
    await record(d0, register, publisher)  # an earlier batch
    publisher.sent.clear()
    register.calls.clear()
    batch = [d0, d1, d1, finding("D2"), escalation("none")]
    await record_events(batch, register, publisher, CAL, 5)  # type: ignore[arg-type]
    assert register.calls == ["known", "add_many"]
    assert len(publisher.sent) == 2 and set(publisher.types()) == {"opened"}
    departments = sorted(r["department"] for r in register.rows.values() if r["kind"] == "finding")
    assert departments == ["D0", "D1", "D2"]
    assert len(register.rows) == 4  # and the escalation without a card: noted, no answer
