"""In-memory adapters and factories for the approval unit tests (no sockets)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.approval.bootstrap import build_deps
from services.approval.domain import Case, StaleVersion
from services.approval.handlers import Deps
from services.approval.ports import DocumentRenderer, TaskQuery
from services.approval.settings import ApprovalSettings
from services.approval.store import case_from_doc, case_to_doc, task_row
from shared.calendar import Limit, load_default_calendar
from shared.clock import FixedClock
from shared.contracts import (
    Applicant,
    ApplicantKind,
    CaseSubmitted,
    Channel,
    Contact,
    CreditCheck,
    Envelope,
    Material,
    MaterialForm,
    ParallelMode,
    StageKind,
    StagePlanEntry,
    make_envelope,
)
from tests.support.fake_documents import FakeRenderer
from tests.support.fake_objects import FakeObjectStore

# Monday 2 March 2026, 10:00 in Shanghai.
MONDAY_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DEPT = "500000-SCJ"
REGION = "500000"


class InMemoryCaseStore:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.outbox: list[Envelope] = []

    async def get(self, case_id: str) -> Case | None:
        doc = self.docs.get(case_id)
        return case_from_doc(doc) if doc else None

    def _write(self, case: Case, entries: list[dict[str, Any]], envelopes: list[Envelope]) -> None:
        self.docs[case.case_id] = case_to_doc(case)
        for stage in case.stages.values():
            row = task_row(case, stage)
            self.rows[row["_id"]] = row
        self.entries.setdefault(case.case_id, []).extend(dict(e) for e in entries)
        known = {e.id for e in self.outbox}
        self.outbox.extend(e for e in envelopes if e.id not in known)

    async def create(
        self, case: Case, entries: list[dict[str, Any]], envelopes: list[Envelope]
    ) -> bool:
        if case.case_id in self.docs:
            return False
        self._write(case, entries, envelopes)
        return True

    async def update(
        self,
        case: Case,
        expected_version: int,
        entries: list[dict[str, Any]],
        envelopes: list[Envelope],
    ) -> None:
        current = self.docs[case.case_id]["version"]
        head = self.docs[case.case_id]["audit_seq"]
        if current != expected_version or head != case.audit_seq - len(entries):
            raise StaleVersion("case", expected=expected_version, current=current)
        self._write(case, entries, envelopes)

    async def tasks(self, query: TaskQuery) -> tuple[list[dict[str, Any]], int]:
        states = {"active": {"open", "suspended"}}.get(query.status, {query.status})
        rows = [
            r
            for r in self.rows.values()
            if not r["is_parent"]
            and not r.get("case_clock")
            and r["state"] in states
            and all(
                getattr(query, f) is None or r[f] == getattr(query, f)
                for f in ("department", "region", "assignee", "stage")
            )
        ]
        rows.sort(key=lambda r: (r["due_at"], r["_id"]))
        return rows[query.offset : query.offset + query.limit], len(rows)

    async def timeline(self, case_id: str) -> list[dict[str, Any]]:
        return [dict(e) for e in self.entries.get(case_id, [])]

    async def case_ids(self) -> list[str]:
        return sorted(set(self.docs) | set(self.entries))

    async def open_stage_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rows.values():
            if r["state"] != "closed" and not r["is_parent"] and not r.get("case_clock"):
                counts[r["department"]] = counts.get(r["department"], 0) + 1
        return counts

    async def supplement_waits_past(self, now: datetime) -> list[str]:
        return sorted(
            {
                r["case_id"]
                for r in self.rows.values()
                if r["state"] == "suspended"
                and r["suspension_reason"] == "supplement"
                and r["suspension_ends_by"] is not None
                and r["suspension_ends_by"] < now
            }
        )

    async def owed_deadlines_past(self, now: datetime) -> list[str]:
        return sorted(
            {
                r["case_id"]
                for r in self.rows.values()
                if r["state"] == "open" and r["stage"] == "owed_materials" and r["due_at"] < now
            }
        )

    async def cases_to_seal(self) -> list[str]:
        return sorted(k for k, d in self.docs.items() if d["archive_due"])

    async def archives_expired(self, now: datetime) -> list[str]:
        return sorted(
            k for k, d in self.docs.items() if d["retain_until"] and d["retain_until"] <= now
        )

    async def cases_to_recompute(self, calendar_version: str) -> list[str]:
        return sorted(
            {
                r["case_id"]
                for r in self.rows.values()
                if r["state"] != "closed"
                and r["due_provisional"]
                and r["due_calendar"] != calendar_version
            }
        )

    def events(self, type_suffix: str, case_id: str | None = None) -> list[Envelope]:
        return [
            e
            for e in self.outbox
            if e.type == f"gov.egov.{type_suffix}.v1"
            and (case_id is None or e.data.get("case_id", e.subject) == case_id)
        ]


def make_deps(
    clock: FixedClock | None = None, *, render: DocumentRenderer | None = None, **settings: Any
) -> Deps:
    """``render``: a fake unless a test looks inside the PDF (then ``render_document``)."""
    return build_deps(
        ApprovalSettings(**settings),
        store=InMemoryCaseStore(),
        clock=clock or FixedClock(MONDAY_10),
        objects=FakeObjectStore(),
        render=render or FakeRenderer(),
        calendar=load_default_calendar(),
    )


def plan(
    *steps: tuple[StageKind, list[str], str] | tuple[StageKind, list[str], str, str],
) -> list[StagePlanEntry]:
    out = []
    for step in steps:
        kind, departments, role = step[0], step[1], step[2]
        mode = ParallelMode(step[3]) if len(step) > 3 else ParallelMode.ALL  # type: ignore[misc]
        out.append(
            StagePlanEntry(
                stage=kind,
                name=kind.value,
                limit=Limit(value=5),
                departments=departments,
                parallel_mode=mode,
                required_role=role,
            )
        )
    return out


STANDARD_PLAN = plan(
    (StageKind.ACCEPT, [DEPT], "handler"),
    (StageKind.REVIEW, [DEPT], "reviewer"),
    (StageKind.DECIDE, [DEPT], "approver"),
    (StageKind.DELIVER, [DEPT], "handler"),
)


def submitted(
    case_id: str,
    *,
    stage_plan: list[StagePlanEntry] | None = None,
    materials: list[Material] | None = None,
    required: list[str] | None = None,
    commitment_used: bool = False,
    commitment_allowed: bool = False,
    black_list: bool = False,
    kind: ApplicantKind = ApplicantKind.ENTITY,
    issues_licence: bool = True,
    extra_review: bool = False,
    at: datetime = MONDAY_10,
) -> CaseSubmitted:
    return CaseSubmitted(
        case_id=case_id,
        item_code="500000-SCJ-001",
        item_name="食品经营许可",
        department=DEPT,
        receiving_region=REGION,
        handling_region=REGION,
        channel=Channel.WEB,
        applicant=Applicant(
            kind=kind,
            id_number="91500000MA5U000000"
            if kind == ApplicantKind.ENTITY
            else "11010519491231002X",
            name="重庆某某食品有限公司",
        ),
        contact=Contact(),
        materials=materials
        if materials is not None
        else [Material(code="licence_form", form=MaterialForm.UPLOAD)],
        commitment_used=commitment_used,
        commitment_allowed=commitment_allowed,
        credit_check=CreditCheck(black_list=black_list),
        promised_limit=Limit(value=10),
        statutory_limit=Limit(value=20),
        stage_plan=stage_plan or STANDARD_PLAN,
        required_materials=required if required is not None else ["licence_form"],
        submitted_at=at,
        issues_licence=issues_licence,
        extra_review=extra_review,
    )


def envelope_of(data: CaseSubmitted | Any, at: datetime = MONDAY_10) -> Envelope:
    return make_envelope(data, source="/egov/intake", time=at)
