"""Inspect and replay the dead-letter topic (``egov dlq list`` / ``egov dlq replay``).

A dead letter keeps the original key, bytes and headers of the message plus ``dlq.*`` headers
(reason, error, source topic/partition/offset, consumer, event type). Replay publishes the
original bytes, key and headers back to the source topic; the consumer then handles it like any
new delivery (a copy that was in fact handled is dropped by its (source, id) dedupe).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass

import typer

from shared.kafka import deadletter as dl
from shared.settings import ServiceSettings

REPLAYED_FROM = "egov.replayed_from"  # header on a replayed message: deadletter partition:offset


@dataclass(frozen=True)
class DeadLetterRecord:
    partition: int  # of egov.deadletter
    offset: int
    reason: str
    error: str
    source_topic: str
    source_partition: int | None
    source_offset: int | None
    consumer: str
    failed_at: str
    event_type: str | None
    key: bytes | None
    value: bytes
    original_headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_message(
        cls,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        headers: Iterable[tuple[str, bytes]],
    ) -> DeadLetterRecord:
        all_headers = tuple((k, v or b"") for k, v in headers)
        own = dl.read_dead_letter_headers(all_headers)
        original = tuple((k, v) for k, v in all_headers if not k.startswith("dlq."))
        return cls(
            partition=partition,
            offset=offset,
            reason=own.get(dl.H_REASON, "unknown"),
            error=own.get(dl.H_ERROR, ""),
            source_topic=own.get(dl.H_TOPIC, ""),
            source_partition=_int(own.get(dl.H_PARTITION)),
            source_offset=_int(own.get(dl.H_OFFSET)),
            consumer=own.get(dl.H_CONSUMER, ""),
            failed_at=own.get(dl.H_FAILED_AT, ""),
            event_type=own.get(dl.H_EVENT_TYPE) or _event_type(value or b""),
            key=key,
            value=value or b"",
            original_headers=original,
        )

    def matches(
        self, *, reason: str | None = None, event_type: str | None = None, topic: str | None = None
    ) -> bool:
        return (
            (reason is None or self.reason == reason)
            and (event_type is None or self.event_type == event_type)
            and (topic is None or self.source_topic == topic)
        )

    @property
    def key_text(self) -> str:
        """The message key as text (case number, subject id, external id, ...); ``-`` for none."""
        return "-" if self.key is None else self.key.decode("utf-8", "backslashreplace")

    def summary(self) -> str:
        source = f"{self.source_topic}[{self.source_partition}]@{self.source_offset}"
        return (
            f"{self.partition}:{self.offset:<6} {self.reason:<17} {source:<32} "
            f"key={self.key_text:<24} {self.event_type or '-':<40} {self.consumer:<10} "
            f"{self.failed_at}  {self.error[:80]}"
        )


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def _event_type(value: bytes) -> str | None:
    """The type the envelope names (events are structured-mode CloudEvents: no header has it)."""
    try:
        body = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return None
    return (
        body.get("type") if isinstance(body, dict) and isinstance(body.get("type"), str) else None
    )


def select(
    records: Iterable[DeadLetterRecord],
    *,
    reason: str | None = None,
    event_type: str | None = None,
    topic: str | None = None,
) -> list[DeadLetterRecord]:
    return [r for r in records if r.matches(reason=reason, event_type=event_type, topic=topic)]


async def read_dead_letters(
    settings: ServiceSettings, *, topic: str = dl.DEAD_LETTER_TOPIC, timeout_s: float = 30.0
) -> list[DeadLetterRecord]:
    """Every message of the dead-letter topic from the beginning up to its current end."""
    from shared.kafka.reading import read_whole_topic

    records = [
        DeadLetterRecord.from_message(m.partition, m.offset, m.key, m.value, m.headers)
        for m in await read_whole_topic(settings, topic, timeout_s=timeout_s)
    ]
    return sorted(records, key=lambda r: (r.failed_at, r.partition, r.offset))


async def replay(settings: ServiceSettings, records: Iterable[DeadLetterRecord]) -> int:
    """Publish each record's original bytes, key and headers to its source topic."""
    from aiokafka import AIOKafkaProducer

    from shared.kafka.client import connection_kwargs

    producer = AIOKafkaProducer(
        **connection_kwargs(settings), acks="all", enable_idempotence=settings.kafka_idempotence
    )
    await producer.start()
    count = 0
    try:
        for r in records:
            if not r.source_topic:
                continue
            headers = [*r.original_headers, (REPLAYED_FROM, f"{r.partition}:{r.offset}".encode())]
            await producer.send_and_wait(r.source_topic, value=r.value, key=r.key, headers=headers)
            count += 1
    finally:
        await producer.stop()
    return count


dlq_app = typer.Typer(no_args_is_help=True, help="dead letters: list and replay (egov.deadletter)")

ReasonOpt = typer.Option(None, "--reason", help="e.g. handler_failed, schema_violation, rejected")
TypeOpt = typer.Option(None, "--type", help="event type, e.g. gov.egov.stage.opened.v1")
TopicOpt = typer.Option(None, "--topic", help="source topic the message came from")


def _settings() -> ServiceSettings:
    return ServiceSettings(service_name="cli")


@dlq_app.command("list")
def dlq_list(
    reason: str | None = ReasonOpt,
    event_type: str | None = TypeOpt,
    topic: str | None = TopicOpt,
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
) -> None:
    """Show dead letters from the beginning: reason, source topic/partition/offset, key, type,
    error."""
    records = select(
        asyncio.run(read_dead_letters(_settings())),
        reason=reason,
        event_type=event_type,
        topic=topic,
    )
    for r in records:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "partition": r.partition,
                        "offset": r.offset,
                        "reason": r.reason,
                        "source_topic": r.source_topic,
                        "source_partition": r.source_partition,
                        "source_offset": r.source_offset,
                        "key": None if r.key is None else r.key_text,
                        "event_type": r.event_type,
                        "consumer": r.consumer,
                        "failed_at": r.failed_at,
                        "error": r.error,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            typer.echo(r.summary())
    typer.echo(f"{len(records)} dead letter(s)", err=True)


@dlq_app.command("replay")
def dlq_replay(
    reason: str | None = ReasonOpt,
    event_type: str | None = TypeOpt,
    topic: str | None = TopicOpt,
    replay_all: bool = typer.Option(False, "--all", help="replay every dead letter (no filter)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="only show what would be replayed"),
) -> None:
    """Re-publish the original bytes of the matching dead letters to their source topics."""
    if not (reason or event_type or topic or replay_all):
        typer.echo("give a filter (--reason/--type/--topic) or --all", err=True)
        raise typer.Exit(2)
    settings = _settings()
    records = select(
        asyncio.run(read_dead_letters(settings)), reason=reason, event_type=event_type, topic=topic
    )
    for r in records:
        typer.echo(("would replay " if dry_run else "replay ") + r.summary())
    if dry_run:
        typer.echo(f"{len(records)} dead letter(s) match; nothing sent (--dry-run)", err=True)
        return
    sent = asyncio.run(replay(settings, records))
    typer.echo(f"replayed {sent} message(s)", err=True)
