"""`egov audit verify`: the audit chains of every service that keeps one, checked link by link
up to their stored heads and (`--bus`) against the signed checkpoints on the bus.

A service offers its chains by registering a source (its ``cli.py``, which the ``egov`` command
imports): ``register_source(scope, open_source)`` where ``open_source`` opens the service's own
database with its own settings (``mongo_source`` makes one).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import typer

from shared.audit.keys import AuditKeys
from shared.audit.report import ChainReport, ChainSource, audit_all, audit_chain
from shared.contracts.events import AuditCheckpoint
from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.database import AsyncDatabase

OpenSource = Callable[[], AbstractAsyncContextManager[ChainSource]]
SOURCES: dict[str, OpenSource] = {}
DEFAULT_CHAIN = "approval.case"

audit_app = typer.Typer(no_args_is_help=True, help="audit chains: verify (keyed, checkpointed)")


def register_source(scope: str, open_source: OpenSource) -> None:
    SOURCES[scope] = open_source


def mongo_source(
    settings: Callable[[], ServiceSettings],
    make: Callable[[AsyncMongoClient[Any], AsyncDatabase[Any]], ChainSource],
) -> OpenSource:
    """An ``OpenSource`` over a service's own database: ``settings()`` names it (read when the
    command runs), ``make(client, db)`` builds the service's chain source over it."""

    @asynccontextmanager
    async def open_source() -> AsyncIterator[ChainSource]:
        from shared.mongo import create_client, database

        service_settings = settings()
        client = create_client(service_settings)
        try:
            yield make(client, database(client, service_settings))
        finally:
            await client.close()

    return open_source


def _settings() -> ServiceSettings:
    return ServiceSettings(service_name="cli")


async def read_bus(settings: ServiceSettings) -> tuple[list[AuditCheckpoint], list[str]]:
    from shared.audit.bus import read_checkpoints

    found = await read_checkpoints(settings)
    return found.checkpoints, found.unreadable


async def _run(
    scopes: list[str], chain_id: str | None, *, with_bus: bool
) -> tuple[list[ChainReport], list[str]]:
    settings = _settings()
    keys = AuditKeys.from_setting(settings.audit_key.get_secret_value())
    bus, unreadable = await read_bus(settings) if with_bus else (None, [])
    reports: list[ChainReport] = []
    for scope in scopes:
        async with SOURCES[scope]() as source:
            if chain_id is None:
                reports += await audit_all(source, keys=keys, bus=bus)
            elif (report := await audit_chain(source, chain_id, keys=keys, bus=bus)) is not None:
                reports.append(report)
    return reports, unreadable


@audit_app.command("verify")
def verify_command(
    chain_id: str | None = typer.Argument(None, help="case number (or record id), or --all"),
    chain: str | None = typer.Option(
        None, "--chain", help=f"kind of chain (default {DEFAULT_CHAIN}; with --all: every kind)"
    ),
    every: bool = typer.Option(False, "--all", help="every chain of the kind (or of every kind)"),
    bus: bool = typer.Option(
        False, "--bus", help="also check against the signed checkpoints on egov.audit.checkpoints"
    ),
) -> None:
    """Recompute every keyed link, check that each chain ends at its stored head, and with --bus
    that the bus's checkpoints agree. Exit 1 when a chain is broken (its first broken link is
    reported: entry number, index, reason, the entry as stored), 2 when nothing is found."""
    if (chain_id is None) == (not every):
        typer.echo("give a case number (or record id) or --all, not both", err=True)
        raise typer.Exit(2)
    scopes = [chain] if chain else (sorted(SOURCES) if every else [DEFAULT_CHAIN])
    if unknown := [s for s in scopes if s not in SOURCES]:
        typer.echo(f"unknown chain {unknown[0]!r}; known: {', '.join(sorted(SOURCES))}", err=True)
        raise typer.Exit(2)
    reports, unreadable = asyncio.run(_run(scopes, chain_id, with_bus=bus))
    for problem in unreadable:
        typer.echo(f"warning: egov.audit.checkpoints {problem}: not a checkpoint", err=True)
    if not reports:
        typer.echo(f"{chain_id or 'nothing'}: no such chain, no entries", err=True)
        raise typer.Exit(2)
    for report in reports:
        for line in report.lines():
            typer.echo(line)
    if any(r.broken is not None for r in reports):
        raise typer.Exit(1)


async def _adopt(scope: str) -> list[str] | None:
    from shared.audit.admin import AdminChains, Chaining, operator
    from shared.clock import SystemClock

    settings = _settings()
    keys = AuditKeys.from_setting(settings.audit_key.get_secret_value())
    async with SOURCES[scope]() as source:
        if not isinstance(source, AdminChains):
            return None
        chaining = Chaining(source.log, keys, SystemClock(), "/egov/operator")
        return await source.adopt(chaining, actor=operator(settings))


@audit_app.command("adopt")
def adopt_command(
    chain: str = typer.Option(..., "--chain", help="kind of admin chain, e.g. intake.catalog"),
) -> None:
    """Chain each thing of an admin chain's kind that has none (stored before its changes were
    chained) as it stands now, adopted by you: what `verify` otherwise reports as having no audit
    entry. It vouches for whatever it finds: check those things first."""
    if chain not in SOURCES:
        typer.echo(f"unknown chain {chain!r}; known: {', '.join(sorted(SOURCES))}", err=True)
        raise typer.Exit(2)
    adopted = asyncio.run(_adopt(chain))
    if adopted is None:
        typer.echo(f"{chain} is not a chain of admin changes: nothing to adopt", err=True)
        raise typer.Exit(2)
    for chain_id in adopted:
        typer.echo(f"{chain} {chain_id}: adopted")
    typer.echo(f"{len(adopted)} adopted", err=True)
