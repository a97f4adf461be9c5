"""Where a benchmark's figures go: its own marked section of docs/benchmarks.md, between
``<!-- NAME:start -->`` and ``<!-- NAME:end -->``, replaced on every ``--write-docs`` run and
appended the first time. The rest of the page is left byte for byte."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, section: str, docs: Path = DOCS) -> None:
    """Put ``section`` (which starts and ends with its markers) in place of the old one."""
    start, end = markers(name)
    body = section.strip("\n")
    if not (body.startswith(start) and body.endswith(end)):
        raise ValueError(f"a {name} section must start with {start} and end with {end}")
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + body + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    docs.write_text(text, encoding="utf-8")
