import json
from pathlib import Path

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


def test_results_that_used_a_provisional_year_say_so_on_the_same_line() -> None:
    result = runner.invoke(calendar_app, ["add", "2026-12-30", "3"])
    assert (result.exit_code, result.stdout) == (0, "2027-01-05 provisional\n")
    assert runner.invoke(calendar_app, ["add", "2026-12-01", "3"]).stdout == "2026-12-04\n"
    assert runner.invoke(calendar_app, ["check", "2027-02-05"]).stdout == "holiday provisional\n"
    assert runner.invoke(calendar_app, ["check", "2027-02-09"]).stdout == "working provisional\n"
    result = runner.invoke(calendar_app, ["between", "2026-12-30", "2027-01-10"])
    assert (result.exit_code, result.stdout) == (0, "6 provisional\n")


def test_status_lists_each_year_official_or_provisional() -> None:
    result = runner.invoke(calendar_app, ["status"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2025 official 国务院办公厅关于2025年部分节假日安排的通知")
    assert lines[1].startswith("2026 official ")
    assert lines[2] == "2027 provisional"
    assert len(lines) == 3  # one line a year; the version goes to stderr
    assert result.stderr.startswith("calendar version 2026.")


def test_a_year_beyond_the_horizon_exits_2_naming_it() -> None:
    result = runner.invoke(calendar_app, ["add", "2027-12-20", "20"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "schedule for 2028 is neither published nor provisional" in result.stderr
    result = runner.invoke(calendar_app, ["check", "2024-05-01"])
    assert result.exit_code == 2
    assert "2024" in result.stderr
    assert runner.invoke(calendar_app, ["between", "2027-12-01", "2028-01-05"]).exit_code == 2


def test_publish_refuses_an_invalid_file_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "2027.json"
    path.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "test",
                "off": ["2027-01-01"],
                "extra_working_days": ["2027-02-10"],  # a Wednesday
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(calendar_app, ["publish", str(path)])
    assert result.exit_code == 2
    assert "refused, nothing published" in result.stderr
    assert "2027-02-10 is not a Saturday or Sunday" in result.stderr


def test_a_malformed_date_is_a_usage_error() -> None:
    result = runner.invoke(calendar_app, ["check", "2025-13-01"])
    assert result.exit_code == 2
    assert "expected an ISO date" in result.stderr
