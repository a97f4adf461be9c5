"""A case's record in the table: its stages, and when supervision of the case ends."""

from __future__ import annotations

from datetime import datetime

from services.monitor import domain as d
from services.monitor.handlers.deps import Deps
from services.monitor.ports import CaseRecord
from services.monitor.store import new_record, stage_document


def labels_of(stage: d.StageState) -> dict[str, str]:
    return {"department": stage.department, "item_code": stage.item_code, "region": stage.region}


def record_of(deps: Deps, case_id: str, partition: int) -> CaseRecord:
    return deps.store.get(case_id) or new_record(case_id, partition)


def stage_of(rec: CaseRecord, stage_id: str) -> d.StageState | None:
    raw = rec["stages"].get(stage_id)
    return None if raw is None else d.StageState.model_validate(raw)


def put_stage(rec: CaseRecord, stage: d.StageState, due: datetime | None) -> None:
    rec["stages"][stage.stage_id] = stage_document(stage, due)


# Stages supervised under an id of their own rather than a case's workflow.
STANDALONE = frozenset({"rectification", "objection", "register_answer"})


def finished(rec: CaseRecord) -> bool:
    """Supervision of a case ends when it is decided and every stage is closed, delivery and
    verification included (those the decision said would follow), and no closing waits for its
    opening; a record of standalone stages (rectifications, objections, register answers) ends
    when they are all closed."""
    stages = list(rec["stages"].values())
    if rec.get("early") or any(raw.get("status", "open") != "closed" for raw in stages):
        return False
    if stages and all(raw.get("stage") in STANDALONE for raw in stages):
        return True  # rectifications, objections, register answers: no decision to wait for
    seen = {raw.get("stage") for raw in stages}
    return bool(rec.get("decided")) and set(rec.get("follow", [])) <= seen


def forget_if_finished(deps: Deps, rec: CaseRecord) -> None:
    if finished(rec):
        deps.store.delete(rec["case_id"])  # the board keeps the aggregates
