"""A case's record in the table: its stages, and when supervision of the case ends."""

from __future__ import annotations

from services.monitor import domain as d
from services.monitor.handlers.deps import Deps
from services.monitor.ports import CaseRecord


def labels_of(stage: d.StageState) -> dict[str, str]:
    return {"department": stage.department, "item_code": stage.item_code, "region": stage.region}


def record_of(deps: Deps, case_id: str, partition: int) -> CaseRecord:
    return deps.store.get(case_id) or CaseRecord(case_id=case_id, partition=partition)


# Stages supervised under an id of their own rather than a case's workflow.
STANDALONE = frozenset({"rectification", "objection", "register_answer"})


def finished(rec: CaseRecord) -> bool:
    """Supervision of a case ends when it is decided and every stage is closed, delivery and
    verification included (those the decision said would follow), and no closing waits for its
    opening; a record of standalone stages (rectifications, objections, register answers) ends
    when they are all closed."""
    stages = rec.states()
    if rec.early or any(s.status is not d.Status.CLOSED for s in stages):
        return False
    if stages and all(s.stage in STANDALONE for s in stages):
        return True  # rectifications, objections, register answers: no decision to wait for
    seen = {s.stage for s in stages}
    return rec.decided and set(rec.follow) <= seen


def forget_if_finished(deps: Deps, rec: CaseRecord) -> None:
    if finished(rec):
        deps.store.delete(rec.case_id)  # the board keeps the aggregates
