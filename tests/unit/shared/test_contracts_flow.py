"""The picture of who produces and consumes what (README, docs/architecture.md,
docs/contracts/flow.md) is drawn from the topic registry and cannot drift from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.contracts import TOPICS
from shared.contracts.access import SERVICES
from shared.contracts.flow import BEGIN, END, flow_section, mermaid_flowchart, with_flow_section

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_the_committed_picture_is_the_registry_s(doc: str) -> None:
    """Fails when the registry changed and the picture was not redrawn: run `make contracts`
    (or `python -m shared.cli contracts picture`) and commit the result."""
    text = (REPO / doc).read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, f"{doc} has no marked topic flow"
    assert with_flow_section(text) == text, f"{doc}: topic flow out of date (run `make contracts`)"


def test_every_producer_and_consumer_of_the_registry_is_an_arrow() -> None:
    chart = mermaid_flowchart()
    arrows = set(re.findall(r"^  (\S+) --> (\S+)$", chart, re.MULTILINE))

    def node(name: str) -> str:
        return re.sub(r"[^A-Za-z0-9]", "_", name)

    expected = {
        (node("p_" + p), node("t_" + spec.name)) for spec in TOPICS.values() for p in spec.producers
    } | {
        (node("t_" + spec.name), node("p_" + c)) for spec in TOPICS.values() for c in spec.consumers
    }
    assert arrows == expected
    for service in SERVICES:
        assert f"p_{service}({service})" in chart


def test_a_document_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="no section marked"):
        with_flow_section("# nothing marked here\n")
    assert with_flow_section(f"a\n{BEGIN}\nold\n{END}\nb\n") == f"a\n{flow_section()}\nb\n"
