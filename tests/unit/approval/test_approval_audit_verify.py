"""`egov audit verify`: what an operator sees when a case's timeline was cut or rewritten in the
database, with the approval service's own handlers writing the timeline (in-memory store) and
the bus holding the checkpoints its outbox published."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from typer.testing import CliRunner

from services.approval.cli import CaseTimelines
from services.approval.cli import open_timelines as open_real_timelines
from services.approval.domain import Action, ActionInput, Officer
from services.approval.handlers import AUDIT_CHAIN, Deps, on_case_submitted, perform_action
from services.cli import app
from shared.audit import cli as audit_cli
from shared.audit.report import ChainSource
from shared.contracts import AuditCheckpoint
from shared.settings import ServiceSettings
from tests.unit.approval.approval_fakes import (
    DEPT,
    REGION,
    InMemoryCaseStore,
    envelope_of,
    make_deps,
    submitted,
)

HANDLER = Officer(subject="h-1", department=DEPT, region=REGION, roles=frozenset({"handler"}))


async def _two_cases(deps: Deps) -> None:
    for case_id in ("C1", "C2"):
        data = submitted(case_id)
        await on_case_submitted(deps, envelope_of(data), data)
    await perform_action(
        deps,
        case_id="C1",
        stage_id="prereview",
        action=Action.SIGN_IN,
        officer=HANDLER,
        params=ActionInput(),
        expected_version=1,
    )


@pytest.fixture
def deps(monkeypatch: pytest.MonkeyPatch) -> Deps:
    """Two cases, C1 with an action after its submission (two heads published), and the CLI
    reading this store and the checkpoints its outbox holds (what the relay published). Sync,
    like the tests: the command runs its own event loop."""
    deps = make_deps()
    store = deps.store
    assert isinstance(store, InMemoryCaseStore)
    asyncio.run(_two_cases(deps))

    @asynccontextmanager
    async def open_timelines() -> AsyncIterator[ChainSource]:
        yield CaseTimelines(store)

    async def read_bus(_settings: ServiceSettings) -> tuple[list[AuditCheckpoint], list[str]]:
        published = [e for e in store.outbox if e.type == AuditCheckpoint.event_type]
        return [AuditCheckpoint.model_validate(e.data) for e in published], []

    assert audit_cli.SOURCES[AUDIT_CHAIN] is open_real_timelines  # what `egov` registers
    # Only this chain kind: `--all` would otherwise open the other services' databases too.
    monkeypatch.setattr(audit_cli, "SOURCES", {AUDIT_CHAIN: open_timelines})
    monkeypatch.setattr(audit_cli, "read_bus", read_bus)
    return deps


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["audit", "verify", *args])


def entries(deps: Deps, case_id: str) -> list[dict[str, Any]]:
    assert isinstance(deps.store, InMemoryCaseStore)
    return deps.store.entries[case_id]


def test_an_untouched_case_verifies_against_its_head_and_the_bus(deps: Deps) -> None:
    result = run("C1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("case C1: OK (4 entries, head ")
    result = run("C1", "--bus")
    assert result.exit_code == 0 and "agrees with 2 on the bus" in result.output, result.output


def test_a_tampered_entry_is_reported_with_its_number_index_reason_and_content(
    deps: Deps,
) -> None:
    entries(deps, "C1")[1]["actor"] = "someone-else"
    result = run("C1")
    assert result.exit_code == 1
    first, second = result.output.splitlines()
    assert first.startswith("case C1: BROKEN at entry 2 (index 1): content does not match")
    assert second.startswith("  entry: {") and '"actor": "someone-else"' in second


def test_dropping_the_last_entry_fails_verification(deps: Deps) -> None:
    entries(deps, "C1").pop()
    result = run("C1")
    assert result.exit_code == 1
    assert "BROKEN at entry 4 (index 3)" in result.output
    assert "the last 1 entries were removed" in result.output


def test_a_cut_that_also_moves_the_head_back_is_caught_by_the_bus(deps: Deps) -> None:
    store = deps.store
    assert isinstance(store, InMemoryCaseStore)
    kept = entries(deps, "C1")[:3]
    store.entries["C1"] = kept
    store.docs["C1"] |= {"audit_seq": 3, "audit_head": kept[-1]["hash"]}
    assert run("C1").exit_code == 0  # the database agrees with itself
    result = run("C1", "--bus")
    assert result.exit_code == 1
    assert "BROKEN at entry 4 (index 3): the bus checkpointed entry 4" in result.output


def test_all_cases_are_checked_and_a_deleted_case_is_found_on_the_bus(
    deps: Deps,
) -> None:
    store = deps.store
    assert isinstance(store, InMemoryCaseStore)
    result = run("--all", "--bus")
    assert result.exit_code == 0, result.output
    assert [line.split(":")[0] for line in result.output.splitlines()] == ["case C1", "case C2"]
    del store.docs["C2"], store.entries["C2"]
    result = run("--all")
    assert result.exit_code == 0 and "C2" not in result.output  # the database alone: silent
    result = run("--all", "--bus")
    assert result.exit_code == 1
    assert "case C1: OK" in result.output
    assert "case C2: BROKEN at entry 1 (index 0): the case record" in result.output


def test_an_unknown_case_or_a_missing_argument_exits_2(deps: Deps) -> None:
    assert run("C404").exit_code == 2
    assert run().exit_code == 2
    assert run("C1", "--all").exit_code == 2
    assert run("C1", "--chain", "nobody.knows").exit_code == 2
