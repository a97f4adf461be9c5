"""The findings and 督办 register: every finding, card and escalation as a record the department
answers (reason, measures) within a set number of working days, and a supervisor closes or
rejects. Pure rules; the records live in MongoDB (``register_store.py``), fed from
``egov.supervision`` (``register_feed.py``), served by the monitor's API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from shared.calendar import Limit
from shared.contracts import (
    Envelope,
    StageClosed,
    StageKind,
    StageOpened,
    SupervisionEscalated,
    SupervisionFinding,
    parse_data,
)

State = Literal["open", "answered", "closed", "noted"]
Record = dict[str, Any]


class RegisterError(Exception):
    """An answer or decision the record's state does not allow (HTTP 409)."""


def record_from(envelope: Envelope, answer_due: datetime | None) -> Record | None:
    """The register record of a supervision event (None for the events it does not keep):
    findings and carded escalations await the department's answer; a first reminder (no card)
    is noted only."""
    data = parse_data(envelope)
    # What supervision finds about an answer itself (late, escalated) is noted, not answered
    # again: an answer never spawns answers.
    about_an_answer = ":answer:" in (getattr(data, "stage_id", None) or "")
    base: Record = {
        "_id": envelope.id,
        "case_id": getattr(data, "case_id", None),
        "stage_id": getattr(data, "stage_id", None),
        "department": getattr(data, "department", None),
        "region": getattr(data, "region", None),
        "item_code": getattr(data, "item_code", None),
        "officer": getattr(data, "assignee", None),
        "history": [],
    }
    if isinstance(data, SupervisionFinding):
        needs_answer = not about_an_answer
        return {
            **base,
            "kind": "finding",
            "finding": data.kind,
            "detail": data.detail,
            "at": data.found_at,
            "state": "open" if needs_answer else "noted",
            "answer_due": answer_due if needs_answer else None,
        }
    if isinstance(data, SupervisionEscalated):
        needs_answer = data.card != "none" and not about_an_answer
        return {
            **base,
            "kind": "escalation",
            "rung": data.rung,
            "card": data.card,
            "recipients": list(data.recipients),
            "at": data.escalated_at,
            "state": "open" if needs_answer else "noted",
            "answer_due": answer_due if needs_answer else None,
        }
    return None


def answer_stage_id(record: Record) -> str:
    """The supervised stage of the answer's current round (a rejected answer opens another)."""
    rounds = sum(1 for h in record["history"] if h["action"] == "reject")
    return f"{record['_id']}:answer:{rounds + 1}"


def answer_opened(record: Record, limit: Limit) -> StageOpened:
    """The department's answer is supervised like a stage: lit, warned, escalated when late."""
    return StageOpened(
        case_id=record["_id"],
        stage_id=answer_stage_id(record),
        stage=StageKind.REGISTER_ANSWER,
        name="督办答复",
        item_code=record.get("item_code") or "register",
        department=record["department"],
        region=record["region"],
        required_role="department_head",
        opened_at=record["history"][-1]["at"] if record["history"] else record["at"],
        due_at=record["answer_due"],
        limit=limit,
    )


def answer_closed(record: Record, *, by: str, at: datetime) -> StageClosed:
    return StageClosed(
        case_id=record["_id"],
        stage_id=answer_stage_id(record),
        stage=StageKind.REGISTER_ANSWER,
        outcome="completed",
        officer=by,
        department=record["department"],
        closed_at=at,
    )


def answered(record: Record, *, by: str, reason: str, measures: str, at: datetime) -> Record:
    if record["state"] != "open":
        raise RegisterError(f"record {record['_id']} is {record['state']}: nothing to answer")
    answer = {"by": by, "reason": reason, "measures": measures, "at": at}
    late = record.get("answer_due") is not None and at > record["answer_due"]
    return {
        **record,
        "state": "answered",
        "answer": answer,
        "answered_late": late,
        "history": [*record["history"], {"action": "answered", "by": by, "at": at}],
    }


def decided(
    record: Record,
    *,
    by: str,
    outcome: Literal["close", "reject"],
    note: str | None,
    at: datetime,
    next_due: datetime,
) -> Record:
    """A supervisor accepts the answer (closed) or rejects it: the department answers again by
    ``next_due``."""
    if record["state"] != "answered":
        raise RegisterError(f"record {record['_id']} is {record['state']}: no answer to decide on")
    entry = {"action": outcome, "by": by, "at": at, "note": note}
    if outcome == "close":
        return {**record, "state": "closed", "history": [*record["history"], entry]}
    return {
        **record,
        "state": "open",
        "answer_due": next_due,
        "late_found": False,
        "history": [*record["history"], entry],
    }
