"""`egov audit verify`: check cases' keyed audit timelines in the approval database, their
stored heads, and (`--bus`) the signed checkpoints the bus kept of them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import typer

from services.approval.domain import Case
from services.approval.handlers import AUDIT_CHAIN, audit_head
from services.approval.settings import ApprovalSettings
from shared.audit import (
    AuditKeys,
    BrokenLink,
    ChainHead,
    check_against_bus,
    latest_heads,
    of_chain,
    verify,
)
from shared.contracts import AuditCheckpoint

audit_app = typer.Typer(no_args_is_help=True, help="approval audit timeline (keyed hash chain)")


class AuditedCases(Protocol):
    async def get(self, case_id: str) -> Case | None: ...

    async def timeline(self, case_id: str) -> list[dict[str, Any]]: ...

    async def case_ids(self) -> list[str]: ...


@dataclass
class CaseReport:
    case_id: str
    entries: int
    head: ChainHead | None
    broken: BrokenLink | None
    checkpoints: int | None = None  # None: the bus was not read

    def lines(self) -> list[str]:
        if self.broken is not None:
            out = [f"case {self.case_id}: BROKEN at {self.broken.describe()}"]
            if self.broken.entry is not None:
                out.append("  entry: " + json.dumps(self.broken.entry, ensure_ascii=False))
            return out
        head = self.head.hash[:16] if self.head else "-"
        bus = "" if self.checkpoints is None else f", agrees with {self.checkpoints} on the bus"
        return [f"case {self.case_id}: OK ({self.entries} entries, head {head}{bus})"]


async def audit_case(
    store: AuditedCases,
    case_id: str,
    *,
    keys: AuditKeys,
    bus: Sequence[AuditCheckpoint] | None = None,
) -> CaseReport | None:
    """The case's report; None when the database has neither the case nor its timeline (and the
    bus, when read, has no checkpoint of it)."""
    case = await store.get(case_id)
    entries = await store.timeline(case_id)
    mine = None if bus is None else of_chain(bus, AUDIT_CHAIN, case_id)
    if case is None and not entries and not mine:
        return None
    head = audit_head(case) if case is not None else None
    broken = verify(entries, keys=keys, scope=AUDIT_CHAIN, chain_id=case_id, head=head)
    if broken is None and head is None:
        reason = "the case record (which holds the chain's head) is missing"
        broken = BrokenLink(index=0, seq=1, entry=None, reason=reason)
    if broken is None and head is not None and mine is not None:
        broken = check_against_bus(entries, head, mine, keys=keys)
    return CaseReport(case_id, len(entries), head, broken, None if mine is None else len(mine))


async def audit_all(
    store: AuditedCases, *, keys: AuditKeys, bus: Sequence[AuditCheckpoint] | None = None
) -> list[CaseReport]:
    """Every case of the database, and (with the bus) every case the bus knows of."""
    ids = set(await store.case_ids())
    if bus is not None:
        ids |= set(latest_heads(bus, AUDIT_CHAIN))
    reports = [await audit_case(store, case_id, keys=keys, bus=bus) for case_id in sorted(ids)]
    return [r for r in reports if r is not None]


@asynccontextmanager
async def open_store(settings: ApprovalSettings) -> AsyncIterator[AuditedCases]:
    from services.approval.store import MongoCaseStore
    from shared.mongo import Outbox, create_client, database

    client = create_client(settings)
    try:
        db = database(client, settings)
        yield MongoCaseStore(client, db, Outbox(db))
    finally:
        await client.close()


async def read_bus(settings: ApprovalSettings) -> tuple[list[AuditCheckpoint], list[str]]:
    from shared.audit.bus import read_checkpoints

    found = await read_checkpoints(settings)
    return found.checkpoints, found.unreadable


async def _run(
    settings: ApprovalSettings, case_no: str | None, *, every: bool, with_bus: bool
) -> tuple[list[CaseReport], list[str]]:
    keys = AuditKeys.from_setting(settings.audit_key.get_secret_value())
    bus, unreadable = await read_bus(settings) if with_bus else (None, [])
    async with open_store(settings) as store:
        if every:
            return await audit_all(store, keys=keys, bus=bus), unreadable
        assert case_no is not None
        report = await audit_case(store, case_no, keys=keys, bus=bus)
        return ([] if report is None else [report]), unreadable


@audit_app.command("verify")
def verify_command(
    case_no: str | None = typer.Argument(None, help="case number (or --all)"),
    every: bool = typer.Option(False, "--all", help="every case of the approval database"),
    bus: bool = typer.Option(
        False, "--bus", help="also check against the signed checkpoints on egov.audit.checkpoints"
    ),
) -> None:
    """Recompute every keyed link, check that each timeline ends at its case's stored head, and
    with --bus that the bus's checkpoints agree; exit 1 at the first broken link of any case
    (reported as entry number, index and reason, with the entry), 2 when the case is unknown."""
    if (case_no is None) == (not every):
        typer.echo("give a case number or --all (not both)", err=True)
        raise typer.Exit(2)
    settings = ApprovalSettings()
    reports, unreadable = asyncio.run(_run(settings, case_no, every=every, with_bus=bus))
    for problem in unreadable:
        typer.echo(f"warning: egov.audit.checkpoints {problem}: not a checkpoint", err=True)
    if not reports:
        typer.echo(f"case {case_no}: no such case and no timeline entries", err=True)
        raise typer.Exit(2)
    for report in reports:
        for line in report.lines():
            typer.echo(line)
    if any(r.broken is not None for r in reports):
        raise typer.Exit(1)


commands = {"audit": audit_app}
