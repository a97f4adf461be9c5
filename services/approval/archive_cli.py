"""`egov archive verify|hold|release CASE_NO` (docs/archive.md): run against the approval
service's own database and object store, with its settings (EGOV_*)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import typer

from services.approval.domain import ApprovalError, StaleVersion
from services.approval.handlers import Deps, legal_hold, verify_archive
from services.approval.settings import ApprovalSettings
from shared.audit.admin import operator

T = TypeVar("T")

archive_app = typer.Typer(no_args_is_help=True, help="the sealed archive: verify, legal holds")


@asynccontextmanager
async def open_deps(settings: ApprovalSettings) -> AsyncIterator[Deps]:
    from services.approval.bootstrap import build_deps
    from services.approval.store import MongoCaseStore
    from shared.clock import SystemClock
    from shared.documents import render_document
    from shared.mongo import Outbox, create_client, database
    from shared.objectstore.s3 import S3ObjectStore

    client = create_client(settings)
    objects = S3ObjectStore(settings)
    db = database(client, settings)
    store = MongoCaseStore(client, db, Outbox(db))
    try:
        yield build_deps(
            settings, store=store, clock=SystemClock(), objects=objects, render=render_document
        )
    finally:
        await objects.aclose()
        await client.close()


def _run(work: Callable[[Deps], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_deps(ApprovalSettings()) as deps:
            return await work(deps)

    try:
        return asyncio.run(main())
    except (ApprovalError, StaleVersion) as exc:  # no such case, not sealed, deleted, no reason
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(2) from None


@archive_app.command("verify")
def verify(case_no: str = typer.Argument(..., help="the case number")) -> None:
    """Recompute every hash of the case's sealed dossier; exit 1 at the first mismatch."""
    check = _run(lambda deps: verify_archive(deps, case_no))
    if check.problem is not None:
        typer.echo(f"case {case_no}: MISMATCH: {check.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"case {case_no}: dossier intact ({check.objects} objects hashed, "
        f"{check.entries} timeline entries checked)"
    )


@archive_app.command("hold")
def hold(
    case_no: str = typer.Argument(..., help="the case number"),
    reason: str = typer.Option(..., "--reason", help="why nothing of it may be deleted"),
) -> None:
    """Put the dossier on legal hold (recorded on the case's timeline with the operator)."""
    actor = operator(ApprovalSettings()).subject
    _run(lambda deps: legal_hold(deps, case_no, reason=reason, actor=actor))
    typer.echo(f"case {case_no}: legal hold placed by {actor}")


@archive_app.command("release")
def release(case_no: str = typer.Argument(..., help="the case number")) -> None:
    """Lift the legal hold: the dossier is kept to its retention again."""
    actor = operator(ApprovalSettings()).subject
    _run(lambda deps: legal_hold(deps, case_no, reason=None, actor=actor))
    typer.echo(f"case {case_no}: legal hold lifted by {actor}")
