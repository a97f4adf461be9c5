"""Timer firings a batch at a time: every alert of the batch published and acknowledged before
any table write, and one bad record dead-lettered on its own while the others fire."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from services.monitor import handlers as h
from services.monitor.firing import Firing, decode_batch, encode_batches, on_timers
from services.monitor.ports import CaseRecord
from shared.contracts import Envelope, derived_event_id
from shared.contracts.registry import MONITOR_TIMERS_TOPIC
from tests.unit.monitor.fakes import DictScheduler, DictStore, fake_deps
from tests.unit.monitor.test_handlers import DUE, OPENED, env, msg, opened
from tests.unit.monitor.test_stream_topics import Message, wired_stream

CASES = ("C1", "C2", "C3")
AFTER_DUE = DUE + timedelta(seconds=5)


class Journal:
    """One log of what reaches the broker, the table and the timer index, in order."""

    def __init__(self) -> None:
        self.entries: list[str] = []


class GatedPublisher:
    """Records each publish call and holds its acknowledgement until ``acks`` is set."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.acks = asyncio.Event()
        self.calls: list[list[Envelope]] = []
        self.fail = False

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        self.calls.append(list(envelopes))
        self.journal.entries.append(f"send {len(envelopes)}")
        await self.acks.wait()
        if self.fail:
            raise ConnectionError("broker down")
        self.journal.entries.append("acked")


class JournalStore(DictStore):
    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal

    def put(self, case_id: str, record: dict) -> None:  # type: ignore[type-arg]
        self.journal.entries.append(f"put {case_id}")
        super().put(case_id, record)


class JournalScheduler(DictScheduler):
    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal

    def schedule(self, partition: int, case_id: str, stage_id: str, due: datetime | None) -> None:
        self.journal.entries.append(f"schedule {case_id}")
        super().schedule(partition, case_id, stage_id, due)


async def open_cases(deps: h.Deps) -> None:
    for case_id in CASES:
        e = opened(stage(case_id)).model_copy(update={"case_id": case_id})
        await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)


def journalled() -> tuple[h.Deps, Journal, JournalStore, GatedPublisher, JournalScheduler]:
    deps, _, _, _ = fake_deps()
    journal = Journal()
    store, pub, sched = JournalStore(journal), GatedPublisher(journal), JournalScheduler(journal)
    deps.store, deps.publisher, deps.scheduler = store, pub, sched
    return deps, journal, store, pub, sched


def stage(case_id: str) -> str:
    return f"{case_id}-S"


def firings() -> list[Firing]:
    return [Firing(case_id, stage(case_id), DUE.timestamp()) for case_id in CASES]


async def no_reject(firing: Firing, exc: Exception) -> None:
    raise AssertionError(f"{firing} rejected: {exc!r}")


async def test_a_batch_publishes_everything_awaits_every_ack_then_writes_the_table() -> None:
    deps, journal, store, pub, sched = journalled()
    pub.acks.set()
    await open_cases(deps)
    before = copy.deepcopy(store.data)
    pub.acks.clear()
    journal.entries.clear()
    task = asyncio.create_task(on_timers(deps.arrived(msg(AFTER_DUE)), firings(), no_reject))
    await asyncio.sleep(0.01)
    # every overdue and first rung of the three cases in flight at once; nothing written yet
    assert journal.entries == ["send 6"]
    assert copy.deepcopy(store.data) == before
    pub.acks.set()
    await task
    assert journal.entries[:2] == ["send 6", "acked"]
    assert sorted(journal.entries[2:5]) == ["put C1", "put C2", "put C3"]
    assert sorted(journal.entries[5:]) == ["schedule C1", "schedule C2", "schedule C3"]
    ids = {e.id for e in pub.calls[0]}
    assert ids == {derived_event_id(stage(c), "red") for c in CASES} | {
        derived_event_id(stage(c), "rung", "1") for c in CASES
    }
    assert all(store.data[c].stages[stage(c)]["rung"] == 1 for c in CASES)


async def test_a_failed_publish_writes_nothing_and_the_replay_publishes_the_same_ids() -> None:
    deps, journal, store, pub, sched = journalled()
    pub.acks.set()
    await open_cases(deps)
    before, timers = copy.deepcopy(store.data), dict(sched.due)
    pub.fail = True
    with pytest.raises(ConnectionError):
        await on_timers(deps.arrived(msg(AFTER_DUE)), firings(), no_reject)
    assert copy.deepcopy(store.data) == before and sched.due == timers
    pub.fail = False
    await on_timers(deps.arrived(msg(AFTER_DUE + timedelta(seconds=1))), firings(), no_reject)
    assert [e.id for e in pub.calls[-2]] == [e.id for e in pub.calls[-1]]


async def test_two_stages_of_one_case_in_one_batch_both_fire_and_both_are_stored() -> None:
    deps, store, pub, sched = fake_deps()
    for stage_id in ("S1", "S2"):
        e = opened(stage_id)
        await h.on_stage_opened(deps.arrived(msg(OPENED)), env(e, OPENED), e)
    batch = [Firing("C1", s, DUE.timestamp()) for s in ("S1", "S2")]
    await on_timers(deps.arrived(msg(AFTER_DUE)), batch, no_reject)
    stages = store.data["C1"].stages
    assert stages["S1"]["rung"] == 1 and stages["S2"]["rung"] == 1
    assert pub.types().count("overdue") == 2


