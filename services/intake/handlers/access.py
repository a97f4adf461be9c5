"""Who may submit in an applicant's name (services/intake/domain/identity.py, with the agent
registry looked up), and who may open a case: its applicant or the agent who submitted it
(bearer token or verification code), officers to read.

Wrong verification codes are counted per case number and pause further code attempts
(``EGOV_CODE_MAX_FAILURES`` within ``EGOV_CODE_FAILURE_WINDOW_S``: 429 with Retry-After); a
token is no guess and is never paused.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Protocol, TypeVar

from services.intake.domain import CaseRecord, NotFound, TooManyAttempts
from services.intake.domain.identity import needs_agent_check, submitter
from services.intake.domain.submission import hash_verification_code, is_case_number
from services.intake.domain.verification import code_locked_until, retry_after_seconds
from services.intake.handlers.deps import Deps
from services.intake.metrics import CODE_ATTEMPTS
from shared.auth import Principal
from shared.clock import SHANGHAI
from shared.contracts import Applicant, Channel, SubmittedBy, SubmitterKind
from shared.roles import OFFICERS_AND_ADMIN

log = logging.getLogger(__name__)

IN_FLIGHT_MARGIN = 100


async def submitted_by(
    deps: Deps,
    principal: Principal | None,
    *,
    applicant: Applicant,
    channel: Channel,
    receiving_region: str,
    item_code: str,
) -> SubmittedBy:
    """Who submits, after the agent registry is asked when the token is someone else's."""
    granted = False
    if principal is not None and principal.real_name is not None:
        if needs_agent_check(principal, applicant):
            grant = await deps.store.get_agent(applicant.id_number, principal.real_name.id_number)
            today = deps.clock.now().astimezone(SHANGHAI).date()
            granted = grant is not None and grant.covers(item_code, today)
    return submitter(
        principal,
        applicant=applicant,
        channel=channel,
        receiving_region=receiving_region,
        agent_granted=granted,
        min_assurance=deps.settings.applicant_min_assurance,
    )


def token_opens(
    principal: Principal | None,
    *,
    applicant: Applicant,
    submitted_by: SubmittedBy | None,
    officers: bool,
) -> bool:
    """The applicant's own token, the agent's who submitted, or (reading only) an officer's."""
    if principal is None:
        return False
    real = principal.real_name
    if real is not None and real.id_number == applicant.id_number:
        return True
    by = submitted_by
    if by is not None and by.kind is SubmitterKind.AGENT and by.subject == principal.subject:
        return True
    return officers and principal.has_any(*OFFICERS_AND_ADMIN)


class Coded(Protocol):
    """A case or a bundle application: what its verification code hashes to."""

    @property
    def verification_hash(self) -> str | None: ...


R = TypeVar("R", bound=Coded)


async def verify_code(
    deps: Deps, number: str, code: str, found: R | None, *, refusal: NotFound
) -> R:
    """``found`` (the case or bundle numbered ``number``, None: no such number) when ``code``
    is its verification code; raises ``refusal`` for a wrong code, or
    TooManyAttempts while code attempts on this number are paused. Guesses are counted per
    number whether or not it exists, so a pause tells nothing about which numbers do."""
    settings = deps.settings
    now = deps.clock.now()
    window = timedelta(seconds=settings.code_failure_window_s)
    # The attempt is recorded before the code is compared, so concurrent guesses are counted
    # too; it is dropped again if it turns out not to be a failure. Attempts still in flight
    # take room in the kept history: the margin keeps them from pushing real failures out.
    attempt_id = uuid.uuid4().hex
    earlier = await deps.store.add_code_attempt(
        number,
        attempt_id=attempt_id,
        at=now,
        keep=settings.code_max_failures + IN_FLIGHT_MARGIN,
        forget_at=now + window,
    )
    until = code_locked_until(
        earlier, now=now, max_failures=settings.code_max_failures, window=window
    )
    if until is not None:
        await deps.store.drop_code_attempt(number, attempt_id)  # a paused try is no guess
        CODE_ATTEMPTS.labels("paused").inc()
        retry_after = retry_after_seconds(until, now)
        log.warning("verification-code attempts on %s paused for %ds", number, retry_after)
        raise TooManyAttempts(
            f"too many wrong verification codes for {number}; try again in {retry_after} "
            "seconds, or sign in",
            retry_after_s=retry_after,
        )
    expected = None if found is None else found.verification_hash
    if found is not None and expected == hash_verification_code(number, code):
        await deps.store.drop_code_attempt(number, attempt_id)
        CODE_ATTEMPTS.labels("accepted").inc()
        return found
    CODE_ATTEMPTS.labels("wrong").inc()
    raise refusal


def _not_found(case_id: str) -> NotFound:
    # Wrong code and unknown number answer alike, so case numbers cannot be probed.
    return NotFound(f"no case {case_id} with this verification code")


async def open_case(
    deps: Deps,
    case_id: str,
    *,
    code: str | None,
    principal: Principal | None,
    officers: bool = False,
) -> CaseRecord:
    """The case if the verification code or the applicant's own token opens it (an officer
    token too when ``officers``: reading, never acting for the applicant); else NotFound, or
    TooManyAttempts while code attempts on this number are paused."""
    case = await deps.store.get_case(case_id) if is_case_number(case_id) else None
    if case is not None and token_opens(
        principal, applicant=case.applicant, submitted_by=case.submitted_by, officers=officers
    ):
        return case
    if not code or not is_case_number(case_id):
        raise _not_found(case_id)
    return await verify_code(deps, case_id, code, case, refusal=_not_found(case_id))
