"""In-memory adapters wired into the real handlers through bootstrap.build_deps."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from services.monitor.bootstrap import build_deps
from services.monitor.handlers import Deps
from services.monitor.ports import CaseRecord, StatsRow
from services.monitor.settings import MonitorSettings
from shared.calendar import load_default_calendar
from shared.contracts import Envelope


class DictStore:
    """Hands out a fresh copy of a record, as the table adapter (which decodes JSON) does."""

    def __init__(self) -> None:
        self.data: dict[str, CaseRecord] = {}

    def get(self, case_id: str) -> CaseRecord | None:
        rec = self.data.get(case_id)
        return None if rec is None else copy.deepcopy(rec)

    def put(self, case_id: str, record: CaseRecord) -> None:
        self.data[case_id] = record

    def delete(self, case_id: str) -> None:
        self.data.pop(case_id, None)

    def records(self) -> Iterator[CaseRecord]:
        yield from list(self.data.values())


class DictStats:
    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def bump(self, partition: int, department: str, item: str, region: str, **inc: float) -> None:
        row = self.data.setdefault(
            f"{partition}|{department}|{item}|{region}",
            {"department": department, "item_code": item, "region": region},
        )
        for k, v in inc.items():
            row[k] = row.get(k, 0) + v

    def rows(self) -> Iterator[StatsRow]:
        for key, row in list(self.data.items()):
            counts = {
                k: v for k, v in row.items() if k not in ("department", "item_code", "region")
            }
            yield StatsRow(
                int(key.split("|")[0]), row["department"], row["item_code"], row["region"], counts
            )


class ListPublisher:
    def __init__(self) -> None:
        self.sent: list[Envelope] = []
        self.fail = False

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.extend(envelopes)

    def types(self) -> list[str]:
        return [e.type.split(".")[-2] for e in self.sent]


class DictScheduler:
    def __init__(self) -> None:
        self.due: dict[tuple[str, str], datetime] = {}

    def schedule(self, partition: int, case_id: str, stage_id: str, due: datetime | None) -> None:
        if due is None:
            self.due.pop((case_id, stage_id), None)
        else:
            self.due[(case_id, stage_id)] = due


def fake_deps(
    settings: MonitorSettings | None = None,
) -> tuple[Deps, DictStore, ListPublisher, DictScheduler]:
    store, publisher, scheduler = DictStore(), ListPublisher(), DictScheduler()
    deps = build_deps(
        settings or MonitorSettings(),
        store=store,
        stats=DictStats(),
        publisher=publisher,
        scheduler=scheduler,
        calendar=load_default_calendar(),
    )
    return deps, store, publisher, scheduler
