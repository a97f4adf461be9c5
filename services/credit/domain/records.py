"""Credit records, their status machine and their append-only history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.calendar.limits import Limit
from shared.clock import SHANGHAI
from shared.contracts.common import Severity, SubjectKind


class Status(StrEnum):
    ACTIVE = "active"
    DISPUTED = "disputed"  # an objection (信用异议) is being decided
    CORRECTED = "corrected"  # objection upheld, record corrected; still in effect
    REVOKED = "revoked"  # objection upheld, record withdrawn
    REPAIRED = "repaired"  # 信用修复 approved


# Records that count against the subject: a record stays in effect while it is disputed.
EFFECTIVE = frozenset({Status.ACTIVE, Status.DISPUTED, Status.CORRECTED})
# Records the public may see while their publicity period runs.
PUBLIC = frozenset({Status.ACTIVE, Status.CORRECTED})


class CreditError(Exception):
    """A command that the record's state does not allow (HTTP 409)."""


class RepairTooEarly(CreditError):
    def __init__(self, earliest: datetime) -> None:
        local = earliest.astimezone(SHANGHAI)
        super().__init__(
            f"repair is possible from {local:%Y-%m-%d %H:%M} (Asia/Shanghai), when the minimum "
            "publicity period for this severity ends"
        )
        self.earliest = earliest


