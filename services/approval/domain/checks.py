"""The automatic completeness check that runs before an officer pre-reviews a case (预审).

Findings are written in words the applicant reads online.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from services.approval.domain.model import MaterialRef

# An e-licence reference may carry its expiry date: "EL-...;exp=2026-12-31" (or "@2026-12-31").
_EXPIRY = re.compile(r"(?:[;|]exp[=:]|@)(\d{4}-\d{2}-\d{2})\s*$")


def licence_expiry(licence_ref: str) -> date | None:
    match = _EXPIRY.search(licence_ref)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def completeness_findings(
    *,
    materials: Iterable[MaterialRef],
    required: Iterable[str],
    commitment_used: bool,
    commitment_allowed: bool,
    black_listed: bool,
    today: date,
) -> list[str]:
    materials = list(materials)
    present = {m.code for m in materials}
    findings = [f"缺少必要材料：{code}" for code in required if code not in present]
    for m in materials:
        if m.form != "elicense":
            continue
        if not m.licence_ref:
            findings.append(f"材料 {m.code} 未提供电子证照编号")
            continue
        expiry = licence_expiry(m.licence_ref)
        if expiry is not None and expiry < today:
            findings.append(f"电子证照已过期（{m.code}，有效期至 {expiry.isoformat()}）")
    uses_commitment = commitment_used or any(m.form == "commitment" for m in materials)
    if uses_commitment and not commitment_allowed:
        findings.append("本事项不适用告知承诺制，请提交证明材料")
    elif uses_commitment and black_listed:
        findings.append("申请人被列入失信名单，不适用告知承诺制，请提交证明材料")
    return findings
