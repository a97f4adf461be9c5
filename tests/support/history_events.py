"""Events of made-up cases for the supervision history's tests (unit, integration, bench):
each builder returns one valid envelope with an id derived from what it says, so building
the same event twice gives the same id (as a replay does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.contracts import (
    CaseDecided,
    CaseRated,
    CaseSubmitted,
    DeadlineChanged,
    Envelope,
    EventData,
    RectificationClosed,
    RectificationOpened,
    StageOverdue,
    StageResumed,
    StageSuspended,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
    derived_event_id,
    make_envelope,
)
from tests.support.events import stage_closed, stage_opened

SOURCE = "/egov/test"
# Looks like personal data in every place a leak would show: what the public scan looks for.
APPLICANT = {"kind": "person", "id_number": "500103199005170126", "name": "张三"}
CONTACT = {"phone": "13800138000", "email": "zhangsan@example.cn"}
# A department's answer with the identifiers an officer might paste in: published masked.
ANSWER = (
    "已整改：窗口补充了告知单。已电话联系申请人（13800138000，身份证 500103199005170126，"
    "zhangsan@example.cn），企业 91500000MA5U0BCD4A 已办结。"
)


def _env(data: EventData, *parts: str, at: datetime) -> Envelope:
    eid = derived_event_id(data.event_type, *parts)
    return make_envelope(data, source=SOURCE, time=at, id=eid)


@dataclass(frozen=True)
class Case:
    case_id: str
    department: str = "500000-SCJ"
    region: str = "500000"
    item: str = "500000-SCJ-001"

    @property
    def key(self) -> dict[str, str]:
        return {"department": self.department, "region": self.region, "item_code": self.item}

    def sid(self, kind: str) -> str:
        return f"{self.case_id}:{kind}"

    def submitted(self, at: datetime, *, channel: str = "web", promised: int = 3,
                  statutory: int = 15) -> Envelope:  # fmt: skip
        data = CaseSubmitted(
            case_id=self.case_id,
            item_code=self.item,
            item_name="个体工商户设立登记",
            department=self.department,
            receiving_region=self.region,
            handling_region=self.region,
            channel=channel,  # type: ignore[arg-type]
            applicant=APPLICANT,  # type: ignore[arg-type]
            contact=CONTACT,  # type: ignore[arg-type]
            materials=[],
            form={"business_name": "山城小面馆", "legal_person_phone": "13800138000"},
            promised_limit={"value": promised},  # type: ignore[arg-type]
            statutory_limit={"value": statutory},  # type: ignore[arg-type]
            stage_plan=[],
            submitted_at=at,
        )
        return _env(data, self.case_id, at=at)

    def opened(self, kind: str, at: datetime, due: datetime, *, limit: int = 5,
               unit: str = "working_days") -> Envelope:  # fmt: skip
        data = stage_opened(
            self.case_id,
            stage_id=self.sid(kind),
            stage=kind,
            name=kind,
            opened_at=at,
            due_at=due,
            limit={"value": limit, "unit": unit},
            **self.key,
        )
        return _env(data, self.sid(kind), at=at)

    def closed(self, kind: str, at: datetime, outcome: str = "passed",
               officer: str | None = None) -> Envelope:  # fmt: skip
        data = stage_closed(
            self.case_id,
            stage_id=self.sid(kind),
            stage=kind,
            outcome=outcome,
            department=self.department,
            closed_at=at,
            officer=officer,
        )
        return _env(data, self.sid(kind), at=at)

    def suspended(self, kind: str, at: datetime) -> Envelope:
        data = StageSuspended(
            case_id=self.case_id, stage_id=self.sid(kind), reason="testing", suspended_at=at
        )
        return _env(data, self.sid(kind), at.isoformat(), at=at)

    def resumed(self, kind: str, at: datetime, due: datetime) -> Envelope:
        data = StageResumed(
            case_id=self.case_id, stage_id=self.sid(kind), resumed_at=at, due_at=due
        )
        return _env(data, self.sid(kind), at.isoformat(), at=at)

    def deadline_changed(self, kind: str, at: datetime, old: datetime, new: datetime) -> Envelope:
        data = DeadlineChanged(
            case_id=self.case_id,
            kind="stage",
            stage_id=self.sid(kind),
            department=self.department,
            region=self.region,
            old_due_at=old,
            new_due_at=new,
            due_provisional=False,
            calendar_version="test",
            reason="schedule published",
            changed_at=at,
        )
        return _env(data, self.sid(kind), at.isoformat(), at=at)

    def decided(self, at: datetime, decision: str = "approved") -> Envelope:
        data = CaseDecided(
            case_id=self.case_id,
            decision=decision,  # type: ignore[arg-type]
            decided_at=at,
            reasons=["申请人张三 13800138000"],
            **self.key,
        )
        return _env(data, self.case_id, at=at)

    def rated(self, at: datetime, level: str) -> Envelope:
        data = CaseRated(
            case_id=self.case_id,
            rating_id=f"{self.case_id}:rating",
            level=level,  # type: ignore[arg-type]
            comment="张三 13800138000 500103199005170126",
            department=self.department,
            item_code=self.item,
            region=self.region,
            rated_at=at,
        )
        return _env(data, self.case_id, at=at)

    def alert(self, kind: str, light: str, at: datetime, due: datetime) -> Envelope:
        cls = StageWarned if light == "yellow" else StageOverdue
        data = cls(
            case_id=self.case_id,
            stage_id=self.sid(kind),
            stage=kind,  # type: ignore[arg-type]
            due_at=due,
            light=light,  # type: ignore[arg-type]
            at=at,
            **self.key,
        )
        return _env(data, self.sid(kind), light, at=at)

    def escalated(self, kind: str, rung: int, at: datetime, due: datetime, *, card: str = "none",
                  credit: bool = False) -> Envelope:  # fmt: skip
        data = SupervisionEscalated(
            case_id=self.case_id,
            stage_id=self.sid(kind),
            stage=kind,  # type: ignore[arg-type]
            rung=rung,
            recipients=["handler"],
            card=card,  # type: ignore[arg-type]
            credit_incident=credit,
            due_at=due,
            escalated_at=at,
            **self.key,
        )
        return _env(data, self.sid(kind), str(rung), at=at)

    def finding(self, kind: str, at: datetime, stage: str | None = None) -> Envelope:
        data = SupervisionFinding(
            case_id=self.case_id,
            stage_id=self.sid(stage) if stage else None,
            kind=kind,  # type: ignore[arg-type]
            detail="found",
            found_at=at,
            **self.key,
        )
        return _env(data, self.case_id, kind, at=at)

    def rect_opened(self, at: datetime, due: datetime, level: str = "dissatisfied") -> Envelope:
        data = RectificationOpened(
            case_id=self.case_id,
            rectification_id=f"{self.case_id}:rect",
            rating_level=level,  # type: ignore[arg-type]
            opened_at=at,
            due_at=due,
            limit={"value": 5},  # type: ignore[arg-type]
            **self.key,
        )
        return _env(data, self.case_id, at=at)

    def rect_closed(self, at: datetime) -> Envelope:
        data = RectificationClosed(
            case_id=self.case_id,
            rectification_id=f"{self.case_id}:rect",
            department=self.department,
            officer="officer-1",
            answer=ANSWER,
            closed_at=at,
        )
        return _env(data, self.case_id, at=at)


def as_stored(value: Any) -> Any:
    """What MongoDB gives back: instants in UTC to the millisecond, tuples as lists."""
    from datetime import UTC

    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        return {k: as_stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_stored(v) for v in value]
    return value