class HistoryEntry(BaseModel):
    """One change of a record's status, by whom. The rules leave the chain fields empty; the
    handlers link the entry into the record's audit chain (shared/audit) before it is stored."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    action: str
    status_from: Status | None = None
    status_to: Status
    actor: str
    reason: str | None = None
    seq: int | None = None
    key_id: str | None = None
    prev_hash: str | None = None
    hash: str | None = None


class Objection(BaseModel):
    model_config = ConfigDict(frozen=True)

    objection_id: str
    filed_by: str
    reason: str
    filed_at: datetime
    due_at: datetime
    department: str
    region: str
    limit: Limit | None = None
    due_provisional: bool = False
    due_calendar: str | None = None
    outcome: str | None = None  # upheld or rejected
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_at: datetime | None = None


class RepairApplication(BaseModel):
    model_config = ConfigDict(frozen=True)

    applied_by: str
    rectification: str
    evidence: list[str] = Field(default_factory=list)
    applied_at: datetime
    outcome: str | None = None  # approved or refused
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_at: datetime | None = None


class CreditRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    record_id: str
    origin_key: str = Field(description="source|event id of the incident; unique")
    subject_id: str
    subject_kind: SubjectKind
    subject_name: str | None = None
    record_type: str
    severity: Severity
    source_system: str
    evidence: list[str] = Field(default_factory=list)
    description: str | None = None
    case_id: str | None = None
    region: str
    department: str | None = Field(None, description="the department a department record is on")
    occurred_at: datetime
    recorded_at: datetime
    publicity_until: datetime
    status: Status = Status.ACTIVE
    history: list[HistoryEntry] = Field(default_factory=list)
    audit_seq: int = Field(0, description="history entries linked into the audit chain")
    audit_head: str = Field("", description="the hash of the last linked entry")
    objections: list[Objection] = Field(default_factory=list)
    repairs: list[RepairApplication] = Field(default_factory=list)

    @property
    def open_objection(self) -> Objection | None:
        return next((o for o in self.objections if o.outcome is None), None)

    @property
    def pending_repair(self) -> RepairApplication | None:
        return next((r for r in self.repairs if r.outcome is None), None)

    def _moved(
        self, status: Status, *, action: str, actor: str, reason: str | None, at: datetime
    ) -> list[HistoryEntry]:
        entry = HistoryEntry(
            at=at,
            action=action,
            status_from=self.status,
            status_to=status,
            actor=actor,
            reason=reason,
        )
        return [*self.history, entry]

    # -- objections (信用异议) -----------------------------------------------------------------

    def objection_due_recomputed(
        self, due_at: datetime, *, provisional: bool, calendar_version: str
    ) -> CreditRecord:
        """The open objection's deadline counted again on a newly published holiday schedule."""
        objection = self.open_objection
        if objection is None:
            raise CreditError(f"record {self.record_id} has no open objection")
        moved = objection.model_copy(
            update={
                "due_at": due_at,
                "due_provisional": provisional,
                "due_calendar": calendar_version,
            }
        )
        objections = [moved if o is objection else o for o in self.objections]
        return self.model_copy(update={"objections": objections})

    def file_objection(
        self,
        *,
        objection_id: str,
        actor: str,
        reason: str,
        at: datetime,
        due_at: datetime,
        department: str,
        limit: Limit | None = None,
        due_provisional: bool = False,
        due_calendar: str | None = None,
    ) -> CreditRecord:
        if self.status not in (Status.ACTIVE, Status.CORRECTED):
            raise CreditError(f"a {self.status.value} record cannot be disputed")
        objection = Objection(
            objection_id=objection_id,
            filed_by=actor,
            reason=reason,
            filed_at=at,
            due_at=due_at,
            department=department,
            region=self.region,
            limit=limit,
            due_provisional=due_provisional,
            due_calendar=due_calendar,
        )
        return self.model_copy(
            update={
                "status": Status.DISPUTED,
                "history": self._moved(
                    Status.DISPUTED, action="objection_filed", actor=actor, reason=reason, at=at
                ),
                "objections": [*self.objections, objection],
            }
        )

    def decide_objection(
        self,
        *,
        upheld: bool,
        resolution: Status | None,
        actor: str,
        reason: str,
        at: datetime,
        corrected_severity: Severity | None = None,
        corrected_description: str | None = None,
        publicity_until: datetime | None = None,
    ) -> CreditRecord:
        """Upheld: the record is corrected (new severity/description) or revoked.
        Rejected: the record is active again."""
        objection = self.open_objection
        if self.status != Status.DISPUTED or objection is None:
            raise CreditError("the record has no open objection")
        status: Status = Status.ACTIVE
        if upheld:
            if resolution not in (Status.CORRECTED, Status.REVOKED):
                raise CreditError("an upheld objection corrects or revokes the record")
            status = resolution
        decided = objection.model_copy(
            update={
                "outcome": "upheld" if upheld else "rejected",
                "decided_by": actor,
                "decision_reason": reason,
                "decided_at": at,
            }
        )
        update: dict[str, object] = {
            "status": status,
            "history": self._moved(
                status,
                action="objection_upheld" if upheld else "objection_rejected",
                actor=actor,
                reason=reason,
                at=at,
            ),
            "objections": [decided if o is objection else o for o in self.objections],
        }
        if status == Status.CORRECTED:
            if corrected_severity is not None:
                update["severity"] = corrected_severity
                if publicity_until is not None:
                    update["publicity_until"] = publicity_until
            if corrected_description is not None:
                update["description"] = corrected_description
        return self.model_copy(update=update)

    # -- repair (信用修复) ------------------------------------------------------------------

    def apply_for_repair(
        self,
        *,
        actor: str,
        rectification: str,
        evidence: list[str],
        at: datetime,
        earliest: datetime,
    ) -> CreditRecord:
        if self.status not in (Status.ACTIVE, Status.CORRECTED):
            raise CreditError(f"a {self.status.value} record cannot be repaired")
        if self.pending_repair is not None:
            raise CreditError("a repair application is already pending")
        if at < earliest:
            raise RepairTooEarly(earliest)
        application = RepairApplication(
            applied_by=actor, rectification=rectification, evidence=evidence, applied_at=at
        )
        entry = HistoryEntry(
            at=at,
            action="repair_applied",
            status_from=self.status,
            status_to=self.status,
            actor=actor,
            reason=rectification,
        )
        return self.model_copy(
            update={"history": [*self.history, entry], "repairs": [*self.repairs, application]}
        )

    def decide_repair(
        self, *, approved: bool, actor: str, reason: str, at: datetime
    ) -> CreditRecord:
        application = self.pending_repair
        if application is None:
            raise CreditError("the record has no pending repair application")
        if self.status not in (Status.ACTIVE, Status.CORRECTED):
            raise CreditError(f"a {self.status.value} record cannot be repaired")
        status = Status.REPAIRED if approved else self.status
        decided = application.model_copy(
            update={
                "outcome": "approved" if approved else "refused",
                "decided_by": actor,
                "decision_reason": reason,
                "decided_at": at,
            }
        )
        return self.model_copy(
            update={
                "status": status,
                "history": self._moved(
                    status,
                    action="repair_approved" if approved else "repair_refused",
                    actor=actor,
                    reason=reason,
                    at=at,
                ),
                "repairs": [decided if r is application else r for r in self.repairs],
            }
        )
