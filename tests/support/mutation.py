"""Mutation score of the pure domain packages and shared/calendar (`make mutation`, issue 17).

    python -m tests.support.mutation [--package PATH ...] [--module PATH ...] [--max-children N]
                                     [--report-only] [--fresh] [--retest]

Runs mutmut (3.x, the dev extra) over one package at a time with that package's unit tests and
writes docs/mutation/<package>.md: the score, the counts by outcome, every surviving mutant as
mutmut's id with its `mutmut show` diff, the functions no selected test calls and the
definitions mutmut does not mutate. Not part of CI (too slow for two cores); the reports are
committed.

mutmut works in a `mutants/` copy of the source tree next to pyproject.toml and reads its
settings from that pyproject's [tool.mutmut]. Each package therefore gets a work directory of
its own, .mutation/<slug>/ (git-ignored): a copy of what the tests import or read (COPIED) and a
pyproject.toml with a [tool.mutmut] table for that package (PACKAGES below). The tests import
`shared.*` and `services.*` from the root of that copy, so the whole of shared/ and services/ is
copied along (`also_copy`), and only the package under test is mutated. mutmut keeps its results
in the work directory: a second run retests only the functions whose code changed; `--fresh`
starts over; `--report-only` writes the report again from the results so far (of an
interrupted run, say, or after docs/mutation/equivalent.toml changed). `--module PATH` (a path
in the package, a glob allowed) limits a run to the mutants of those modules; the report gives
the part's score and names the earlier runs whose results stand for the rest.

Mutants that survive but cannot change any behaviour (equivalent mutants) are listed with their
reason in docs/mutation/equivalent.toml, a table per package of `"mutant id" = "reason"`; the
report marks them. The score is killed / total either way; a timeout counts as killed (the
suite would hang, not pass).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
WORK_ROOT = REPO_ROOT / ".mutation"
REPORT_DIR = REPO_ROOT / "docs" / "mutation"
EQUIVALENT_FILE = REPORT_DIR / "equivalent.toml"
# what the unit tests import or read, copied into each work directory (and by mutmut into mutants/)
# (tests/unit/demo imports demo/, which imports dev/; the docs tests and the contract picture read
# README.md, docs/)
COPIED = ("shared", "services", "demo", "dev", "tests", "docs", "README.md")

# Package (file or directory, from the repository root) -> the unit tests that run against it.
# mutmut maps each test to the functions it calls and runs, for each mutant, only the tests that
# reach the mutated function, so a wide selection costs one extra suite run, not one per mutant.
# The calendar is used by every service, so the whole unit suite counts for it, less the tests
# of the tooling in tests/unit/tools (not copied into the work directory), the demo's subprocess
# smoke test (see below) and one test that asserts on
# the process-wide Prometheus registry: mutmut runs the suite several times in one process
# (stats, clean run, then forks per mutant), and its label set from the first run is still there.
PACKAGES: dict[str, list[str]] = {
    "shared/calendar": [
        "tests/unit",
        "--ignore=tests/unit/tools",
        "--deselect=tests/unit/shared/test_consumer.py"
        "::test_a_thousand_invented_types_stay_a_bounded_number_of_series",
        # starts `python -m demo --help` with a 60 s timeout, which a child at nice 19 on busy
        # cores overran in the stats run (mutmut then gives up); it checks no calendar rule
        "--ignore=tests/unit/demo/test_demo_run.py",
    ],
    "services/approval/domain": ["tests/unit/approval"],
    "services/credit/domain": ["tests/unit/credit"],
    "services/intake/domain": ["tests/unit/intake"],
    "services/monitor/domain": ["tests/unit/monitor"],
    "services/notify/domain": ["tests/unit/notify"],
}

# mutmut's outcomes (`mutmut results --all true`) and how the score counts them.
KILLED = {"killed", "timeout", "caught by type check"}


def slug(package: str) -> str:
    return package.removesuffix(".py").replace("/", "-")


def module_of(package_root: Path, path: Path) -> str:
    """The dotted module name mutmut gives `path` (a package's `__init__.py` is the package)."""
    module = ".".join(path.relative_to(package_root).with_suffix("").parts)
    return module.removesuffix(".__init__")


def select_modules(package: str, patterns: list[str], root: Path = REPO_ROOT) -> list[str]:
    """The modules of `package` that `--module` patterns name, as dotted module names.

    A pattern is a path relative to the package, a glob allowed (`bundle_*.py`, `owed.py`,
    `sub/*.py`); the `.py` may be left out. A pattern that names no module of the package is an
    error: a typo must not measure nothing and report it as measured.
    """
    base = root / package
    if base.is_file():
        raise SystemExit(f"--module: {package} is a single module, measure it whole")
    found: set[str] = set()
    for pattern in patterns:
        glob = pattern if pattern.endswith(".py") else f"{pattern}.py"
        matches = [p for p in base.glob(glob) if p.is_file() and "__pycache__" not in p.parts]
        if not matches:
            raise SystemExit(f"--module {pattern}: no module of {package} matches")
        found.update(module_of(root, p) for p in matches)
    return sorted(found)


def mutant_globs(modules: list[str]) -> list[str]:
    """mutmut's names for every mutant of `modules` (`mutmut run` takes fnmatch patterns).

    A mutant is named `<module>.x_<function>__mutmut_N` or `<module>.xǁ<Class>ǁ<method>__mutmut_N`;
    spelling out both prefixes keeps a package's `__init__` from matching its submodules.
    """
    return [f"{module}.{prefix}*" for module in modules for prefix in ("x_", "x\u01c1")]


def in_modules(mutants: list[Mutant], modules: list[str] | None) -> list[Mutant]:
    return mutants if modules is None else [m for m in mutants if m.module in modules]


def mutmut_settings(package: str) -> dict[str, object]:
    return {
        "source_paths": [package],
        # the rest of the tree the tests import or read, unmutated
        "also_copy": [name if "." in name else f"{name}/" for name in COPIED],
        "pytest_add_cli_args_test_selection": PACKAGES[package],
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        # the work directory is a copy inside a git work tree; mutmut's git-based cache
        # invalidation would look at the wrong tree
        "use_git_change_detection": False,
        # a run at nice 19 next to other work is starved of the CPU for long stretches: mutmut's
        # wall-clock limit (15x a test's baseline time) then calls live mutants timeouts, which
        # count as killed; a genuine endless loop is still stopped, later
        "timeout_multiplier": 60.0,
    }


def toml_table(name: str, values: dict[str, object]) -> str:
    # JSON strings, booleans and arrays of strings are valid TOML values
    lines = [f"[{name}]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def prepare(package: str, workdir: Path, *, fresh: bool) -> None:
    if fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in COPIED:
        target = workdir / name
        # copy2 keeps modification times: mutmut compares them to reuse earlier results
        if (REPO_ROOT / name).is_file():
            shutil.copy2(REPO_ROOT / name, target)
            continue
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(REPO_ROOT / name, target, ignore=ignore)
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if "[tool.mutmut]" in pyproject:
        raise SystemExit("pyproject.toml has a [tool.mutmut] table: the settings live here")
    pyproject += "\n" + toml_table("tool.mutmut", mutmut_settings(package))
    (workdir / "pyproject.toml").write_text(pyproject, encoding="utf-8")


def mutmut_command() -> list[str]:
    """mutmut's command line, run through this script (`mutmut` mode, see patched_mutmut)."""
    return [sys.executable, "-m", "tests.support.mutation", "mutmut"]


def patched_mutmut(args: list[str]) -> int:
    """mutmut's command line with three corrections for this suite.

    - mutmut 3.7.0 (the newest release whose click range fits faust-streaming's click<8.4;
      mutmut 3.8 wants click>=8.4.2) reads test ids from pytest's private `item._nodeid`, which
      pytest 9.2 renamed; mutmut 3.8 reads the public `item.nodeid`. The alias is restored.
    - mutmut runs the tests in its own process, then forks one child per mutant, so state built
      when a test module was imported (`CAL = load_default_calendar()` at module level) was built
      before the fork, by the unmutated code, and its trace is credited to whichever test ran
      first. Test modules are therefore imported afresh in every run (the child builds that state
      under the mutant), and a function that ran while the tests were imported is credited to
      every test, as it would be in a fresh process.
    - A mutant that breaks the import of a test module makes pytest stop with exit code 2 (a
      collection error; mutmut would say "interrupted by user") or 4 ("found no collectors" for
      the selected test ids; mutmut would raise in the forked child): it counts as killed.
    """
    import _pytest.nodes
    import mutmut
    import mutmut.__main__ as mutmut_main

    if not hasattr(_pytest.nodes.Node, "_nodeid"):
        _pytest.nodes.Node._nodeid = property(lambda node: node.nodeid)  # type: ignore[attr-defined]

    class ImportTimeCalls:
        def __init__(self) -> None:
            self.functions: set[str] = set()

        def pytest_collection_finish(self, session: Any) -> None:
            self.functions = set(mutmut._stats)
            mutmut._stats.clear()
            self.nodeids = [node.nodeid for node in session.items]

        def pytest_sessionfinish(self, session: Any) -> None:
            for function in self.functions:
                mutmut.tests_by_mangled_function_name[function].update(self.nodeids)

    runner = mutmut_main.PytestRunner
    execute_pytest, run_tests = runner.execute_pytest, runner.run_tests

    def execute_pytest_crediting_imports(self: Any, params: list[str], **kwargs: Any) -> int:
        if os.environ.get("MUTANT_UNDER_TEST") == "stats":
            kwargs["plugins"] = [*kwargs.get("plugins", []), ImportTimeCalls()]
        return execute_pytest(self, params, **kwargs)

    def run_tests_importing_afresh(self: Any, *, mutant_name: str | None, tests: Any) -> int:
        test_root = str(Path.cwd() / "mutants" / "tests")
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(test_root):
                del sys.modules[name]
        try:
            code = run_tests(self, mutant_name=mutant_name, tests=tests)
        except mutmut_main.BadTestExecutionCommandsException:
            if not mutant_name:
                raise
            return 1  # pytest exit code 4: a test module failed to import under the mutant
        return 1 if code == 2 and mutant_name else code

    runner.execute_pytest = execute_pytest_crediting_imports  # type: ignore[method-assign]
    runner.run_tests = run_tests_importing_afresh  # type: ignore[method-assign]
    return int(mutmut_main.cli.main(args, prog_name="mutmut", standalone_mode=False) or 0)


def run_mutmut(
    workdir: Path, max_children: int, names: list[str] | None = None
) -> tuple[int, float]:
    log = workdir / "mutmut-run.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.call(
            [*mutmut_command(), "run", "--max-children", str(max_children), *(names or [])],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return code, time.monotonic() - started


@dataclass
class Mutant:
    name: str  # module.mangled function__mutmut_N
    status: str

    @property
    def module(self) -> str:
        return self.name.rsplit(".", 1)[0]

    @property
    def function(self) -> str:
        """The mutated function as `module.function` or `module.Class.method`."""
        base = self.name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
        if base.startswith("x\u01c1"):  # xǁClassǁmethod
            base = base[2:].replace("\u01c1", ".", 1)
        else:  # x_function
            base = base.removeprefix("x_")
        return f"{self.module}.{base}"


def not_mutated(package: str) -> list[str]:
    """Definitions mutmut leaves alone: decorated functions (other than staticmethod and
    classmethod) and decorated classes (a dataclass, say) with all their methods."""
    root = REPO_ROOT / package
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    found: list[tuple[str, int, str]] = []
    for path in files:
        module = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            names = [ast.unparse(d) for d in node.decorator_list]
            if not names or names in (["staticmethod"], ["classmethod"]):
                continue
            kind = "class" if isinstance(node, ast.ClassDef) else "def"
            decorators = " ".join(f"@{n}" for n in names)
            found.append((module, node.lineno, f"{decorators} {kind} `{node.name}`"))
    return [f"`{module}` line {line}: {what}" for module, line, what in sorted(found)]


def results(workdir: Path) -> list[Mutant]:
    output = subprocess.run(
        [*mutmut_command(), "results", "--all", "true"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    mutants = []
    for line in output.splitlines():
        match = re.fullmatch(r"\s+(\S+): (.+)", line)
        if match:
            mutants.append(Mutant(match[1], match[2].strip()))
    return mutants


def show(workdir: Path, name: str) -> str:
    output = subprocess.run(
        [*mutmut_command(), "show", name], cwd=workdir, capture_output=True, text=True
    ).stdout
    # drop mutmut's own header line (`# <name>: <status>`)
    return "\n".join(line for line in output.splitlines() if not line.startswith("# ")).strip()


def equivalent_reasons(package: str) -> dict[str, str]:
    if not EQUIVALENT_FILE.exists():
        return {}
    table = tomllib.loads(EQUIVALENT_FILE.read_text(encoding="utf-8")).get(package, {})
    return {str(name): str(reason) for name, reason in table.items()}


def mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def part_summary(mutants: list[Mutant], modules: list[str]) -> str:
    """The score of the part a `--module` run measured."""
    part = in_modules(mutants, modules)
    killed = sum(m.status in KILLED for m in part)
    names = ", ".join(f"`{module}`" for module in modules)
    return f"{names}: {killed} / {len(part)} killed ({percent(killed, len(part))})"


def run_lines(run: dict[str, Any], mutants: list[Mutant]) -> list[str]:
    """The report's lines on the part a run measured and the earlier runs whose results stand."""
    lines = []
    if run.get("modules"):
        lines.append(
            f"- Part measured by this run (`--module`): {part_summary(mutants, run['modules'])}; "
            "the other modules keep the results of earlier runs, or are not tried"
        )
    if run.get("earlier"):
        lines.append(
            "- Earlier runs in this work directory, whose results stand where a later one did "
            "not go: "
            + "; ".join(f"`{e.get('command')}` ({e.get('date')})" for e in run["earlier"])
        )
    return lines


def write_report(
    package: str,
    workdir: Path,
    mutants: list[Mutant],
    *,
    run: dict[str, Any],
) -> Path:
    equivalent = equivalent_reasons(package)
    killed = [m for m in mutants if m.status in KILLED]
    untested = [m for m in mutants if m.status == "no tests"]
    # a run stopped before the end (a time box) leaves mutants it never tried
    unchecked = [m for m in mutants if m.status == "not checked"]
    survived = [
        m for m in mutants if m.status not in KILLED and m.status not in ("no tests", "not checked")
    ]
    by_status = Counter(m.status for m in mutants)
    equivalent_left = [m for m in survived if m.name in equivalent]
    stale = sorted(set(equivalent) - {m.name for m in survived + unchecked})
    total, reached = len(mutants), len(mutants) - len(untested)

    lines = [
        f"# Mutation report: `{package}`",
        "",
        'Written by tests/support/mutation.py (docs/testing.md, "Mutation score"); do not edit by hand.',
        "",
        f"- **Score: {len(killed)} / {total} killed ({percent(len(killed), total)})**",
        f"- Not killed: {len(survived)} survived ({len(equivalent_left)} of them equivalent, "
        f"reasons in docs/mutation/equivalent.toml), {len(untested)} in functions no selected "
        f"test calls; of the {reached} mutants the tests reach, {len(killed)} killed "
        f"({percent(len(killed), reached)}), killed or equivalent "
        f"{percent(len(killed) + len(equivalent_left), reached)}",
        f"- Date: {run['date']}; mutmut {mutmut_version()}"
        + (
            f"; wall time of the mutmut run {float(str(run['wall_seconds'])) / 60:.1f} min"
            if run["wall_seconds"]
            else ""
        ),
        f"- Command: `{run['command']}` (`make mutation` runs it at `nice -n 19`)"
        + (
            f"; it tested again the {run['retested']} mutants not killed so far, on the results "
            f"of `{based['command']}` of {based['date']} (the others keep their result)"
            if (based := run.get("based_on"))
            else ""
        ),
        *run_lines(run, mutants),
        f"- Tests: {' '.join(f'`{t}`' for t in PACKAGES[package])} (each mutant runs the tests "
        "that call the mutated function; a function that runs while the tests are imported "
        "counts as called by all)",
        "- Outcomes (mutmut): "
        + ", ".join(f"{status} {count}" for status, count in sorted(by_status.items())),
        "",
        "| module | mutants | killed | survived | no tests | score |"
        + (" not tried |" if unchecked else ""),
        "|---|---:|---:|---:|---:|---:|" + ("---:|" if unchecked else ""),
    ]
    for module in sorted({m.module for m in mutants}):
        of_module = [m for m in mutants if m.module == module]
        counts = Counter(
            "killed"
            if m.status in KILLED
            else m.status
            if m.status in ("no tests", "not checked")
            else "survived"
            for m in of_module
        )
        lines.append(
            f"| `{module}` | {len(of_module)} | {counts['killed']} | {counts['survived']} | "
            f"{counts['no tests']} | {percent(counts['killed'], len(of_module))} |"
            + (f" {counts['not checked']} |" if unchecked else "")
        )
    lines += ["", f"## Survived ({len(survived)})", ""]
    if not survived:
        lines.append("None.")
    for mutant in sorted(survived, key=lambda m: m.name):
        reason = equivalent.get(mutant.name)
        heading = f"### `{mutant.name}`" + (f" ({mutant.status})" * (mutant.status != "survived"))
        lines += [heading + (" — equivalent" if reason else ""), ""]
        if reason:
            lines += [f"Equivalent: {reason}", ""]
        lines += ["```diff", show(workdir, mutant.name), "```", ""]
    if unchecked:
        lines += [
            f"## Not tried: the run stopped first ({len(unchecked)}; not killed in the score)",
            "",
        ]
        lines += [
            f"- `{function}`: {count}"
            for function, count in sorted(Counter(m.function for m in unchecked).items())
        ]
        lines.append("")
    lines += [f"## In functions no selected test calls ({len(untested)})", ""]
    lines += [
        f"- `{function}`: {count}"
        for function, count in sorted(Counter(m.function for m in untested).items())
    ] or ["None."]
    lines += [
        "",
        "## Not mutated",
        "",
        "mutmut mutates function and method bodies only. Module-level code and class bodies are "
        "not mutated, and neither are these decorated definitions (with every method of a "
        "decorated class):",
        "",
    ]
    lines += [f"- {entry}" for entry in not_mutated(package)] or ["- none"]
    if stale:
        lines += [
            "",
            "## Stale entries in docs/mutation/equivalent.toml",
            "",
            "Listed as equivalent, but killed or gone in this run:",
            "",
            *[f"- `{name}`" for name in stale],
        ]
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    report = REPORT_DIR / f"{slug(package)}.md"
    report.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return report


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--package",
        action="append",
        choices=sorted(PACKAGES),
        help="package to mutate (repeatable; default: all, one after the other)",
    )
    parser.add_argument(
        "--module",
        action="append",
        metavar="PATH",
        help="only the mutants of this module of the package: a path relative to the package, "
        "a glob allowed (`owed.py`, `bundle_*.py`); repeatable; needs one --package",
    )
    parser.add_argument("--max-children", type=int, default=2, help="parallel test processes")
    parser.add_argument("--fresh", action="store_true", help="drop earlier results first")
    parser.add_argument(
        "--report-only", action="store_true", help="write the report from the results so far"
    )
    parser.add_argument(
        "--retest",
        action="store_true",
        help="after adding tests: run again only the mutants the last run did not kill",
    )
    args = parser.parse_args(argv)
    if args.retest and args.fresh:
        parser.error("--retest tests the survivors of the last run; --fresh drops them")
    if args.module and len(args.package or []) != 1:
        parser.error("--module measures part of one package: name it with a single --package")
    if args.module and args.report_only:
        parser.error("--report-only reports the whole package; --module limits a run")
    return args


def command_line(package: str, args: argparse.Namespace) -> str:
    """The command a run record names (the options that decide what was measured)."""
    command = f"python -m tests.support.mutation --package {package}"
    command += " --fresh" if args.fresh else ""
    command += "".join(f" --module {pattern}" for pattern in args.module or [])
    if args.max_children != 2:
        command += f" --max-children {args.max_children}"
    return command + (" --retest" if args.retest else "")


def run_record(
    package: str,
    args: argparse.Namespace,
    wall: float,
    *,
    modules: list[str] | None,
    earlier: dict[str, Any] | None,
    retested: int,
) -> dict[str, Any]:
    run: dict[str, Any] = {
        "date": datetime.now(UTC).date().isoformat(),
        "command": command_line(package, args),
        "wall_seconds": round(wall, 1),
    }
    if modules is not None:
        run["modules"] = modules
    if earlier is not None and not args.fresh:
        # the results of earlier runs in the work directory stand where this one did not go
        run["earlier"] = [
            *earlier.get("earlier", []),
            {k: earlier.get(k) for k in ("command", "date", "modules") if k in earlier},
        ]
    if args.retest and earlier is not None:
        # the mutants the earlier run killed keep their result: a test added since
        # cannot bring one back (a function whose code changed is not retested here:
        # its new mutants stay "not checked" and count as not killed)
        run["retested"] = retested
        run["based_on"] = earlier.get("based_on") or {
            k: earlier[k] for k in ("command", "date", "wall_seconds")
        }
    return run


def measure(package: str, args: argparse.Namespace) -> bool:
    """Run (unless --report-only) and report one package; False when it could not."""
    workdir = WORK_ROOT / slug(package)
    run_file = workdir / "last-run.json"
    earlier = json.loads(run_file.read_text(encoding="utf-8")) if run_file.exists() else None
    modules = select_modules(package, args.module) if args.module else None
    if args.retest and earlier is None:
        print(f"{package}: no earlier run in {workdir} to retest")
        return False
    if args.report_only and not (workdir / "mutants").exists():
        print(f"{package}: no results in {workdir} yet")
        return False
    wall: float | None = None
    names = mutant_globs(modules) if modules else None
    if args.retest:
        names = [m.name for m in in_modules(results(workdir), modules) if m.status not in KILLED]
    if not args.report_only and names == []:
        print(f"{package}: every mutant of the part retested is killed already; nothing to run")
    elif not args.report_only:
        prepare(package, workdir, fresh=args.fresh)
        print(f"{package}: mutmut run in {workdir.relative_to(REPO_ROOT)} ...", flush=True)
        code, wall = run_mutmut(workdir, args.max_children, names)
        if code != 0:
            print(f"{package}: mutmut exited with {code}, see {workdir}/mutmut-run.log")
            return False
    if wall is not None:
        run = run_record(
            package, args, wall, modules=modules, earlier=earlier, retested=len(names or [])
        )
        run_file.write_text(json.dumps(run), encoding="utf-8")
    else:
        run = earlier or {"date": "unknown", "command": "unknown", "wall_seconds": None}
    mutants = results(workdir)
    report = write_report(package, workdir, mutants, run=run)
    killed = sum(m.status in KILLED for m in mutants)
    print(
        f"{package}: {killed} / {len(mutants)} killed ({percent(killed, len(mutants))}), "
        f"report {report.relative_to(REPO_ROOT)}"
        + (f", {wall / 60:.1f} min" if wall is not None else "")
    )
    if modules is not None:
        print(f"{package}: {part_summary(mutants, modules)}")
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["mutmut"]:
        return patched_mutmut(argv[1:])
    args = parse_args(argv)
    measured = [measure(package, args) for package in args.package or list(PACKAGES)]
    return 0 if all(measured) else 1


if __name__ == "__main__":
    sys.exit(main())
