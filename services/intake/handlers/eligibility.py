"""Eligibility checks that need the outside world: the applicant's credit (commitments and
accept-with-gaps) and e-licence references in the licence registry."""

from __future__ import annotations

from services.intake.domain import Assessment, FieldError, Submission
from services.intake.handlers.deps import Deps
from services.intake.metrics import CREDIT_CHECKS
from services.intake.ports import CreditUnavailable
from shared.contracts import CreditCheck, MaterialForm


async def check_credit(deps: Deps, subject_id: str, assessment: Assessment) -> CreditCheck:
    if not assessment.needs_credit_check:
        CREDIT_CHECKS.labels("not_needed").inc()
        return CreditCheck(skipped=True, reason="not needed: no commitment or accept-with-gaps")
    try:
        status = await deps.credit.status(subject_id)
    except CreditUnavailable as exc:
        CREDIT_CHECKS.labels("skipped_unavailable").inc()
        last = await deps.store.last_known_credit(subject_id)
        if last is not None:
            return CreditCheck(
                level=last.level,
                red_list=last.red_list,
                black_list=last.black_list,
                skipped=True,
                reason=f"credit service unavailable ({exc}); used the last known status of "
                f"{last.changed_at.isoformat()}",
            )
        policy = "allowed" if deps.settings.credit_default_allows else "refused"
        return CreditCheck(
            skipped=True,
            reason=f"credit service unavailable ({exc}); configured default applied: "
            f"facilitations {policy}",
        )
    CREDIT_CHECKS.labels("answered").inc()
    return CreditCheck(level=status.level, red_list=status.red_list, black_list=status.black_list)


async def licence_errors(deps: Deps, sub: Submission) -> list[FieldError]:
    if not deps.settings.elicence_check:
        return []
    errors = []
    for i, material in enumerate(sub.materials):
        if material.form != MaterialForm.ELICENSE or not material.licence_ref:
            continue
        holder = await deps.store.licence_holder(material.licence_ref)
        if holder is None:
            errors.append(
                FieldError(f"materials.{i}.licence_ref", "not found in the e-licence registry")
            )
        elif holder.upper() != sub.applicant.id_number.strip().upper():
            errors.append(
                FieldError(f"materials.{i}.licence_ref", "this e-licence belongs to another holder")
            )
    return errors
