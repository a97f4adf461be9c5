"""Sending a recorded delivery: claim it, respect the rate limit, send, record the outcome.

A delivery is written 'pending' before any attempt. ``attempt`` claims it with a lease so two
senders never work on it at once; after a crash the lease runs out and the background job picks
it up again. A delivery marked 'sent' is never claimed again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.notify.domain import (
    ChannelName,
    RecipientKind,
    SendResult,
    after_failure,
    mask_personal,
    mask_value,
    rate_limited_until,
)
from services.notify.metrics import DELIVERIES, DELIVERY_LATENCY, RETRIES
from services.notify.ports import Channel, DeliveryStore, Doc, Message, StoredChannel
from services.notify.settings import NotifySettings
from shared.clock import Clock
from shared.contracts import (
    Envelope,
    NotificationDelivered,
    NotificationFailed,
    derived_event_id,
    make_envelope,
)

log = logging.getLogger(__name__)

SOURCE = "/egov/notify"
PUSH_CHANNELS = (ChannelName.SMS, ChannelName.EMAIL)


def message_from_doc(doc: Doc) -> Message:
    return Message(
        delivery_id=str(doc["_id"]),
        channel=ChannelName(doc["channel"]),
        address=doc["address"],
        recipient_key=doc["recipient_key"],
        recipient_kind=RecipientKind(doc["recipient_kind"]),
        template=doc["template"],
        subject=doc.get("subject", ""),
        body=doc.get("body", ""),
        event_id=doc["event_id"],
        event_type=doc["event_type"],
        case_id=doc.get("case_id"),
        payload=bytes(doc.get("payload") or b""),
        personal=list(doc.get("personal") or []),
    )


def public_recipient(doc: Doc) -> str:
    """The recipient as published on the bus: officer and subscription ids, applicants masked."""
    if doc["recipient_kind"] == RecipientKind.APPLICANT.value:
        return mask_value(str(doc["address"]))
    return str(doc["recipient_key"])


@dataclass(frozen=True)
class Recorded:
    """An event's deliveries to send now: ``held`` were written by this process leased to it
    (sent without a claim), ``others`` were there before (a replay: each claimed first)."""

    held: list[Doc]
    others: list[str]


class Dispatcher:
    def __init__(
        self,
        *,
        deliveries: DeliveryStore,
        channels: Mapping[ChannelName, Channel],
        clock: Clock,
        settings: NotifySettings,
    ) -> None:
        self.deliveries = deliveries
        self.channels = dict(channels)
        self.clock = clock
        self.settings = settings
        self._limit = asyncio.Semaphore(settings.send_concurrency)

    async def record(self, docs: list[Doc]) -> Recorded:
        """Record one event's deliveries; returns those to send now. Those that a stored
        channel (the inbox) sends and that are due now are sent by the same transaction: their
        items and outcome events are written with the deliveries, all or nothing. The others
        due now are written leased to this process, so they are sent without a claim."""
        now = self.clock.now()
        lease = now + timedelta(seconds=self.settings.delivery_lease_s)
        inbox: list[Doc] = []
        events: list[Envelope] = []
        sent: dict[str, Doc] = {}
        pending: list[Doc] = []
        for doc in docs:
            channel = self.channels.get(ChannelName(doc["channel"]))
            if doc["due_at"] > now:
                pending.append(doc)  # waits (quiet hours): the delivery worker sends it
            elif isinstance(channel, StoredChannel):
                done = doc | {"status": "sent", "attempts": 1, "sent_at": now}
                inbox.append(channel.item(message_from_doc(done)))
                events.append(self._delivered_event(done, 1, now))
                sent[str(doc["_id"])] = done
                pending.append(doc)
            else:
                pending.append(doc | {"lease_until": lease})
        held = [d for d in pending if d["lease_until"] == lease]
        recorded = [sent.get(str(d["_id"]), d) for d in pending]
        if sent and await self.deliveries.record(recorded, inbox=inbox, events=events):
            for doc in sent.values():
                self._count_delivered(doc, now)
            return Recorded(held=held, others=[])
        # Nothing sent by recording, or recorded before (the event handled again): insert what
        # is new (held by this process); every other one goes through a claimed attempt.
        inserted = set(await self.deliveries.insert(pending))
        if len(inserted) < len(docs):
            DELIVERIES.labels("any", docs[0]["template"], "duplicate").inc(
                len(docs) - len(inserted)
            )
        mine = [d for d in held if str(d["_id"]) in inserted]
        ids = {str(d["_id"]) for d in mine}
        return Recorded(held=mine, others=[str(d["_id"]) for d in docs if str(d["_id"]) not in ids])

    async def send(self, recorded: Recorded) -> None:
        """Send what ``record`` returned: the held deliveries at once, the others claimed."""
        await asyncio.gather(
            *(self._bounded(d["_id"], held=d) for d in recorded.held),
            *(self._bounded(i) for i in recorded.others),
        )

    async def dispatch(self, ids: Iterable[str]) -> None:
        await asyncio.gather(*(self._bounded(i) for i in ids))

    async def _bounded(self, delivery_id: str, *, held: Doc | None = None) -> None:
        async with self._limit:
            try:
                await self.attempt(delivery_id, held=held)
            except Exception as exc:  # noqa: BLE001 - one delivery never stops the others
                log.warning("delivery %s attempt failed to record: %s", delivery_id, exc)

    async def run_due_once(self) -> int:
        ids = await self.deliveries.due(self.clock.now(), self.settings.worker_batch)
        await self.dispatch(ids)
        return len(ids)

    async def attempt(self, delivery_id: str, *, held: Doc | None = None) -> str:
        """One attempt; returns the outcome label (or 'skipped' when not claimable). ``held``:
        the delivery as this process wrote it, leased to it (``record``): no claim needed."""
        s = self.settings
        now = self.clock.now()
        doc = held or await self.deliveries.claim(
            delivery_id, now=now, lease_until=now + timedelta(seconds=s.delivery_lease_s)
        )
        if doc is None:
            return "skipped"
        message = message_from_doc(doc)
        if message.channel in PUSH_CHANNELS:
            window = timedelta(seconds=s.rate_limit_window_s)
            sent = await self.deliveries.sent_times(
                message.recipient_key, message.channel.value, now - window
            )
            until = rate_limited_until(sent, now=now, limit=s.rate_limit_count, window=window)
            if until is not None:
                await self.deliveries.release(delivery_id, until)
                DELIVERIES.labels(message.channel.value, message.template, "rate_limited").inc()
                return "rate_limited"
        attempts = int(doc.get("attempts", 0)) + 1
        channel = self.channels[message.channel]
        try:
            result = await channel.send(message)
        except Exception as exc:  # noqa: BLE001 - an adapter bug is treated as transient
            result = SendResult.retry(f"{type(exc).__name__}: {exc}"[:300])
        done = self.clock.now()
        if result.ok:
            await self._delivered(doc, attempts, done)
            return "delivered"
        decision = after_failure(
            result,
            attempts=attempts,
            max_attempts=s.delivery_max_attempts,
            now=done,
            base_s=s.retry_base_s,
            max_s=s.retry_max_s,
        )
        # Servers echo addresses in their errors; the error goes on the bus and into logs.
        error = mask_personal(result.error or "unknown error", [message.address, *message.personal])
        if decision.give_up or decision.retry_at is None:
            await self._failed(doc, attempts, done, error)
            return "failed"
        await self.deliveries.retry_later(
            delivery_id, attempts=attempts, due_at=decision.retry_at, error=error
        )
        RETRIES.labels(message.channel.value).inc()
        log.info("delivery %s on %s will be retried: %s", delivery_id, message.channel, error)
        return "retry"

    def _common(self, doc: Doc, attempts: int) -> dict[str, object]:
        return {
            "notification_id": str(doc["_id"]),
            "source_event_id": doc["event_id"],
            "source_event_type": doc["event_type"],
            "case_id": doc.get("case_id"),
            "recipient": public_recipient(doc),
            "recipient_kind": doc["recipient_kind"],
            "channel": doc["channel"],
            "template": doc["template"],
            "attempts": attempts,
        }

    def _envelope(
        self, data: NotificationDelivered | NotificationFailed, doc: Doc, kind: str, at: datetime
    ) -> Envelope:
        env = make_envelope(
            data,
            source=SOURCE,
            time=at,
            id=derived_event_id("notify", kind, str(doc["_id"])),
            correlation_id=doc.get("correlation_id"),
        )
        return env.model_copy(update={"causationid": doc["event_id"]})

    def _delivered_event(self, doc: Doc, attempts: int, at: datetime) -> Envelope:
        data = NotificationDelivered.model_validate(
            self._common(doc, attempts) | {"latency_s": _latency(doc, at), "delivered_at": at}
        )
        return self._envelope(data, doc, "delivered", at)

    def _count_delivered(self, doc: Doc, at: datetime) -> None:
        DELIVERIES.labels(doc["channel"], doc["template"], "delivered").inc()
        DELIVERY_LATENCY.labels(doc["channel"]).observe(_latency(doc, at))

    async def _delivered(self, doc: Doc, attempts: int, at: datetime) -> None:
        event = self._delivered_event(doc, attempts, at)
        await self.deliveries.finish(
            str(doc["_id"]), status="sent", attempts=attempts, at=at, error=None, event=event
        )
        self._count_delivered(doc, at)

    async def _failed(self, doc: Doc, attempts: int, at: datetime, error: str) -> None:
        data = NotificationFailed.model_validate(
            self._common(doc, attempts) | {"error": error, "failed_at": at}
        )
        await self.deliveries.finish(
            str(doc["_id"]),
            status="failed",
            attempts=attempts,
            at=at,
            error=error,
            event=self._envelope(data, doc, "failed", at),
        )
        DELIVERIES.labels(doc["channel"], doc["template"], "failed").inc()
        log.warning("delivery %s on %s failed for good: %s", doc["_id"], doc["channel"], error)


def _latency(doc: Doc, at: datetime) -> float:
    """Seconds from the source event's time to the delivery."""
    source_time: datetime = doc["source_time"]
    return max((at - source_time).total_seconds(), 0.0)
