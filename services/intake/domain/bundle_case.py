"""A bundle application (一件事一次办): one submission split into one case per item, items held
until the items they depend on are decided, and the bundle's outcome.

Outcome rule (``all_or_stop``): the bundle is *completed* when every item is approved. An item
decided otherwise (denied, refused, pre-review failed, lapsed, revoked) does not undo the
others' decisions (each is a decision of its own department), but every item waiting for it,
directly or through another, is *cancelled* and never starts; the items that do not depend on
it run to their own decisions. Once every item is decided or cancelled the bundle is
*not completed*, and its view names the item that stopped it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.bundles import Bundle, ProvidedMaterial
from services.intake.domain.case import (
    CaseRecord,
    CaseStatus,
    Rating,
    Rectification,
    TimelineEntry,
)
from services.intake.domain.errors import FieldError
from shared.calendar import Limit
from shared.contracts.common import (
    Applicant,
    BundleInfo,
    BundleItem,
    BundleItemOwed,
    Channel,
    JsonObject,
    Material,
    SubmittedBy,
)
from shared.contracts.owed import OwedMaterials

FINISHED = frozenset({CaseStatus.DECIDED, CaseStatus.CANCELLED})
CANCELLED_TEXT = "前序事项未获准予，本事项不再办理（一件事）"
BUNDLE_STATUS_TEXT = {
    "in_progress": "办理中",
    "completed": "已全部办结",
    "not_completed": "未能全部办结",
}


class BundledCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_code: str
    item_name: str
    case_id: str
    after: list[str] = Field(default_factory=list)
    provided: list[ProvidedMaterial] = Field(default_factory=list)


class ClockStop(BaseModel):
    """A stop of the bundle clock (domain/bundle_clock.py): from the first item stopping to the
    last running again."""

    model_config = ConfigDict(frozen=True)

    started_at: datetime
    ended_at: datetime | None = None
    reason: str
    case_id: str  # the item that stopped it


class BundleApplication(BaseModel):
    """What intake keeps of a bundle application: a snapshot of the bundle's structure (a later
    edit of the definition changes nothing for it) and its cases."""

    model_config = ConfigDict(frozen=True)

    bundle_id: str
    bundle_code: str
    bundle_name: str
    bundle_version: int
    region: str
    lead_department: str
    applicant: Applicant
    channel: Channel
    receiving_region: str
    submitted_by: SubmittedBy | None = None
    submitted_at: datetime
    promised_limit: Limit
    due_at: datetime
    due_provisional: bool = False
    due_calendar: str | None = None  # the calendar version the due was counted on
    clock_stops: list[ClockStop] = Field(default_factory=list)  # its items' stops, followed
    clock_seq: int = 0  # each change of the clock; a write expects the one it read
    items: list[BundledCase]
    verification_hash: str | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    rating: Rating | None = None  # the bundle's one rating (一次一评), once it is finished
    invited_at: datetime | None = None  # invited to rate it, once (never each item)
    # The bundle's own steps (its rating, its rectification's answer) as an audit chain
    # (intake.bundle_application), like a case's timeline; its items' steps are on theirs.
    timeline: list[TimelineEntry] = Field(default_factory=list)
    audit_seq: int = 0
    audit_head: str = ""
    rectification: Rectification | None = None  # a bad rating's, answered by the lead department

    @property
    def case_ids(self) -> list[str]:
        return [i.case_id for i in self.items]

    @property
    def clock_stage_id(self) -> str:
        return f"{self.bundle_id}:case_promised"

    def entry(self, item_code: str) -> BundledCase | None:
        return next((i for i in self.items if i.item_code == item_code), None)

    def info(self, owed: Mapping[str, OwedMaterials | None]) -> BundleInfo:
        """What each of its case.submitted tells of the bundle (notify speaks of it), with
        what each item accepted with gaps owes (``owed``, by case id) at submission."""
        items = [
            BundleItem(
                case_id=i.case_id,
                item_code=i.item_code,
                item_name=i.item_name,
                owed=_told(owed.get(i.case_id)),
            )
            for i in self.items
        ]
        return BundleInfo(code=self.bundle_code, name=self.bundle_name, items=items)


def _told(owed: OwedMaterials | None) -> BundleItemOwed | None:
    if owed is None:
        return None
    return BundleItemOwed(
        materials=owed.materials, due_at=owed.due_at, due_provisional=owed.due_provisional
    )


def format_bundle_id(case_id: str) -> str:
    """The bundle is numbered after its first case: ``YJS-500000-20260302-000042``."""
    return f"YJS-{case_id}"


def is_bundle_id(text: str) -> bool:
    return text.startswith("YJS-") and len(text) <= 40


def split_submission(
    bundle: Bundle, form: JsonObject, materials: list[Material]
) -> tuple[dict[str, tuple[JsonObject, list[Material]]], list[FieldError]]:
    """Each item's form and materials from the one form and the materials given once, or the
    field errors: a field or material the bundle does not ask, a material given twice, a
    required shared field left out. Provided materials are added at release."""
    errors: list[FieldError] = []
    fields = {f.name: f for f in bundle.fields}
    for name in form:
        if name not in fields:
            errors.append(FieldError(f"form.{name}", "not a field of this bundle"))
    for shared in bundle.fields:
        if shared.required and form.get(shared.name) in (None, ""):
            errors.append(FieldError(f"form.{shared.name}", f"{shared.label} is required"))
    asked = {m.code: m for m in bundle.materials}
    seen: set[str] = set()
    split: dict[str, tuple[JsonObject, list[Material]]] = {
        code: ({k: v for k, v in form.items() if k in fields and code in fields[k].items}, [])
        for code in bundle.item_codes
    }
    for i, material in enumerate(materials):
        spec = asked.get(material.code)
        if spec is None:
            errors.append(FieldError(f"materials.{i}.code", "not a material of this bundle"))
            continue
        if material.code in seen:
            errors.append(FieldError(f"materials.{i}.code", "given twice; give each once"))
            continue
        seen.add(material.code)
        for target in spec.maps_to:
            copy = material.model_copy(update={"code": target.material})
            split[target.item_code][1].append(copy)
    return split, errors


def held(case: CaseRecord, waiting_for: list[str], names: Mapping[str, str]) -> CaseRecord:
    text = "等待前序事项办结：" + "、".join(names.get(c, c) for c in waiting_for)
    entry = TimelineEntry(at=case.submitted_at, kind="held", text=text)
    return case.with_entry(entry, status=CaseStatus.HELD, waiting_for=waiting_for)


def next_steps(app: BundleApplication, cases: Mapping[str, CaseRecord]) -> list[tuple[str, str]]:
    """(case id, ``release`` or ``cancel``) for each held case whose upstream items are now all
    approved, or one of them decided otherwise or cancelled."""
    by_item = {i.item_code: cases.get(i.case_id) for i in app.items}
    steps: list[tuple[str, str]] = []
    for entry in app.items:
        case = cases.get(entry.case_id)
        if case is None or case.status is not CaseStatus.HELD:
            continue
        upstream = [by_item.get(code) for code in entry.after]
        if any(u is not None and _failed(u) for u in upstream):
            steps.append((entry.case_id, "cancel"))
        elif all(u is not None and u.decision == "approved" for u in upstream):
            steps.append((entry.case_id, "release"))
    return steps


def _failed(case: CaseRecord) -> bool:
    return case.status in FINISHED and case.decision != "approved"


def released(case: CaseRecord, *, provided: list[Material], at: datetime) -> CaseRecord:
    if case.status is not CaseStatus.HELD:
        return case
    entry = TimelineEntry(at=at, kind="released", text="前序事项已办结，本事项开始办理")
    return case.with_entry(
        entry,
        status=CaseStatus.SUBMITTED,
        waiting_for=[],
        materials=[*case.materials, *provided],
    )


def cancelled(case: CaseRecord, *, at: datetime) -> CaseRecord:
    if case.status is not CaseStatus.HELD:
        return case
    entry = TimelineEntry(at=at, kind="cancelled", text=CANCELLED_TEXT)
    return case.with_entry(
        entry, status=CaseStatus.CANCELLED, decision="cancelled", decided_at=at, waiting_for=[]
    )


def outcome(app: BundleApplication, cases: Mapping[str, CaseRecord]) -> str:
    """``in_progress`` until every item is decided or cancelled; then ``completed`` when every
    item is approved, else ``not_completed`` (the rule in this module's docstring)."""
    mine = [cases.get(cid) for cid in app.case_ids]
    if any(c is None or c.status not in FINISHED for c in mine):
        return "in_progress"
    if all(c is not None and c.decision == "approved" for c in mine):
        return "completed"
    return "not_completed"
