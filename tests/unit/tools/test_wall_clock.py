"""No test reads the wall clock unless tests/wall_clock_allowed.txt says why (docs/testing.md).

A test that asks the system for the time passes or fails with the day it runs on; rules receive
their time from a Clock, and so do their tests. What counts as a read is a reference to
datetime.now / utcnow / today, date.today, time.time or time.time_ns however imported, called or
passed on (``default_factory=datetime.now`` reads it too). time.monotonic and perf_counter measure
durations, not the time of day, and are fine."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
TESTS = REPO_ROOT / "tests"
ALLOW_LIST = TESTS / "wall_clock_allowed.txt"

WALL_CLOCK = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
    }
)


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it was imported as (``dt`` -> ``datetime.datetime``), whole file."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                names[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def wall_clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) for each reference to a wall-clock function in ``source``."""
    tree = ast.parse(source)
    imported = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute | ast.Name) or not isinstance(node.ctx, ast.Load):
            continue
        parts = _dotted(node)
        if parts is None or parts[0] not in imported:
            continue
        qualified = ".".join([imported[parts[0]], *parts[1:]])
        if qualified in WALL_CLOCK:
            found.append((node.lineno, qualified))
    return sorted(set(found))


def allowed_files(text: str) -> tuple[dict[str, str], list[str]]:
    """``path: reason`` lines (``#`` comments and blank lines ignored) -> (allowed, problems)."""
    allowed: dict[str, str] = {}
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        path, _, reason = line.partition(":")
        if not reason.strip():
            problems.append(f"tests/wall_clock_allowed.txt:{n}: {path.strip()} has no reason")
        else:
            allowed[path.strip()] = reason.strip()
    return allowed, problems


def test_the_scanner_sees_every_way_of_reading_the_wall_clock() -> None:
    source = """
import datetime
import datetime as dt_mod
import time
import time as _time
from datetime import UTC, date
from datetime import datetime as DT
from datetime import time as time_of_day
from time import time as now_s

a = datetime.datetime.now(UTC)
b = dt_mod.date.today()
c = DT.now(UTC)
d = DT.utcnow()
e = date.today()
f = time.time()
g = _time.time_ns()
h = now_s()
field(default_factory=DT.now)
fine = (time.monotonic(), time.perf_counter(), time_of_day(12), clock.now(), DT.fromisoformat("x"))
"""
    assert wall_clock_reads(source) == [
        (11, "datetime.datetime.now"),
        (12, "datetime.date.today"),
        (13, "datetime.datetime.now"),
        (14, "datetime.datetime.utcnow"),
        (15, "datetime.date.today"),
        (16, "time.time"),
        (17, "time.time_ns"),
        (18, "time.time"),
        (19, "datetime.datetime.now"),
    ]


def test_the_allow_list_needs_a_reason_for_each_file() -> None:
    allowed, problems = allowed_files(
        "# note\n\ntests/a.py: real broker\ntests/b.py:\ntests/c.py\n"
    )
    assert allowed == {"tests/a.py": "real broker"}
    assert problems == [
        "tests/wall_clock_allowed.txt:4: tests/b.py has no reason",
        "tests/wall_clock_allowed.txt:5: tests/c.py has no reason",
    ]


def test_no_test_reads_the_wall_clock_unless_the_allow_list_says_why() -> None:
    allowed, problems = allowed_files(ALLOW_LIST.read_text(encoding="utf-8"))
    reading: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        reads = wall_clock_reads(path.read_text(encoding="utf-8"))
        if reads:
            reading[rel] = [f"{rel}:{line}: {what}" for line, what in reads]
    problems += [hit for rel, hits in reading.items() if rel not in allowed for hit in hits]
    problems += [
        f"{rel}: a unit test, give it a fixed clock"
        for rel in allowed
        if rel.startswith("tests/unit/")
    ]
    problems += [
        f"{rel}: no longer reads the wall clock, drop it" for rel in allowed if rel not in reading
    ]
    assert not problems, (
        "tests read the wall clock: inject a FixedClock or a fixed instant, or, for a test that "
        "runs real services on real time, list the file in tests/wall_clock_allowed.txt with the "
        "reason (docs/testing.md):\n" + "\n".join(problems)
    )
