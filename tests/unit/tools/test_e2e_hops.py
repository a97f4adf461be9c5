"""The end-to-end benchmark's hops (bench/e2e_hops.py): each hop is the difference of the two
instants it names, and a receipt whose case or delivery row is unknown is left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from bench.e2e_hops import DELIVERED, SUBMITTED, hops, table
from demo.bus import BusRecord
from shared.contracts import make_envelope, model_for, topic_for
from shared.contracts.examples import EXAMPLES

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
_ids = count()


def _record(event_type: str, at: datetime, kafka_at: datetime, **over: object) -> BusRecord:
    data = model_for(event_type).model_validate({**EXAMPLES[event_type], **over})
    env = make_envelope(data, source="/t", time=at, id=f"e{next(_ids)}")
    return BusRecord(
        topic_for(event_type), 0, 0, env.subject, env.to_json_bytes(), (), env,
        int(kafka_at.timestamp() * 1000),
    )  # fmt: skip


def test_each_hop_is_the_difference_of_its_two_instants() -> None:
    case = EXAMPLES[SUBMITTED]["case_id"]
    sent = {case: T0.timestamp()}
    records = [
        _record(SUBMITTED, T0 + timedelta(seconds=0.2), T0 + timedelta(seconds=0.5)),
        _record(
            DELIVERED,
            T0 + timedelta(seconds=2),
            T0 + timedelta(seconds=2),
            notification_id="n-sms",
            case_id=case,
            channel="sms",
            source_event_type=SUBMITTED,
            delivered_at=(T0 + timedelta(seconds=1.9)).isoformat(),
        ),
        _record(  # a delivery notify has no row for: left out
            DELIVERED,
            T0,
            T0,
            notification_id="n-gone",
            case_id=case,
            channel="email",
            source_event_type=SUBMITTED,
            delivered_at=T0.isoformat(),
        ),
    ]
    recorded = {"n-sms": T0 + timedelta(seconds=1.2)}
    got = {hop: [round(s, 3) for s in v] for hop, v in hops(records, sent, recorded).items()}
    assert got == {
        "1 intake: request -> event in the transaction": [0.2],
        "2 commit + outbox relay -> broker": [0.3],
        "3 notify consumer: broker -> delivery recorded": [0.7],
        "4 dispatcher + sms: recorded -> delivered": [0.7],
        "whole path, sms: request -> delivered": [1.9],
    }
    assert "| 2 commit + outbox relay -> broker | 1 | 300 | 300 |" in table(got)


def test_a_case_not_sent_by_the_benchmark_counts_in_no_hop() -> None:
    records = [_record(SUBMITTED, T0, T0)]
    assert hops(records, {"someone-else": T0.timestamp()}, {}) == {}


@pytest.mark.parametrize("kafka_ms", [-1, 0])
def test_a_record_without_a_kafka_timestamp_is_left_out(kafka_ms: int) -> None:
    rec = _record(SUBMITTED, T0, T0)
    rec = BusRecord(rec.topic, 0, 0, rec.key, rec.value, (), rec.envelope, kafka_ms)
    case = EXAMPLES[SUBMITTED]["case_id"]
    assert hops([rec], {case: T0.timestamp()}, {}) == {}
