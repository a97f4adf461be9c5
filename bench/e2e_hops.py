"""Where an applicant's receipt spends its time, hop by hop (issue 22's latency by hop).

Every instant comes from a record the platform keeps anyway, all on one machine's clock:

1. intake, request to event: the client sends ``POST /v1/cases`` -> the ``case.submitted``
   envelope's ``time`` (set inside intake's transaction, with the case and its outbox row);
2. commit and outbox relay: that ``time`` -> the Kafka timestamp of the ``case.submitted``
   record (the relay producer's send);
3. notify's consumer: that timestamp -> the delivery row's ``created_at`` in notify's database
   (fetched, deduplicated, recipients looked up, rows written);
4. notify's dispatcher and the channel, per channel: ``created_at`` -> ``delivered_at`` of the
   ``notification.delivered`` event (picked up, rendered, handed to the SMTP server, the SMS
   gateway or the inbox);

and the whole path, request to ``delivered_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from bench.stats import percentile
from demo.bus import BusRecord

SUBMITTED = "gov.egov.case.submitted.v1"
DELIVERED = "gov.egov.notification.delivered.v1"


def _ts(at: datetime) -> float:
    return at.astimezone(UTC).timestamp()


def hops(
    records: Iterable[BusRecord],
    sent: Mapping[str, float],
    recorded: Mapping[str, datetime],
) -> dict[str, list[float]]:
    """Seconds per hop for the receipts of the cases in ``sent`` (case id -> request instant),
    with ``recorded`` the delivery rows' ``created_at`` by notification id."""
    submitted: dict[str, tuple[float, float]] = {}  # case id -> (envelope time, kafka time)
    delivered = []
    for r in records:
        e = r.envelope
        if e is None:
            continue
        if e.type == SUBMITTED and e.subject in sent and r.timestamp_ms > 0:
            submitted[e.subject] = (_ts(e.time), r.timestamp_ms / 1000)
        elif e.type == DELIVERED and e.data.get("source_event_type") == SUBMITTED:
            delivered.append(e.data)
    out: dict[str, list[float]] = {}

    def add(hop: str, seconds: float) -> None:
        out.setdefault(hop, []).append(seconds)

    for case_id, (event_at, sent_at) in submitted.items():
        add("1 intake: request -> event in the transaction", event_at - sent[case_id])
        add("2 commit + outbox relay -> broker", sent_at - event_at)
    for d in delivered:
        case_id, row_at = d.get("case_id"), recorded.get(str(d.get("notification_id")))
        if case_id not in submitted or row_at is None:
            continue
        done = _ts(datetime.fromisoformat(d["delivered_at"]))
        add("3 notify consumer: broker -> delivery recorded", _ts(row_at) - submitted[case_id][1])
        add(f"4 dispatcher + {d['channel']}: recorded -> delivered", done - _ts(row_at))
        add(f"whole path, {d['channel']}: request -> delivered", done - sent[case_id])
    return out


def table(by_hop: Mapping[str, list[float]]) -> str:
    rows = [
        f"| {hop} | {len(v)} | {percentile(v, 50) * 1000:.0f} | {percentile(v, 99) * 1000:.0f} |"
        for hop, v in sorted(by_hop.items())
    ]
    return "| hop | n | p50 ms | p99 ms |\n|---|---|---|---|\n" + "\n".join(rows)


def handler_times(metrics_text: str, service: str = "notify") -> dict[str, tuple[int, float]]:
    """Per event type: (events handled, seconds in the handler), from a service's /metrics
    (``egov_handler_latency_seconds``): how much of hop 3 is the handlers' own work."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for line in metrics_text.splitlines():
        if (
            not line.startswith("egov_handler_latency_seconds_")
            or f'service="{service}"' not in line
        ):
            continue
        name, _, value = line.rpartition(" ")
        event_type = name.split('event_type="', 1)[1].split('"', 1)[0]
        if name.startswith("egov_handler_latency_seconds_sum"):
            sums[event_type] = float(value)
        elif name.startswith("egov_handler_latency_seconds_count"):
            counts[event_type] = int(float(value))
    return {t: (counts.get(t, 0), sums[t]) for t in sorted(sums)}


def handler_table(times: Mapping[str, tuple[int, float]], span_s: float) -> str:
    rows = [
        f"| {t.removeprefix('gov.egov.')} | {n} | {s / n * 1000:.0f} | {s:.1f} |"
        for t, (n, s) in times.items()
        if n
    ]
    total = sum(s for _, s in times.values())
    n_all = sum(n for n, _ in times.values())
    rows.append(f"| all | {n_all} | {total / max(n_all, 1) * 1000:.0f} | {total:.1f} |")
    return (
        "| event handled by notify | n | mean ms in the handler | seconds in handlers |\n"
        "|---|---|---|---|\n" + "\n".join(rows) + f"\n\n> first submission to the last receipt "
        f"delivered: {span_s:.1f} s of wall time."
    )
