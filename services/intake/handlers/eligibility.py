"""Eligibility checks that need the outside world: the applicant's credit (commitments and
accept-with-gaps), e-licence references in the licence registry, and the materials the
registry proves."""

from __future__ import annotations

from services.intake.domain import Assessment, FieldError, ServiceItem, Submission
from services.intake.domain.credit import with_path
from services.intake.domain.licences import from_licence, licence_problem, reusable
from services.intake.handlers.deps import Deps
from services.intake.metrics import CREDIT_CHECKS
from services.intake.ports import CreditUnavailable
from shared.clock import SHANGHAI
from shared.contracts import CreditChanged, CreditCheck, Material, MaterialForm


async def check_credit(deps: Deps, subject_id: str, assessment: Assessment) -> CreditCheck:
    """The applicant's standing, with the path it leads to (services/intake/domain/credit.py):
    asked of the credit service when a facilitation depends on it; otherwise the last status
    learned from egov.credit.changes (no call: it decides only the extra review)."""
    return with_path(await _standing(deps, subject_id, assessment))


async def _standing(deps: Deps, subject_id: str, assessment: Assessment) -> CreditCheck:
    if not assessment.needs_credit_check:
        last = await deps.store.last_known_credit(subject_id)
        if last is None:
            CREDIT_CHECKS.labels("not_needed").inc()
            return CreditCheck(skipped=True, reason="not needed: no commitment or accept-with-gaps")
        CREDIT_CHECKS.labels("last_known").inc()
        return _last_known(last, "no commitment or accept-with-gaps: the last known status")
    try:
        status = await deps.credit.status(subject_id)
    except CreditUnavailable as exc:
        CREDIT_CHECKS.labels("skipped_unavailable").inc()
        last = await deps.store.last_known_credit(subject_id)
        if last is not None:
            return _last_known(
                last, f"credit service unavailable ({exc}); used the last known status"
            )
        policy = "allowed" if deps.settings.credit_default_allows else "refused"
        return CreditCheck(
            skipped=True,
            reason=f"credit service unavailable ({exc}); configured default applied: "
            f"facilitations {policy}",
        )
    CREDIT_CHECKS.labels("answered").inc()
    return CreditCheck(
        level=status.level,
        red_list=status.red_list,
        black_list=status.black_list,
        as_of=status.as_of or deps.clock.now(),
    )


def _last_known(last: CreditChanged, why: str) -> CreditCheck:
    return CreditCheck(
        level=last.level,
        red_list=last.red_list,
        black_list=last.black_list,
        skipped=True,
        reason=f"{why} of {last.changed_at.isoformat()}",
        as_of=last.changed_at,
    )


async def licence_errors(deps: Deps, sub: Submission, item: ServiceItem) -> list[FieldError]:
    return await material_licence_errors(
        deps, sub.materials, holder=sub.applicant.id_number, item=item
    )


async def material_licence_errors(
    deps: Deps, materials: list[Material], *, holder: str, item: ServiceItem
) -> list[FieldError]:
    """Each e-licence reference: in the registry, of the material's type, the applicant's,
    valid today and not revoked (services/intake/domain/licences.py)."""
    if not deps.settings.elicence_check:
        return []
    today = deps.clock.now().astimezone(SHANGHAI).date()
    errors = []
    for i, material in enumerate(materials):
        if material.form != MaterialForm.ELICENSE or not material.licence_ref:
            continue
        spec = item.material(material.code)
        problem = licence_problem(
            await deps.store.get_licence(material.licence_ref),
            holder=holder,
            wanted_type=spec.licence_type if spec is not None else None,
            today=today,
        )
        if problem is not None:
            errors.append(FieldError(f"materials.{i}.licence_ref", problem))
    return errors


async def filled_from_licences(deps: Deps, sub: Submission, item: ServiceItem) -> Submission:
    """The submission with each required material it leaves out that one of the applicant's
    valid e-licences proves filled in from the registry (never asked again); what the applicant
    sent is never marked as verified."""
    given = [m.model_copy(update={"verified_from_licence": False}) for m in sub.materials]
    sent = {m.code for m in given}
    wanted = [m for m in item.materials if m.required and m.licence_type and m.code not in sent]
    if wanted and deps.settings.elicence_check:
        held = await deps.store.licences_of(sub.applicant.id_number)
        today = deps.clock.now().astimezone(SHANGHAI).date()
        for spec in wanted:
            licence = reusable(held, spec.licence_type or "", today)
            if licence is not None and MaterialForm.ELICENSE in spec.forms:
                given.append(from_licence(spec.code, licence))
    return sub.model_copy(update={"materials": given})
