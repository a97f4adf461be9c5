"""HTTP: the light board and the monitor's view of one case (thin: reads the local tables)."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Path, Query, Request

from services.monitor.board import case_view
from services.monitor.ports import CaseStore, StatsStore
from shared.auth import Principal, require_roles
from shared.clock import Clock
from shared.observability.errors import Forbidden, NotFound

# Supervisors, the inspection office, admins and other systems see every department; section
# chiefs and department heads see their own.
WATCH_ALL = ("supervisor", "inspector", "admin", "system")
Watcher = Annotated[Principal, require_roles(*WATCH_ALL, "section_chief", "department_head")]


def _department_scope(principal: Principal, asked: str | None) -> str | None:
    if principal.has_any(*WATCH_ALL):
        return asked
    if asked is not None and asked != principal.department:
        raise Forbidden("you may watch your own department only")
    return principal.department or "-"


class BoardSource(Protocol):
    store: CaseStore
    stats: StatsStore
    clock: Clock

    def worker_status(self) -> dict[str, Any]: ...

    async def board(self, **filters: str | None) -> dict[str, Any]: ...


def _source(request: Request) -> BoardSource:
    source: BoardSource = request.app.state.monitor
    return source


SourceDep = Annotated[BoardSource, Depends(_source)]

router = APIRouter(prefix="/v1", tags=["monitor"])


@router.get("/board", summary="light board: counts by colour, overdue list, rates")
async def get_board(
    source: SourceDep,
    principal: Watcher,
    department: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    item: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
) -> dict[str, Any]:
    """The whole platform: every partition's latest counts (each worker publishes its own every
    refresh); `partitions` lists those covered, of `partitions_total`."""
    return await source.board(
        department=_department_scope(principal, department), region=region, item=item
    )


@router.get("/stages/{case_id}", summary="the monitor's view of one case")
async def get_case(
    source: SourceDep,
    principal: Watcher,
    case_id: Annotated[str, Path(min_length=1, max_length=120)],
) -> dict[str, Any]:
    view = case_view(source.store.get(case_id), source.clock.now())
    if view is not None and not principal.has_any(*WATCH_ALL):
        if any(st["department"] != principal.department for st in view["stages"]):
            raise Forbidden("the case involves another department")
    if view is None:
        raise NotFound("case not supervised here (unknown, finished, or on another worker)")
    return view


@router.get("/worker", summary="this worker's partitions, timers and recovery state")
async def get_worker(source: SourceDep) -> dict[str, Any]:
    """Operational, no personal data: open like /healthz so probes and tests can poll it."""
    return source.worker_status()
