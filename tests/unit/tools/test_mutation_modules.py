"""The mutation tool's `--module` option (tests/support/mutation.py): a run limited to part of a
package, and the report saying which part was measured. Pure parts only: no mutmut run."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests.support import mutation
from tests.support.mutation import Mutant

PACKAGE = "pkg/domain"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    domain = tmp_path / "pkg" / "domain"
    (domain / "sub").mkdir(parents=True)
    (domain / "__pycache__").mkdir()
    for name in ("__init__.py", "owed.py", "owed_rules.py", "bundle_case.py", "bundle_view.py"):
        (domain / name).write_text("", encoding="utf-8")
    (domain / "sub" / "deep.py").write_text("", encoding="utf-8")
    (domain / "__pycache__" / "owed.cpython-311.py").write_text("", encoding="utf-8")
    (domain / "notes.txt").write_text("", encoding="utf-8")
    return tmp_path


def test_a_module_is_named_by_its_path_in_the_package(root: Path) -> None:
    assert mutation.select_modules(PACKAGE, ["owed.py"], root) == ["pkg.domain.owed"]
    assert mutation.select_modules(PACKAGE, ["owed"], root) == ["pkg.domain.owed"]
    assert mutation.select_modules(PACKAGE, ["sub/deep.py"], root) == ["pkg.domain.sub.deep"]


def test_a_glob_names_several_and_patterns_add_up(root: Path) -> None:
    assert mutation.select_modules(PACKAGE, ["bundle_*.py", "owed.py"], root) == [
        "pkg.domain.bundle_case",
        "pkg.domain.bundle_view",
        "pkg.domain.owed",
    ]
    # the same module twice counts once; compiled files are not modules
    assert mutation.select_modules(PACKAGE, ["owed*", "owed.py"], root) == [
        "pkg.domain.owed",
        "pkg.domain.owed_rules",
    ]


def test_the_package_init_is_the_package(root: Path) -> None:
    assert mutation.select_modules(PACKAGE, ["__init__.py"], root) == ["pkg.domain"]


def test_a_pattern_that_names_nothing_stops_the_run(root: Path) -> None:
    with pytest.raises(SystemExit, match="--module owd.py: no module of pkg/domain matches"):
        mutation.select_modules(PACKAGE, ["owed.py", "owd.py"], root)
    with pytest.raises(SystemExit, match="no module"):
        mutation.select_modules(PACKAGE, ["notes"], root)


def test_a_single_module_package_is_measured_whole(root: Path) -> None:
    with pytest.raises(SystemExit, match="single module"):
        mutation.select_modules("pkg/domain/owed.py", ["owed.py"], root)


def test_the_intake_bundle_modules_are_found_in_this_tree() -> None:
    modules = mutation.select_modules("services/intake/domain", ["bundle_*.py"])
    assert "services.intake.domain.bundle_case" in modules
    assert all(m.startswith("services.intake.domain.bundle_") for m in modules)


def matches(name: str, modules: list[str]) -> bool:
    return any(fnmatch(name, glob) for glob in mutation.mutant_globs(modules))


def test_the_globs_name_the_mutants_of_the_modules_and_no_others() -> None:
    owed = ["pkg.domain.owed"]
    assert matches("pkg.domain.owed.x_rest__mutmut_1", owed)
    assert matches("pkg.domain.owed.x\u01c1Owed\u01c1total__mutmut_12", owed)
    assert not matches("pkg.domain.owed_rules.x_rest__mutmut_1", owed)
    assert not matches("pkg.domain.bundle_case.x_rest__mutmut_1", owed)
    # the package's own functions, not its submodules'
    package = ["pkg.domain"]
    assert matches("pkg.domain.x_helper__mutmut_3", package)
    assert matches("pkg.domain.x\u01c1Case\u01c1open__mutmut_3", package)
    assert not matches("pkg.domain.owed.x_rest__mutmut_1", package)


def outcomes() -> list[Mutant]:
    return [
        Mutant("pkg.domain.owed.x_rest__mutmut_1", "killed"),
        Mutant("pkg.domain.owed.x_rest__mutmut_2", "timeout"),
        Mutant("pkg.domain.owed.x_rest__mutmut_3", "survived"),
        Mutant("pkg.domain.owed_rules.x_rule__mutmut_1", "killed"),
        Mutant("pkg.domain.bundle_case.x_held__mutmut_1", "not checked"),
        Mutant("pkg.domain.x_helper__mutmut_1", "killed"),
    ]


def test_the_part_is_filtered_by_exact_module() -> None:
    part = mutation.in_modules(outcomes(), ["pkg.domain.owed", "pkg.domain"])
    assert [m.name for m in part] == [
        "pkg.domain.owed.x_rest__mutmut_1",
        "pkg.domain.owed.x_rest__mutmut_2",
        "pkg.domain.owed.x_rest__mutmut_3",
        "pkg.domain.x_helper__mutmut_1",
    ]
    assert mutation.in_modules(outcomes(), None) == outcomes()


def test_the_part_score_counts_only_its_mutants() -> None:
    assert mutation.part_summary(outcomes(), ["pkg.domain.owed"]) == (
        "`pkg.domain.owed`: 2 / 3 killed (66.7 %)"
    )


def test_the_report_says_which_part_a_run_measured_and_what_stands_from_before() -> None:
    run = {
        "command": "python -m tests.support.mutation --package pkg/domain --module owed.py",
        "date": "2026-12-02",
        "modules": ["pkg.domain.owed"],
        "earlier": [{"command": "python -m tests.support.mutation --package pkg/domain"}],
    }
    part, earlier = mutation.run_lines(run, outcomes())
    assert "`pkg.domain.owed`: 2 / 3 killed (66.7 %)" in part
    assert "(`--module`)" in part
    assert "`python -m tests.support.mutation --package pkg/domain`" in earlier
    assert mutation.run_lines({"command": "c", "date": "d"}, outcomes()) == []


def test_module_needs_exactly_one_package() -> None:
    with pytest.raises(SystemExit):
        mutation.parse_args(["--module", "owed.py"])
    with pytest.raises(SystemExit):
        mutation.parse_args(
            ["--package", "shared/calendar", "--package", "services/intake/domain"]
            + ["--module", "owed.py"]
        )
    with pytest.raises(SystemExit):
        mutation.parse_args(
            ["--package", "services/intake/domain", "--module", "owed.py", "--report-only"]
        )
    args = mutation.parse_args(
        ["--package", "services/intake/domain", "--module", "owed.py", "--module", "bundle_*"]
    )
    assert args.module == ["owed.py", "bundle_*"]


def test_the_run_record_names_the_part_and_keeps_the_earlier_runs() -> None:
    args = mutation.parse_args(
        ["--package", "services/intake/domain", "--module", "owed.py", "--max-children", "1"]
    )
    earlier = {"command": "first", "date": "2026-12-01", "earlier": [{"command": "zeroth"}]}
    run = mutation.run_record(
        "services/intake/domain",
        args,
        61.04,
        modules=["services.intake.domain.owed"],
        earlier=earlier,
        retested=0,
    )
    assert run["command"] == (
        "python -m tests.support.mutation --package services/intake/domain --module owed.py"
        " --max-children 1"
    )
    assert run["modules"] == ["services.intake.domain.owed"]
    assert [e["command"] for e in run["earlier"]] == ["zeroth", "first"]
    assert "based_on" not in run
    fresh = mutation.parse_args(["--package", "services/intake/domain", "--fresh"])
    fresh_run = mutation.run_record(
        "services/intake/domain", fresh, 1.0, modules=None, earlier=earlier, retested=0
    )
    assert "earlier" not in fresh_run and "modules" not in fresh_run
