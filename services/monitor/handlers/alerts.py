"""The events supervision publishes: warnings, overdue alarms, escalation rungs (with their
credit incidents) and findings, each under an id derived from the stage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.monitor import domain as d
from services.monitor.handlers.deps import SOURCE
from shared.contracts import (
    CreditIncident,
    Envelope,
    StageOverdue,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
    derived_event_id,
    make_envelope,
)


def alert_id(stage: d.StageState, *parts: str) -> str:
    """Deterministic per stage and alert cycle; the first cycle keeps the ids it always had."""
    cycle = (f"gen{stage.gen}",) if stage.gen else ()
    return derived_event_id(stage.stage_id, *parts, *cycle)


_ABOUT = ("case_id", "stage_id", "stage", "item_code", "department", "region", "assignee")


def _about(stage: d.StageState) -> dict[str, Any]:
    """What every alert on a stage names (warned, overdue, escalated): stage and deadline."""
    fields: dict[str, Any] = {name: getattr(stage, name) for name in _ABOUT}
    return fields | {"due_at": stage.due_at, "due_provisional": stage.due_provisional}


def alert(stage: d.StageState, t: d.Transition, now: datetime, cause: Envelope | None) -> Envelope:
    cls = StageWarned if t.kind == "yellow" else StageOverdue
    data = cls(**_about(stage), light=t.kind, at=t.at)
    return make_envelope(data, source=SOURCE, time=now, id=alert_id(stage, t.kind), causation=cause)


def rung_alerts(
    stage: d.StageState, t: d.Transition, now: datetime, cause: Envelope | None
) -> list[Envelope]:
    assert t.rung is not None
    rung_id = alert_id(stage, "rung", str(t.number))
    escalated = SupervisionEscalated(
        **_about(stage),
        rung=t.number,
        recipients=list(t.rung.recipients),
        card=t.rung.card,
        credit_incident=t.rung.credit_incident,
        escalated_at=t.at,
    )
    out = [make_envelope(escalated, source=SOURCE, time=now, id=rung_id, causation=cause)]
    if t.rung.credit_incident:
        incident = CreditIncident(
            subject_id=stage.department,
            subject_kind="department",
            incident_type="overdue_escalation",
            severity="serious",
            source_system="egov-monitor",
            evidence=[rung_id],
            description=f"{stage.stage} stage still open {t.rung.after_working_days:g} "
            "working days after its deadline",
            case_id=stage.case_id,
            stage_id=stage.stage_id,
            region=stage.region,
            occurred_at=t.at,
        )
        out.append(
            make_envelope(
                incident,
                source=SOURCE,
                time=now,
                id=alert_id(stage, "rung", str(t.number), "credit"),
                causation=cause,
            )
        )
    return out


def finding_envelope(
    f: d.Finding,
    stage: d.StageState,
    now: datetime,
    cause: Envelope | None,
    key: str | None = None,
) -> Envelope:
    data = SupervisionFinding(
        case_id=stage.case_id,
        stage_id=stage.stage_id,
        assignee=stage.assignee,
        kind=f.kind,
        detail=f.detail,
        department=stage.department,
        region=stage.region,
        item_code=stage.item_code or None,
        # A timer's finding is dated at its rule's instant, an event's at the event's time: a
        # replay after a crash derives the same id and must carry the same content.
        found_at=f.at or (cause.time if cause is not None else now),
    )
    # One finding per stage, kind and triggering event: a replay derives the same id.
    key = key or derived_event_id(stage.stage_id, "finding", f.kind, cause.id if cause else "")
    return make_envelope(data, source=SOURCE, time=now, id=key, causation=cause)
