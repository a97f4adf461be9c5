"""The decision notice (docs/archive.md, "Decision notices"): its title per decision, its lines
(the case, the item, the applicant by name, the deciding department, the decision and its
instant in Beijing time, the reasons, the legal basis, the e-licence), and how its stored PDF
joins the decision's event, the case's documents and the timeline."""

from __future__ import annotations

from datetime import timedelta

from services.approval.domain import Action, Case
from services.approval.domain.audit import AuditRecord
from services.approval.domain.documents import attach_document, decision_notice
from services.approval.domain.model import IssuedDocument
from services.approval.domain.stages import Transition
from shared.calendar import load_default_calendar
from shared.contracts import CaseDecided, DocumentRef
from tests.unit.approval.approval_fakes import MONDAY_10, make_deps
from tests.unit.approval.test_approval_archive import case_of, run_to_decision

CAL = load_default_calendar()
DECIDED_AT = MONDAY_10 + timedelta(hours=7, minutes=5)  # 09:05 UTC, 17:05 in Beijing


def decided(**kw: object) -> CaseDecided:
    data: dict[str, object] = {
        "case_id": "C1",
        "decision": "denied",
        "department": "500000-SCJ",
        "item_code": "500000-SCJ-001",
        "region": "500000",
        "decided_at": DECIDED_AT,
    }
    return CaseDecided.model_validate(data | kw)


async def a_case() -> Case:
    deps = make_deps()
    await run_to_decision(deps, Action.DENY)
    return await case_of(deps)


async def test_a_denial_names_the_case_item_applicant_reasons_and_legal_basis() -> None:
    case = await a_case()
    title, rows = decision_notice(
        case,
        decided(
            reasons=["场所不符合要求", "材料不全"], legal_basis="《食品经营许可管理办法》第十二条"
        ),
    )
    assert title == "不予行政许可决定书 Notice of denial"
    assert rows == [
        ("案件编号 Case", "C1"),
        ("事项 Item", "食品经营许可 (500000-SCJ-001)"),
        ("申请人 Applicant", "重庆某某食品有限公司"),
        ("决定机关 Department", "500000-SCJ"),
        ("决定 Decision", "denied"),
        ("决定时间 Decided at", "2026-03-02 17:05 (Asia/Shanghai)"),
        ("理由 Reasons", "场所不符合要求; 材料不全"),
        ("依据 Legal basis", "《食品经营许可管理办法》第十二条"),
    ]


async def test_an_approval_names_its_e_licence_and_has_no_reasons() -> None:
    case = await a_case()
    title, rows = decision_notice(case, decided(decision="approved", licence_ref="EL-1"))
    assert title == "准予行政许可决定书 Notice of approval"
    assert rows[-2:] == [
        ("决定时间 Decided at", "2026-03-02 17:05 (Asia/Shanghai)"),
        ("电子证照 E-licence", "EL-1"),
    ]


async def test_every_decision_has_its_own_title() -> None:
    case = await a_case()
    titles = {
        d: decision_notice(case, decided(decision=d))[0]
        for d in ("approved", "denied", "refused", "revoked", "prereview_failed", "lapsed")
    }
    assert titles == {
        "approved": "准予行政许可决定书 Notice of approval",
        "denied": "不予行政许可决定书 Notice of denial",
        "refused": "不予受理通知书 Notice of refusal to accept",
        "revoked": "撤销行政许可决定书 Notice of revocation",
        "prereview_failed": "预审不通过通知书 Notice of failed pre-review",
        "lapsed": "补正逾期终止通知书 Notice of lapse",
    }


async def test_the_stored_notice_replaces_its_earlier_version_and_keeps_other_documents() -> None:
    case = await a_case()
    licence = IssuedDocument(
        name="licence-EL-1", key="documents/C1/licence-EL-1.pdf", sha256="cd" * 32, size=9,
        issued_at=MONDAY_10,
    )  # fmt: skip
    [old] = case.documents  # decision-denied, as the decision stored it
    tr = Transition(
        case=case.model_copy(update={"documents": [licence, old]}), now=DECIDED_AT, calendar=CAL
    )
    tr.emit(decided(), "decided")
    ref = DocumentRef(key=old.key, sha256="ef" * 32, size=42)
    attach_document(tr, 0, ref, at=DECIDED_AT)
    assert [(d.name, d.sha256) for d in tr.case.documents] == [
        ("licence-EL-1", "cd" * 32),
        ("decision-denied", "ef" * 32),
    ]
    assert tr.events[0].data.document == ref  # type: ignore[attr-defined]
    assert tr.events[0].key == ("C1", "decided")
    assert tr.audit == [
        AuditRecord(
            action="document_issued",
            actor="system",
            detail={"document": "decision-denied", "key": ref.key, "sha256": ref.sha256},
        )
    ]
