"""``calendar`` commands: working-day arithmetic, the years in force, publishing a new year.

Mounted into the main ``egov`` CLI. A result that used a provisional year (one whose official
schedule is not yet published) is followed by `` provisional`` on the same line; a year beyond the
provisional horizon exits with code 2 and a message naming it. Scripts rely on this output.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError

import shared.calendar.audit  # noqa: F401 - registers the calendar's chain with `egov audit`
from shared.calendar.schedule import YearSchedule, read_year_file
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
BusOpt = Annotated[
    bool,
    typer.Option("--bus", help="also the schedules published on the bus (EGOV_KAFKA_BOOTSTRAP)"),
]


def _calendar(bus: bool) -> WorkingCalendar:
    calendar = load_default_calendar()
    if bus:
        from shared.calendar.publish import read_published
        from shared.settings import ServiceSettings

        for schedule in asyncio.run(read_published(ServiceSettings(service_name="cli"))):
            calendar.publish(schedule)
    return calendar


def _run(bus: bool, compute: Callable[[WorkingCalendar], T], *span: date) -> tuple[T, str]:
    calendar = _calendar(bus)
    try:
        result = compute(calendar)
        provisional = calendar.touches_provisional(*span, *_dates(result))
    except CalendarCoverageError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=2) from error
    return result, " provisional" if provisional else ""


def _dates(result: object) -> tuple[date, ...]:
    return (result,) if isinstance(result, date) else ()


@calendar_app.command()
def add(
    start: DateArg,
    n: Annotated[int, typer.Argument(min=0, metavar="N", help="number of working days")],
    bus: BusOpt = False,
) -> None:
    """Print the N-th working day after DATE (DATE itself not counted)."""
    day, mark = _run(bus, lambda calendar: calendar.add_working_days(start, n), start)
    typer.echo(f"{day.isoformat()}{mark}")


@calendar_app.command()
def between(first: FirstDateArg, last: LastDateArg, bus: BusOpt = False) -> None:
    """Print the number of working days after DATE1 up to and including DATE2."""
    count, mark = _run(bus, lambda c: c.working_days_between(first, last), first, last)
    typer.echo(f"{count}{mark}")


@calendar_app.command()
def check(day: DateArg, bus: BusOpt = False) -> None:
    """Print `working` or `holiday` for DATE."""
    working, mark = _run(bus, lambda calendar: calendar.is_working_day(day), day)
    typer.echo(f"{'working' if working else 'holiday'}{mark}")


@calendar_app.command()
def status(bus: BusOpt = False) -> None:
    """Print each year the calendar computes: `official <source>` or `provisional`."""
    calendar = _calendar(bus)
    for year in calendar.year_status():
        typer.echo(f"{year.year} {year.describe()}")
    typer.echo(f"calendar version {calendar.version}", err=True)  # stdout: one line a year


@calendar_app.command()
def coverage(
    today: Annotated[
        date | None,
        typer.Option(parser=_parse_date, metavar="DATE", help="default: today in Asia/Shanghai"),
    ] = None,
    bus: BusOpt = False,
) -> None:
    """Print the last date covered by official schedules and the days left."""
    calendar = _calendar(bus)
    reference = today if today is not None else SystemClock().now().astimezone(SHANGHAI).date()
    typer.echo(f"last covered date: {calendar.last_covered_date().isoformat()}")
    typer.echo(f"days left: {calendar.coverage_days_left(reference)}")


@calendar_app.command()
def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, metavar="FILE")],
) -> None:
    """Validate one year's schedule file and publish it to every service (calendar.published)."""
    from shared.calendar.publish import AlreadyPublished, publish_schedule
    from shared.settings import ServiceSettings

    try:
        schedule: YearSchedule = read_year_file(file)
    except (ValidationError, ValueError) as error:
        typer.echo(f"{file}: refused, nothing published:\n{error}", err=True)
        raise typer.Exit(code=2) from None
    try:
        outcome = asyncio.run(publish_schedule(ServiceSettings(service_name="cli"), schedule))
    except AlreadyPublished as error:
        typer.echo(f"{file}: refused, nothing published: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(outcome)
