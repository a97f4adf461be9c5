"""bench.report: a benchmark replaces only its own marked section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import write_section

PAGE = (
    "# Benchmarks\n\nIntro.\n\n"
    "<!-- stores:start -->\n## Stores\n\nold figures\n<!-- stores:end -->\n\n"
    "## Next section\n\nkept.\n"
)


def test_the_section_is_replaced_and_the_rest_of_the_page_kept_byte_for_byte(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text(PAGE, encoding="utf-8")
    new = "<!-- stores:start -->\n## Stores\n\nnew figures\n<!-- stores:end -->\n"

    write_section("stores", new, docs)
    write_section("stores", new, docs)  # a second run changes nothing more

    assert docs.read_text(encoding="utf-8") == PAGE.replace("old figures", "new figures")


def test_a_first_run_appends_its_section(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nIntro.\n\n\n", encoding="utf-8")

    write_section(
        "uploads-bench", "<!-- uploads-bench:start -->\nx\n<!-- uploads-bench:end -->", docs
    )

    assert docs.read_text(encoding="utf-8") == (
        "# Benchmarks\n\nIntro.\n\n<!-- uploads-bench:start -->\nx\n<!-- uploads-bench:end -->\n"
    )


def test_a_section_without_its_markers_is_refused(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text(PAGE, encoding="utf-8")

    with pytest.raises(ValueError, match="stores"):
        write_section("stores", "## Stores\n\nno markers\n", docs)
    assert docs.read_text(encoding="utf-8") == PAGE
