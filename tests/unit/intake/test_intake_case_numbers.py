"""Case numbers under contention: a day's counter upsert that races another may raise a duplicate
key or (SecantusDB) answer no document; the store tries again and, if it never gets a number,
refuses with 503 and a retry hint instead of a 500."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from services.intake.store import SEQUENCE_TRIES, MongoIntakeStore
from shared.errors import Unavailable


class Counters:
    """The counters collection's one call, answering from a script of outcomes."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def find_one_and_update(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def store_with(counters: Counters) -> MongoIntakeStore:
    store = object.__new__(MongoIntakeStore)
    store.counters = counters  # type: ignore[assignment]
    return store


async def test_a_raced_upsert_that_answers_nothing_is_tried_again() -> None:
    counters = Counters(DuplicateKeyError("raced"), None, {"_id": "500000-20260302", "seq": 7})
    assert await store_with(counters).next_sequence("500000", date(2026, 3, 2)) == 7
    assert counters.calls == 3


async def test_a_counter_that_never_answers_is_a_503_with_a_retry_hint() -> None:
    counters = Counters(*([None] * SEQUENCE_TRIES))
    with pytest.raises(Unavailable) as refused:
        await store_with(counters).next_sequence("500000", date(2026, 3, 2))
    assert refused.value.status_code == 503 and refused.value.retry_after_s == 1
    assert counters.calls == SEQUENCE_TRIES
