"""`python -m demo`: a simulated day of a city's service hall against the running local platform."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime
from pathlib import Path

import typer

from demo.bus import read_all
from demo.day import Day, DayResult, Endpoints
from demo.summary import summarise
from shared.clock import Clock, SimulatedClock, SystemClock
from shared.runtime import calendar_from_settings
from shared.settings import ServiceSettings

CLOCK_FILE = Path(".dev/local/clock.json")


def _clock() -> tuple[Clock, float]:
    values = dict(os.environ)
    if CLOCK_FILE.exists():
        values.update(json.loads(CLOCK_FILE.read_text()))
    speed = float(values.get("EGOV_CLOCK_SPEED", "1"))
    if speed == 1.0 or "EGOV_CLOCK_REAL_EPOCH" not in values:
        return SystemClock(), 1.0
    epoch = datetime.fromisoformat(values["EGOV_CLOCK_REAL_EPOCH"])
    origin = datetime.fromisoformat(
        values.get("EGOV_CLOCK_SIM_ORIGIN", values["EGOV_CLOCK_REAL_EPOCH"])
    )
    return SimulatedClock(epoch, origin, speed), speed


def demo(
    cases: int = typer.Option(500, help="how many cases the day brings"),
    bundles: int = typer.Option(
        -1, help="bundle (一件事) applications besides the cases (default: one per 50 cases)"
    ),
    seed: int = typer.Option(7, help="the same seed gives the same day"),
    concurrency: int = typer.Option(8, help="applicants submitting at once"),
    limit_s: float = typer.Option(1800, help="give up after this many real seconds"),
    intake: str = typer.Option("http://127.0.0.1:8001", envvar="EGOV_INTAKE_URL"),
    approval: str = typer.Option("http://127.0.0.1:8002", envvar="EGOV_APPROVAL_URL"),
    monitor: str = typer.Option("http://127.0.0.1:8003", envvar="EGOV_MONITOR_URL"),
    notify: str = typer.Option("http://127.0.0.1:8004", envvar="EGOV_NOTIFY_URL"),
    credit: str = typer.Option("http://127.0.0.1:8005", envvar="EGOV_CREDIT_URL"),
) -> None:
    """Simulate a day of a service hall against the running platform (`make demo` starts one)."""
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    console = Console()
    clock, speed = _clock()
    if speed == 1.0:
        console.print(
            "[yellow]the platform runs on the real clock: deadlines take days. "
            "Use `make stop && make demo` (or `make run SPEED=7200`).[/yellow]"
        )
    settings = ServiceSettings(service_name="demo")
    endpoints = Endpoints(intake, approval, monitor, notify, credit, settings.kafka_bootstrap)
    board_cache: dict[str, object] = {}

    def render(phase: str, result: DayResult) -> Table:
        table = Table(
            title=f"simulated {clock.now().astimezone().strftime('%Y-%m-%d %H:%M')} — {phase}"
        )
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("submitted", f"{result.submitted}/{len(result.planned)}")
        for action, n in sorted(result.actions.items()):
            table.add_row(action, str(n))
        for k, v in board_cache.items():
            table.add_row(f"board: {k}", str(v))
        if result.errors:
            table.add_row("[red]errors[/red]", str(len(result.errors)))
        return table

    async def main() -> None:
        import httpx

        live = Live(console=console, refresh_per_second=4)
        last = [0.0]

        def progress(phase: str, result: DayResult) -> None:
            live.update(render(phase, result))

        day = Day(
            endpoints,
            clock=clock,
            calendar=calendar_from_settings(settings),
            settings=settings,
            cases=cases,
            seed=seed,
            concurrency=concurrency,
            progress=progress,
            bundles=bundles if bundles >= 0 else max(1, cases // 50),
        )

        async def poll_board() -> None:
            async with httpx.AsyncClient(timeout=5) as http:
                while True:
                    try:
                        board = (
                            await http.get(
                                f"{monitor}/v1/board", headers=day.officers.system_headers()
                            )
                        ).json()
                        counts = board.get("counts") or board.get("by_colour") or {}
                        board_cache.update({str(k): v for k, v in counts.items()})
                    except Exception:  # noqa: BLE001 - the board is decoration
                        pass
                    await asyncio.sleep(1)
                    last[0] += 1

        with live:
            poller = asyncio.create_task(poll_board())
            try:
                result = await day.run(limit_s=limit_s)
            finally:
                poller.cancel()
        console.print(
            f"\nthe day took {result.seconds:.0f} s of wall time ({len(result.planned)} cases)"
        )
        records = await read_all(settings.kafka_bootstrap)
        bundle_cases = day.bundles.case_ids if day.bundles else set()
        for line in summarise(
            records, set(day.by_case) | bundle_cases, set(day.by_external)
        ).lines():
            console.print("  " + line)
        for err in result.errors[:10]:
            console.print(f"  [red]{err}[/red]")
        console.print("\nwhere to look:")
        for name, url in (
            ("intake", intake),
            ("approval", approval),
            ("monitor board", f"{monitor}/v1/board"),
            ("notify", notify),
            ("credit", credit),
        ):
            console.print(f"  {name:<14} {url}")
        console.print("  prometheus     http://127.0.0.1:9090 (alerts: /alerts)")
        console.print("  mail folder    .dev/local/mail/new")

    asyncio.run(main())
