"""Handlers for what officers hear about: tasks, yellow and red lights, escalation rungs and
supervision findings."""

from __future__ import annotations

from services.notify.domain import Recipient, RoleQuery, escalation_queries, officer_recipient
from services.notify.handlers.deps import Deps
from services.notify.handlers.notifier import (
    applicant_from_case,
    notify,
    officer_by_id,
    officers_for,
)
from services.notify.handlers.parking import park
from shared.contracts import (
    CASE_CLOCKS,
    DeadlineChanged,
    Envelope,
    StageOpened,
    StageOverdue,
    StageSignedIn,
    StageWarned,
    SupervisionEscalated,
    SupervisionFinding,
)


async def _assignee_or_role(
    deps: Deps, assignee: str | None, role: str, department: str
) -> list[Recipient]:
    officer = await officer_by_id(deps, assignee)
    if officer is not None:
        return [officer_recipient(officer)]
    return await officers_for(deps, [RoleQuery(role=role, department=department)])


async def on_stage_opened(deps: Deps, envelope: Envelope, data: StageOpened) -> None:
    # Nobody acts on the parent of a parallel stage (each department gets its sub-task) or on
    # the case's own limits (their ladders reach the officers who answer for them).
    parallel_parent = (
        data.parallel_mode is not None and data.parent_stage_id is None
    ) or data.stage in CASE_CLOCKS
    await deps.projections.save_stage(
        data.stage_id,
        {
            "case_id": data.case_id,
            "department": data.department,
            "region": data.region,
            "stage": data.stage.value,
            "assignee": data.assignee,
            "required_role": data.required_role,
            "parallel_parent": parallel_parent,
        },
    )
    if parallel_parent:
        return  # nobody acts on the parent of a parallel stage: each department gets its sub-task
    recipients = await _assignee_or_role(deps, data.assignee, data.required_role, data.department)
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template="task_assigned",
        recipients=recipients,
        case=case,
        department=data.department,
    )


async def on_stage_signed_in(deps: Deps, envelope: Envelope, data: StageSignedIn) -> None:
    # No message: remember who holds the task, so later alerts reach that officer.
    await deps.projections.save_stage(data.stage_id, {"assignee": data.officer})


async def _stage_alert(
    deps: Deps, envelope: Envelope, data: StageWarned | StageOverdue, template: str, urgent: bool
) -> None:
    stage = await deps.projections.get_stage(data.stage_id) or {}
    assignee = data.assignee or stage.get("assignee")
    role = str(stage.get("required_role") or "handler")
    recipients = await _assignee_or_role(deps, assignee, role, data.department)
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template=template,
        recipients=recipients,
        case=case,
        department=data.department,
        urgent=urgent,
    )


async def on_stage_warned(deps: Deps, envelope: Envelope, data: StageWarned) -> None:
    await _stage_alert(deps, envelope, data, "stage_warned", urgent=False)


async def on_stage_overdue(deps: Deps, envelope: Envelope, data: StageOverdue) -> None:
    await _stage_alert(deps, envelope, data, "stage_overdue", urgent=True)


async def on_supervision_escalated(
    deps: Deps, envelope: Envelope, data: SupervisionEscalated
) -> None:
    stage = await deps.projections.get_stage(data.stage_id) or {}
    assignee = await officer_by_id(deps, stage.get("assignee"))
    roles = list(data.recipients)
    recipients: list[Recipient] = []
    if assignee is not None and "handler" in roles:
        # The rung's "handler" is the officer holding the task when we know who that is.
        roles.remove("handler")
        recipients.append(officer_recipient(assignee))
    section = assignee.section if assignee is not None else None
    recipients += await officers_for(
        deps,
        escalation_queries(roles, department=data.department, region=data.region, section=section),
    )
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template="supervision_escalated",
        recipients=recipients,
        case=case,
        department=data.department,
        urgent=True,
    )


async def on_supervision_finding(deps: Deps, envelope: Envelope, data: SupervisionFinding) -> None:
    recipients = await officers_for(
        deps,
        [
            RoleQuery(role="supervisor", department=data.department),
            RoleQuery(role="inspector", region=data.region),
        ],
    )
    case = await deps.projections.get_case(data.case_id)
    await notify(
        deps,
        envelope,
        data,
        template="supervision_finding",
        recipients=recipients,
        case=case,
        department=data.department,
    )


async def on_deadline_changed(deps: Deps, envelope: Envelope, data: DeadlineChanged) -> None:
    """A deadline moved on a newly published holiday schedule: the officers who work to it hear
    the new date, and so does the applicant when they had been told the old one."""
    if data.old_due_at == data.new_due_at:
        return  # only the provisional mark changed: nobody's date moved
    if data.kind == "rectification":
        recipients = await officers_for(
            deps,
            [
                RoleQuery(role="department_head", department=data.department),
                RoleQuery(role="section_chief", department=data.department),
            ],
        )
    else:
        stage = await deps.projections.get_stage(data.stage_id or "") or {}
        assignee = data.assignee or stage.get("assignee")
        role = str(stage.get("required_role") or "handler")
        recipients = (
            []  # the departments hear of their own sub-tasks' deadlines
            if stage.get("parallel_parent")
            else await _assignee_or_role(deps, assignee, role, data.department)
        )
    case = await deps.projections.get_case(data.case_id)
    if data.applicant_told:
        if case is None:
            # The case's contact data has not arrived yet: the applicant part waits for it
            # (all of it was handled again, and is done, when the data came meanwhile).
            if await park(deps, data.case_id, envelope):
                return
        else:
            recipients.append(applicant_from_case(case))
    await notify(
        deps,
        envelope,
        data,
        template="deadline_changed",
        recipients=recipients,
        case=case,
        department=data.department,
    )
