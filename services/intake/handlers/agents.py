"""``/v1/agents``: a subject names, lists and revokes its agents (services/intake/domain/agents.py).
Only the subject's own real-name token, at the level a submission needs, may change its grants."""

from __future__ import annotations

import logging

from services.intake.domain import FieldError, Forbidden, NotFound
from services.intake.domain.agents import AgentGrant, AgentGrantIn, new_grant
from services.intake.domain.identity import AUTH_FIELD, check_assurance
from services.intake.handlers.deps import Deps
from shared.auth import Principal
from shared.clock import SHANGHAI

log = logging.getLogger(__name__)


def _subject(deps: Deps, principal: Principal) -> str:
    real = principal.real_name
    if real is None:
        raise Forbidden(
            "only a subject's own real-name token manages its agents",
            [FieldError(AUTH_FIELD, "no real-name identity in the token")],
        )
    check_assurance(real.assurance, deps.settings.applicant_min_assurance)
    return real.id_number


async def grant_agent(deps: Deps, principal: Principal, body: AgentGrantIn) -> AgentGrant:
    subject_id = _subject(deps, principal)
    now = deps.clock.now()
    grant = new_grant(
        body,
        subject_id=subject_id,
        granted_by=principal.subject,
        now=now,
        today=now.astimezone(SHANGHAI).date(),
    )
    await deps.store.save_agent(grant)
    log.info("agent granted by %s until %s", principal.subject, grant.valid_until)
    return grant


async def list_agents(deps: Deps, principal: Principal) -> list[AgentGrant]:
    return await deps.store.list_agents(_subject(deps, principal))


async def revoke_agent(deps: Deps, principal: Principal, agent_id: str) -> AgentGrant:
    subject_id = _subject(deps, principal)
    grant = await deps.store.get_agent(subject_id, agent_id.strip().upper())
    if grant is None:
        raise NotFound("no such agent of yours")
    if grant.revoked_at is None:
        grant = grant.model_copy(
            update={"revoked_at": deps.clock.now(), "revoked_by": principal.subject}
        )
        await deps.store.save_agent(grant)
    return grant
