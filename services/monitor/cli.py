"""`egov assess`: rebuild the supervision history from the topics, print a period's bulletin
(考核通报) or public statistics. Runs beside the workers, on the monitor's settings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import typer

assess_app = typer.Typer(help="Supervision history, department assessment, public statistics.")
commands = {"assess": assess_app}


@asynccontextmanager
async def _opened() -> AsyncIterator[tuple[Any, Any, Any]]:
    from services.monitor.history.store import MongoHistory
    from services.monitor.settings import MonitorSettings
    from shared.mongo.client import create_client, database

    settings = MonitorSettings()
    client = create_client(settings)
    try:
        history = MongoHistory(database(client, settings))
        await history.ensure_indexes()
        yield settings, history, client
    finally:
        await client.close()


class Refused(Exception):
    pass


@assess_app.command("rebuild")
def rebuild(
    drop: bool = typer.Option(True, help="start from empty collections (else fold into them)"),
    force: bool = typer.Option(False, help="drop even if the topics no longer hold it all"),
) -> None:
    """Fold every event the topics hold into the history (idempotent: events already folded
    change nothing). With --drop (the default) the history is rebuilt from empty, unless the
    topics have already lost events older than the oldest day it holds (--force drops anyway)."""
    from services.monitor.history.feed import replay
    from shared.calendar.feed import CalendarFeed
    from shared.runtime import calendar_from_settings

    async def run() -> int:
        async with _opened() as (settings, history, _):
            oldest = await history.oldest_day()
            calendar = calendar_from_settings(settings)
            feed = CalendarFeed(settings, calendar)
            await feed.start()  # every schedule published so far, as the workers count
            await feed.stop()

            def check(retained: str | None) -> None:
                if drop and oldest and (retained is None or retained > oldest) and not force:
                    raise Refused(
                        f"the history goes back to {oldest}, the topics to {retained}: "
                        "dropping would lose the difference (--no-drop folds into it, "
                        "--force drops anyway)"
                    )

            if drop:
                check(await _retained(settings, history, calendar))
                await history.drop()
                await history.start()  # empty: quarter rollups whole from the first one
            return await replay(settings, history, calendar)

    try:
        read = asyncio.run(run())
    except Refused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"history rebuilt from {read} messages")


async def _retained(settings: Any, history: Any, calendar: Any) -> str | None:
    """The oldest day the topics still hold, read without folding anything."""
    from services.monitor.history.feed import replay

    seen: list[str | None] = []

    def stop(retained: str | None) -> None:
        seen.append(retained)
        raise Refused("peek")

    try:
        await replay(settings, history, calendar, before_folding=stop)
    except Refused:
        pass
    return seen[0] if seen else None


@assess_app.command("quarters")
def quarters_command() -> None:
    """Sum every quarter's rollups from its months and every dekad's from its days, once, for a
    history folded before quarter or dekad rollups existed; until then its earlier quarters are
    read from their months and its earlier dekads from their days. Stop the monitor workers
    first (their history feeds): an event folded meanwhile would be lost from its quarter."""

    async def run() -> int:
        async with _opened() as (_, history, _client):
            return int(await history.sum_quarters())

    typer.echo(f"{asyncio.run(run()):,} quarter and dekad rollups summed from months and days")


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"written {out}")


@assess_app.command("bulletin")
def bulletin_command(
    period: str = typer.Option(
        None, help="2026, 2026-H1, 2026-Q1, 2026-03 or a..b; default the model's last whole period"
    ),  # fmt: skip
    by: str = typer.Option("department", help="department, region or item_code"),
    region: str = typer.Option(None, help="only this region and those under it"),
    fmt: str = typer.Option("markdown", "--format", help="markdown, json or pdf (needs --out)"),
    out: Path = typer.Option(None, help="file to write (default: standard output)"),
    font: Path = typer.Option(None, help="pdf: a font file with Chinese (default: found)"),
) -> None:
    """The assessment bulletin (考核通报) of a period, from the rollups."""
    from services.monitor.history import reports
    from services.monitor.history.bulletin import markdown
    from services.monitor.history.model import last_complete, load_model, parse_period
    from shared.clock import SHANGHAI
    from shared.runtime import clock_from_settings

    if by not in ("department", "region", "item_code") or fmt not in ("markdown", "json", "pdf"):
        raise typer.BadParameter("--by department|region|item_code, --format markdown|json|pdf")
    if fmt == "pdf" and out is None:
        raise typer.BadParameter("--format pdf writes a file: give --out")

    async def run() -> dict[str, Any]:
        async with _opened() as (settings, history, _):
            model = load_model(settings.assessment_model_file)
            now = clock_from_settings(settings).now()
            chosen = (
                parse_period(period)
                if period
                else last_complete(model.period, now.astimezone(SHANGHAI).date())
            )
            return await reports.assessment(history, model, chosen, by=by, scope=region, at=now)

    doc = asyncio.run(run())
    if fmt == "pdf":
        from services.monitor.history.pdf import pdf_bulletin

        out.write_bytes(pdf_bulletin(doc, font=font))
        typer.echo(f"written {out}")
        return
    text = (
        markdown(doc)
        if fmt == "markdown"
        else json.dumps(doc, ensure_ascii=False, indent=2, default=str)
    )
    _write(text, out)


@assess_app.command("statistics")
def statistics_command(
    period: str = typer.Option(..., help="2026, 2026-H1, 2026-Q1, 2026-03 or a..b"),
    region: str = typer.Option(None),
    out: Path = typer.Option(None, help="file to write (default: standard output)"),
) -> None:
    """The public statistics of a period as JSON (what GET /v1/public/statistics answers)."""
    from services.monitor.history import reports
    from services.monitor.history.model import load_model, parse_period

    async def run() -> dict[str, Any]:
        async with _opened() as (settings, history, _):
            model = load_model(settings.assessment_model_file)
            return await reports.public_statistics(
                history, model, parse_period(period), region=region
            )

    doc = asyncio.run(run())
    _write(json.dumps(doc, ensure_ascii=False, indent=2, default=str), out)
