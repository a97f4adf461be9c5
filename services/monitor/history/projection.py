"""One document per case, folded from the events of every topic the monitor reads.

Pure: ``apply`` adds what one event says to a case document and returns it. It is a union of
facts, never a sequence of states, so the same event twice, or events in any order (topics are
read in parallel, and a stage may close before its opening is seen), give the same document.
Personal data (applicant, contact, materials, form, rating comments) is never copied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.monitor.history.ratings import public_answer
from shared.contracts import (
    CaseDecided,
    CaseRated,
    CaseSubmitted,
    DeadlineChanged,
    Envelope,
    EventData,
    RectificationClosed,
    RectificationOpened,
    StageClosed,
    StageOpened,
    StageOverdue,
    StageResumed,
    StageSignedIn,
    StageSuspended,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
    parse_data,
)

Doc = dict[str, Any]

# The event types the history folds; any other type on the topics it reads is skipped.
FOLDED: tuple[type[EventData], ...] = (
    CaseSubmitted,
    CaseDecided,
    CaseRated,
    RectificationOpened,
    RectificationClosed,
    StageOpened,
    StageSignedIn,
    StageSuspended,
    StageResumed,
    StageClosed,
    DeadlineChanged,
    StageWarned,
    StageOverdue,
    SupervisionEscalated,
    SupervisionFinding,
)
FOLDED_TYPES = frozenset(cls.event_type for cls in FOLDED)


def _ms(at: datetime) -> datetime:
    """MongoDB keeps milliseconds: an instant read back must equal the one in the event."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def new_case(case_id: str) -> Doc:
    return {"_id": case_id, "stages": [], "findings": [], "rects": []}


def _add(items: list[Any], value: Any) -> None:
    if value not in items:
        items.append(value)


def _entry(items: list[Doc], key: str, value: str) -> Doc:
    for entry in items:
        if entry[key] == value:
            return entry
    entry = {key: value}
    items.append(entry)
    return entry


def _stage(doc: Doc, stage_id: str) -> Doc:
    stage = _entry(doc["stages"], "id", stage_id)
    for name in ("dues", "susp", "resumes", "alerts", "rungs"):
        stage.setdefault(name, [])
    return stage


def _limit(limit: Any) -> Doc:
    return {"value": limit.value, "unit": str(limit.unit)}


def apply(doc: Doc, envelope: Envelope) -> Doc:
    """``doc`` with what ``envelope`` says added (``doc`` is changed in place and returned).
    Raises ValidationError / UnknownEventType for an event that breaks its contract."""
    data = parse_data(envelope)
    match data:
        case CaseSubmitted():
            doc["case"] = {
                "item_code": data.item_code,
                "department": data.department,
                "region": data.handling_region,
                "receiving_region": data.receiving_region,
                "channel": str(data.channel),
                "submitted_at": _ms(data.submitted_at),
                "promised": _limit(data.promised_limit),
                "statutory": _limit(data.statutory_limit),
            }
        case CaseDecided():
            doc["decision"] = {
                "decision": data.decision,
                "at": _ms(data.decided_at),
                **_key(data.department, data.region, data.item_code),
            }
        case CaseRated():
            # A bundle's one rating (一件事) is folded under the bundle id like its clock: one
            # rating of the lead department under the bundle code, naming its items' departments.
            doc["rating"] = {
                "level": str(data.level),
                "at": _ms(data.rated_at),
                **_key(data.department, data.region, data.item_code),
                **({"departments": data.departments} if data.departments else {}),
            }
        case RectificationOpened():
            rect = _entry(doc["rects"], "id", data.rectification_id)
            rect.update(opened_at=_ms(data.opened_at), level=str(data.rating_level))
            rect.update(_key(data.department, data.region, data.item_code))
            _add(rect.setdefault("dues", []), [_ms(data.opened_at), _ms(data.due_at)])
        case RectificationClosed():
            rect = _entry(doc["rects"], "id", data.rectification_id)
            rect["closed_at"] = _ms(data.closed_at)
            rect["answer"] = public_answer(data.answer)  # published: masked before it is kept
            rect.setdefault("dues", [])
        case DeadlineChanged() if data.kind == "rectification" and data.rectification_id:
            rect = _entry(doc["rects"], "id", data.rectification_id)
            _add(rect.setdefault("dues", []), [_ms(data.changed_at), _ms(data.new_due_at)])
        case SupervisionFinding():
            finding = {"id": envelope.id, "kind": data.kind, "at": _ms(data.found_at)}
            finding.update(_key(data.department, data.region, data.item_code))
            finding["stage_id"] = data.stage_id
            _add(doc["findings"], finding)
        case _:
            _apply_to_stage(doc, data)
    return doc


def _key(department: str, region: str, item_code: str | None) -> Doc:
    return {"department": department, "region": region, "item_code": item_code}


def _apply_to_stage(doc: Doc, data: EventData) -> None:
    stage_id: str | None = getattr(data, "stage_id", None)
    if stage_id is None:
        return
    stage = _stage(doc, stage_id)
    match data:
        case StageOpened():
            stage.update(
                kind=str(data.stage),
                opened_at=_ms(data.opened_at),
                limit=_limit(data.limit),
                parallel_parent=data.parallel_mode is not None and data.parent_stage_id is None,
                **_key(data.department, data.region, data.item_code),
            )
            _add(stage["dues"], [_ms(data.opened_at), _ms(data.due_at)])
            if data.assignee:
                stage["assignee"] = data.assignee
        case StageSignedIn():
            stage.update(signed_in_at=_ms(data.signed_in_at), signed_in_by=data.officer)
        case StageSuspended():
            _add(stage["susp"], _ms(data.suspended_at))
        case StageResumed():
            _add(
                stage["resumes"],
                [_ms(data.resumed_at), _ms(data.clock_resumed_at or data.resumed_at)],
            )
            _add(stage["dues"], [_ms(data.resumed_at), _ms(data.due_at)])
        case DeadlineChanged():
            _add(stage["dues"], [_ms(data.changed_at), _ms(data.new_due_at)])
        case StageClosed():
            stage.update(closed_at=_ms(data.closed_at), outcome=data.outcome)
            if data.officer:
                stage["closed_by"] = data.officer
            stage.setdefault("kind", str(data.stage))
        case StageWarned() | StageOverdue():
            _add(stage["alerts"], [data.light.value, _ms(data.at)])
        case SupervisionEscalated():
            rung = {"n": data.rung, "at": _ms(data.escalated_at), "card": data.card}
            rung["credit"] = data.credit_incident
            _add(stage["rungs"], rung)


def due_at(stage: Doc) -> datetime | None:
    """The deadline in force: the one stated last (opening, resumption or recomputation)."""
    dues = sorted(stage.get("dues", []), key=lambda d: (d[0], d[1]))
    return dues[-1][1] if dues else None
