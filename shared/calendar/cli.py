"""``calendar`` commands: working-day arithmetic on the packaged official calendar.

Mounted into the main ``egov`` CLI; exits with code 2 when a year is not covered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

import typer

from shared.calendar.working import CalendarCoverageError, WorkingCalendar, load_default_calendar
from shared.clock import SHANGHAI, SystemClock

calendar_app = typer.Typer(
    help="Working days of the official calendar (Asia/Shanghai).", no_args_is_help=True
)

T = TypeVar("T")


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"expected an ISO date such as 2025-10-01, got {value!r}"
        ) from None


DateArg = Annotated[date, typer.Argument(parser=_parse_date, metavar="DATE")]
FirstDateArg = Annotated[date, typer.Argument(parser=_parse_date, metavar="DATE1")]
LastDateArg = Annotated[date, typer.Argument(parser=_parse_date, metavar="DATE2")]


def _run(compute: Callable[[WorkingCalendar], T]) -> T:
    try:
        return compute(load_default_calendar())
    except CalendarCoverageError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=2) from error


@calendar_app.command()
def add(
    start: DateArg,
    n: Annotated[int, typer.Argument(min=0, metavar="N", help="number of working days")],
) -> None:
    """Print the N-th working day after DATE (DATE itself not counted)."""
    typer.echo(_run(lambda calendar: calendar.add_working_days(start, n)).isoformat())


@calendar_app.command()
def between(first: FirstDateArg, last: LastDateArg) -> None:
    """Print the number of working days after DATE1 up to and including DATE2."""
    typer.echo(_run(lambda calendar: calendar.working_days_between(first, last)))


@calendar_app.command()
def check(day: DateArg) -> None:
    """Print `working` or `holiday` for DATE."""
    working = _run(lambda calendar: calendar.is_working_day(day))
    typer.echo("working" if working else "holiday")


@calendar_app.command()
def coverage(
    today: Annotated[
        date | None,
        typer.Option(parser=_parse_date, metavar="DATE", help="default: today in Asia/Shanghai"),
    ] = None,
) -> None:
    """Print the last date covered by the loaded official schedules and the days left."""
    calendar = load_default_calendar()
    reference = today if today is not None else SystemClock().now().astimezone(SHANGHAI).date()
    typer.echo(f"last covered date: {calendar.last_covered_date().isoformat()}")
    typer.echo(f"days left: {calendar.coverage_days_left(reference)}")
