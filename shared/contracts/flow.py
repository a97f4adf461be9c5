"""The picture of who produces and who consumes what, drawn from the topic registry.

`mermaid_flowchart()` renders every topic of ``TOPICS`` with its producers and consumers as a
Mermaid flowchart (GitHub and most Markdown viewers draw it). It is written to
``docs/contracts/flow.md`` by ``egov contracts export`` and into the marked section of
``docs/architecture.md`` and ``README.md`` by ``egov contracts picture`` (both run by
``make contracts``); unit tests fail when a committed copy differs from the registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from shared.contracts.access import SERVICES
from shared.contracts.registry import TOPICS, TopicSpec, types_on_topic

BEGIN = "<!-- BEGIN GENERATED topic flow (shared/contracts/flow.py; `make contracts`) -->"
END = "<!-- END GENERATED topic flow -->"
_SECTION = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)


def _node(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name)


def _short(event_type: str) -> str:
    """``gov.egov.stage.opened.v1`` -> ``stage.opened``."""
    return re.sub(r"\.v\d+$", "", event_type.removeprefix("gov.egov."))


def _topic_label(spec: TopicSpec) -> str:
    types = [_short(t) for t in types_on_topic(spec.name)]
    shown = "<br/>".join(", ".join(types[i : i + 3]) for i in range(0, len(types), 3))
    return f"{spec.name}<br/>key: {spec.key}" + (f"<br/>{shown}" if shown else "")


def _parties(topics: Iterable[TopicSpec]) -> list[str]:
    named = {p for t in topics for p in (*t.producers, *t.consumers)}
    return [*(s for s in SERVICES if s in named), *sorted(named - set(SERVICES))]


def mermaid_flowchart() -> str:
    """Services (rounded), outside parties and operators (plain) and topics (cylinders); an arrow
    from a producer to a topic and from a topic to each consumer, as the registry records them."""
    topics = [TOPICS[name] for name in sorted(TOPICS)]
    lines = ["flowchart LR"]
    for party in _parties(topics):
        shape = f"({party})" if party in SERVICES else f"[{party}]"
        lines.append(f"  {_node('p_' + party)}{shape}")
    for spec in topics:
        lines.append(f'  {_node("t_" + spec.name)}[("{_topic_label(spec)}")]')
    for party in SERVICES:
        lines.append(f"  class {_node('p_' + party)} service")
    for spec in topics:
        topic = _node("t_" + spec.name)
        lines.extend(f"  {_node('p_' + p)} --> {topic}" for p in spec.producers)
        lines.extend(f"  {topic} --> {_node('p_' + c)}" for c in spec.consumers)
    lines.append("  classDef service fill:#dbeafe,stroke:#1d4ed8")
    return "\n".join(lines) + "\n"


def flow_section() -> str:
    """The marked Markdown section: the flowchart in a ```mermaid block between the markers."""
    return f"{BEGIN}\n```mermaid\n{mermaid_flowchart()}```\n{END}"


def flow_markdown() -> str:
    """docs/contracts/flow.md: the picture on its own page."""
    return (
        "# Who produces and who consumes what\n\n"
        "Generated from the topic registry (`shared/contracts/registry.py`) by "
        "`make contracts`; do not edit. Rounded boxes are the five services, cylinders the "
        "topics (key and event types), plain boxes outside publishers and operators.\n\n"
        f"{flow_section()}\n"
    )


def with_flow_section(text: str) -> str:
    """``text`` with its marked section replaced by the current picture (ValueError: no markers)."""
    if not _SECTION.search(text):
        raise ValueError(f"no section marked {BEGIN!r} … {END!r}")
    return _SECTION.sub(lambda _: flow_section(), text, count=1)


def write_flow_sections(paths: Iterable[Path]) -> list[Path]:
    """Rewrite the marked section of each file; the files whose text changed."""
    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = with_flow_section(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed
