"""What an applicant's credit standing changes at intake (docs/credit.md, "Effects").

- **trusted** (red list 守信红名单, or level A) and **standard** (level B, or no record): the
  facilitations the item allows (written commitments 告知承诺制, accept-with-gaps 容缺受理);
- **watched** (level C or D): no written commitments, and an extra credit review stage at
  approval (信用加强审查);
- **black-listed** (失信黑名单): neither facilitation, and the extra review.

The path and the standing it was read from (``credit_check``: level, lists, ``as_of``, whether the
credit service answered or the last known status was used) are recorded on the case and its
event.
"""

from __future__ import annotations

from enum import StrEnum

from services.intake.domain.assessment import Assessment
from shared.contracts.common import CreditCheck

WATCHED_LEVELS = frozenset({"C", "D"})


class CreditPath(StrEnum):
    TRUSTED = "trusted"
    STANDARD = "standard"
    WATCHED = "watched"
    BLACK_LISTED = "black_listed"


def credit_path(credit: CreditCheck) -> CreditPath:
    if credit.black_list:
        return CreditPath.BLACK_LISTED
    if credit.level in WATCHED_LEVELS:
        return CreditPath.WATCHED
    if credit.red_list or credit.level == "A":
        return CreditPath.TRUSTED
    return CreditPath.STANDARD


def needs_extra_review(credit: CreditCheck) -> bool:
    return credit_path(credit) in (CreditPath.WATCHED, CreditPath.BLACK_LISTED)


def credit_refusal(
    assessment: Assessment, credit: CreditCheck, *, default_allows: bool
) -> str | None:
    """Why the applicant may not use the facilitations it asked for, or None."""
    if not assessment.needs_credit_check:
        return None
    path = credit_path(credit)
    what = " and ".join(
        w
        for w, used in (
            ("written commitments (告知承诺制)", assessment.commitment_used),
            ("accept-with-gaps (容缺受理)", assessment.gaps_used),
        )
        if used
    )
    if path is CreditPath.BLACK_LISTED:
        return (
            f"the applicant is on the serious-dishonesty list (失信黑名单) and may not use "
            f"{what}; submit the full materials instead"
        )
    if path is CreditPath.WATCHED and assessment.commitment_used:
        return (
            f"the applicant's credit level is {credit.level}: written commitments (告知承诺制) "
            "are open to levels A and B only; submit the material itself"
        )
    # Unreachable with no last known status: the configured default decides. A last known
    # status (kept from credit.changed events) decides like a fresh answer (docs/intake.md).
    if credit.skipped and credit.level is None and not default_allows:
        return (
            f"the credit service could not be reached and the configured default does not "
            f"allow {what}; submit the full materials or try again later"
        )
    return None


def with_path(credit: CreditCheck) -> CreditCheck:
    """The check with the path it leads to recorded."""
    return credit.model_copy(update={"path": credit_path(credit).value})
