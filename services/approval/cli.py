"""`egov audit verify CASE_NO`: check a case's hash-chained timeline in the approval database."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from services.approval.domain import BrokenLink, verify_chain
from services.approval.settings import ApprovalSettings

audit_app = typer.Typer(no_args_is_help=True, help="approval audit timeline (hash chain)")


async def _load(settings: ApprovalSettings, case_no: str) -> list[dict[str, Any]]:
    from services.approval.store import MongoCaseStore
    from shared.mongo import Outbox, create_client, database

    client = create_client(settings)
    try:
        db = database(client, settings)
        return await MongoCaseStore(client, db, Outbox(db)).timeline(case_no)
    finally:
        await client.close()


def check(entries: list[dict[str, Any]]) -> BrokenLink | None:
    return verify_chain(entries)


@audit_app.command("verify")
def verify(case_no: str = typer.Argument(..., help="case number")) -> None:
    """Recompute every link of the case's timeline; exit 1 at the first broken one."""
    entries = asyncio.run(_load(ApprovalSettings(), case_no))
    if not entries:
        typer.echo(f"case {case_no}: no timeline entries", err=True)
        raise typer.Exit(2)
    broken = check(entries)
    if broken is not None:
        typer.echo(f"case {case_no}: BROKEN at entry {broken.seq}: {broken.problem}")
        raise typer.Exit(1)
    typer.echo(f"case {case_no}: OK ({len(entries)} entries, head {entries[-1]['hash'][:16]})")


commands = {"audit": audit_app}
