from typer.testing import CliRunner

from shared.calendar.cli import calendar_app

runner = CliRunner()


def test_add_prints_the_deadline_day() -> None:
    result = runner.invoke(calendar_app, ["add", "2025-09-30", "3"])
    assert result.exit_code == 0
    assert result.stdout == "2025-10-11\n"


def test_between_counts_working_days_after_the_first_date() -> None:
    result = runner.invoke(calendar_app, ["between", "2025-01-27", "2025-02-05"])
    assert result.exit_code == 0
    assert result.stdout == "1\n"


def test_check_says_working_or_holiday() -> None:
    assert runner.invoke(calendar_app, ["check", "2026-02-14"]).stdout == "working\n"
    assert runner.invoke(calendar_app, ["check", "2026-02-16"]).stdout == "holiday\n"
    assert runner.invoke(calendar_app, ["check", "2026-03-07"]).stdout == "holiday\n"  # Saturday


def test_coverage_prints_last_covered_date_and_days_left() -> None:
    result = runner.invoke(calendar_app, ["coverage", "--today", "2026-11-30"])
    assert result.exit_code == 0
    assert result.stdout == "last covered date: 2026-12-31\ndays left: 31\n"


def test_coverage_defaults_to_today() -> None:
    result = runner.invoke(calendar_app, ["coverage"])
    assert result.exit_code == 0
    assert "last covered date: 2026-12-31" in result.stdout


def test_an_uncovered_year_exits_2_with_the_reason_on_stderr() -> None:
    result = runner.invoke(calendar_app, ["add", "2026-12-31", "1"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "schedule for 2027 is not loaded" in result.stderr
    result = runner.invoke(calendar_app, ["check", "2024-05-01"])
    assert result.exit_code == 2
    assert "2024" in result.stderr


def test_a_malformed_date_is_a_usage_error() -> None:
    result = runner.invoke(calendar_app, ["check", "2025-13-01"])
    assert result.exit_code == 2
    assert "expected an ISO date" in result.stderr
