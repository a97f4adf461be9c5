"""Issued documents: what a decision notice (准予 / 不予 notice) says, and how the reference to
its PDF joins the decision's event and the case. The handler renders and stores it (the bytes
are the notice's only place of personal data; the event carries the key and the hash)."""

from __future__ import annotations

from datetime import datetime

from services.approval.domain.model import Case, IssuedDocument
from services.approval.domain.stages import Transition
from shared.clock import SHANGHAI
from shared.contracts import CaseDecided, DocumentRef

TITLES = {
    "approved": "准予行政许可决定书 Notice of approval",
    "denied": "不予行政许可决定书 Notice of denial",
    "refused": "不予受理通知书 Notice of refusal to accept",
    "revoked": "撤销行政许可决定书 Notice of revocation",
    "prereview_failed": "预审不通过通知书 Notice of failed pre-review",
    "lapsed": "补正逾期终止通知书 Notice of lapse",
}
FOOTER = (
    "本文书由政务服务平台生成，其摘要记录于案件审计链。 Issued by the e-government platform; "
    "its hash is recorded on the case's audit chain."
)


def decision_name(decided: CaseDecided) -> str:
    return f"decision-{decided.decision}"


def decision_notice(case: Case, decided: CaseDecided) -> tuple[str, list[tuple[str, str]]]:
    """The notice's title and lines: the case, the item, the applicant by name, the decision
    with its reasons and legal basis, and the e-licence it issues."""
    day = decided.decided_at.astimezone(SHANGHAI)
    rows = [
        ("案件编号 Case", case.case_id),
        ("事项 Item", f"{case.item_name} ({case.item_code})"),
        ("申请人 Applicant", case.applicant.name),
        ("决定机关 Department", decided.department),
        ("决定 Decision", decided.decision),
        ("决定时间 Decided at", f"{day:%Y-%m-%d %H:%M} (Asia/Shanghai)"),
    ]
    if decided.reasons:
        rows.append(("理由 Reasons", "; ".join(decided.reasons)))
    if decided.legal_basis:
        rows.append(("依据 Legal basis", decided.legal_basis))
    if decided.licence_ref:
        rows.append(("电子证照 E-licence", decided.licence_ref))
    return TITLES.get(decided.decision, decided.decision), rows


def decisions_of(tr: Transition) -> list[tuple[int, CaseDecided]]:
    return [(i, e.data) for i, e in enumerate(tr.events) if isinstance(e.data, CaseDecided)]


def attach_document(tr: Transition, index: int, ref: DocumentRef, *, at: datetime) -> None:
    """The stored notice joins the decision's event (same event id: its key is unchanged), the
    case's documents and the timeline."""
    emitted = tr.events[index]
    assert isinstance(emitted.data, CaseDecided)
    data = emitted.data.model_copy(update={"document": ref})
    tr.events[index] = emitted.model_copy(update={"data": data})
    name = decision_name(emitted.data)
    tr.case.documents = [d for d in tr.case.documents if d.name != name]
    tr.case.documents.append(
        IssuedDocument(name=name, key=ref.key, sha256=ref.sha256, size=ref.size, issued_at=at)
    )
    tr.record("document_issued", "system", document=name, key=ref.key, sha256=ref.sha256)