class CountingStore(DictStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def get(self, case_id: str) -> CaseRecord | None:
        self.reads.append(case_id)
        return super().get(case_id)


async def test_each_firing_reads_and_decodes_its_case_from_the_table_once() -> None:
    # a burst's cost per firing: the partition check and the handler share one decoded record
    deps, _, pub, _ = fake_deps()
    store = deps.store = CountingStore()
    await open_cases(deps)
    store.reads.clear()
    await on_timers(deps.arrived(msg(AFTER_DUE)), firings(), no_reject)
    assert sorted(store.reads) == sorted(CASES)
    assert all(store.data[c].stages[stage(c)]["rung"] == 1 for c in CASES)
    assert pub.types().count("overdue") == len(CASES)


def poison(store: DictStore) -> None:
    store.data["C1"].stages["C1-S"]["due_at"] = "not a date"  # a poisoned record
    store.data["C2"].partition = 4  # kept on another partition: its change would go astray
    late = "2029-01-05T23:59:59+08:00"  # a deadline in a year no calendar covers
    store.data["C3"].stages["C3-S"].update(due_at=late, warn_at=late)


async def test_bad_records_are_dead_lettered_with_their_reason_and_the_others_fire() -> None:
    stream, store, scheduler, letters = wired_stream()
    await open_cases(stream.deps)
    for case_id in ("C4", "C5"):
        e = opened(stage(case_id)).model_copy(update={"case_id": case_id})
        await h.on_stage_opened(stream.deps.arrived(msg(OPENED)), env(e, OPENED), e)
    poison(store)
    bad = {c: copy.deepcopy(store.data[c]) for c in CASES}
    stream.clock.now = lambda: datetime(2029, 1, 7, tzinfo=DUE.tzinfo)  # type: ignore[method-assign]
    batch = [(2, c, stage(c), DUE.timestamp()) for c in (*CASES, "C4", "C5")]
    [(partition, key, value)] = list(encode_batches(batch))
    await stream.handle(Message(MONITOR_TIMERS_TOPIC, value, key=key, partition=partition))
    rejected = {json.loads(body)["case_id"]: headers for _, body, headers in letters.sent}
    assert sorted(rejected) == ["C1", "C2", "C3"]
    assert all(hd["dlq.reason"] == "handler_failed" for hd in rejected.values())
    assert "ValidationError" in rejected["C1"]["dlq.error"]
    assert "WrongPartition" in rejected["C2"]["dlq.error"]
    assert "CalendarCoverageError" in rejected["C3"]["dlq.error"]
    assert all(hd["dlq.error"].startswith(f"stage {c}-S: ") for c, hd in rejected.items())
    assert {c: copy.deepcopy(store.data[c]) for c in CASES} == bad
    for case_id in ("C4", "C5"):  # fired despite the others
        assert store.data[case_id].stages[stage(case_id)]["rung"] >= 1
    # a dead-lettered firing sent back is a batch of one
    assert decode_batch(letters.sent[0][1]) == [Firing("C1", "C1-S", DUE.timestamp())]


def test_a_tick_becomes_one_message_per_partition_and_chunk_on_that_partition() -> None:
    due = [(p, f"C{p}-{i}", "S1", 1.0) for p in (0, 3) for i in range(5)]
    messages = list(encode_batches(due, chunk=2))
    assert [p for p, _, _ in messages] == [0, 0, 0, 3, 3, 3]
    assert [len(decode_batch(v)) for _, _, v in messages] == [2, 2, 1, 2, 2, 1]
    back = [(p, f.case_id, f.stage_id, f.due) for p, _, v in messages for f in decode_batch(v)]
    assert back == due


async def test_a_firing_failing_after_its_output_takes_none_of_it_along(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deps, store, pub, sched = fake_deps()
    await open_cases(deps)
    before, real_on_timer = copy.deepcopy(store.data["C2"]), h.on_timer
    timers = dict(sched.due)

    async def fails_late(deps: h.Deps, case_id: str, stage_id: str) -> None:
        await real_on_timer(deps, case_id, stage_id)  # published and stored (staged)
        if case_id == "C2":
            raise RuntimeError("poisoned after the fact")

    monkeypatch.setattr(h, "on_timer", fails_late)
    rejected: list[str] = []

    async def reject(firing: Firing, exc: Exception) -> None:
        rejected.append(firing.case_id)

    sent = len(pub.sent)
    await on_timers(deps.arrived(msg(AFTER_DUE)), firings(), reject)
    assert rejected == ["C2"]
    assert {e.data["case_id"] for e in pub.sent[sent:]} == {"C1", "C3"}
    assert copy.deepcopy(store.data["C2"]) == before
    assert sched.due[("C2", "C2-S")] == timers[("C2", "C2-S")]  # not moved on
    assert sched.due[("C1", "C1-S")] > timers[("C1", "C1-S")]
