"""Real receivers for the notify integration tests: an SMTP server (aiosmtpd) that keeps what it
accepts, and a local HTTP app that plays the SMS gateway and webhook subscribers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from dev.devstack import free_port
from services.notify.signing import verify
from shared.kafka.metadata import topic_partitions


@dataclass
class StoredMail:
    rcpt_tos: list[str]
    message: EmailMessage

    def header(self, name: str) -> str:
        return str(self.message.get(name, ""))


class MailCollector:
    """aiosmtpd handler. Mail for a case in ``hold_cases`` waits in DATA until ``release`` is set;
    if the sender dies meanwhile, aiosmtpd cancels the handler and nothing is stored, just as a
    real server that never answered 250."""

    def __init__(self) -> None:
        self.mails: list[StoredMail] = []
        self.hold_cases: set[str] = set()
        self.held = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=default_policy
        )
        if str(msg.get("X-Egov-Case", "")) in self.hold_cases:
            self.held += 1
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        with self._lock:
            self.mails.append(StoredMail(list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"

    def for_event(self, event_id: str) -> list[StoredMail]:
        with self._lock:
            return [m for m in self.mails if m.header("X-Egov-Event") == event_id]

    def for_case(self, case_id: str) -> list[StoredMail]:
        with self._lock:
            return [m for m in self.mails if m.header("X-Egov-Case") == case_id]


def start_smtp(collector: MailCollector) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


@dataclass
class HttpReceiver:
    """SMS gateway at POST /sms (key ``sms_key``) and webhook subscribers at POST /hooks/{name}."""

    sms_key: str
    fail_phones: set[str] = field(default_factory=set)
    sms: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def _sms(self, request: web.Request) -> web.Response:
        body = await request.read()
        ok = verify(
            self.sms_key,
            request.headers.get("X-Egov-Timestamp", ""),
            body,
            request.headers.get("X-Egov-Signature", ""),
            now=time.time(),
        )
        if not ok:
            return web.json_response({"code": "SIGNATURE_INVALID"}, status=401)
        doc = json.loads(body)
        doc["idempotency_key"] = request.headers.get("X-Egov-Delivery")
        self.sms.append(doc)
        if doc["phone"] in self.fail_phones:
            return web.json_response({"code": "GATEWAY_BUSY"}, status=503)
        return web.json_response({"code": "OK", "message_id": doc["request_id"]})

    async def _hook(self, request: web.Request) -> web.Response:
        self.hooks.append(
            {
                "name": request.match_info["name"],
                "headers": dict(request.headers),
                "body": await request.read(),
            }
        )
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/sms", self._sms)
        app.router.add_post("/hooks/{name}", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def sms_for(self, request_id: str) -> list[dict[str, Any]]:
        return [s for s in self.sms if s["request_id"] == request_id]


async def until(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any],
    *,
    timeout: float = 30,
    what: str = "condition",
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


class BusReader:
    """Reads a topic from the beginning (no group) into ``records`` in the background."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.records: list[Any] = []
        self._task: asyncio.Task[None] | None = None
        self._consumer: Any = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        consumer.assign(await topic_partitions(consumer, self.topic))
        await consumer.seek_to_beginning()
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=300)
            for records in batch.values():
                self.records.extend(records)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        if self._consumer is not None:
            await self._consumer.stop()

    def events(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [doc for _, doc in self._decoded() if predicate(doc)]

    def records_of(self, event_id: str) -> list[Any]:
        """The records whose CloudEvent (the value: structured mode) has this id."""
        return [r for r, doc in self._decoded() if doc.get("id") == event_id]

    def _decoded(self) -> list[tuple[Any, dict[str, Any]]]:
        out = []
        for r in list(self.records):
            try:
                doc = json.loads(r.value)
            except ValueError:
                continue
            if isinstance(doc, dict):
                out.append((r, doc))
        return out


async def start_group_at_end(bootstrap: str, group_id: str, topics: Sequence[str]) -> None:
    """Commit the topics' current end offsets for ``group_id``, so a service started with that
    group reads only what the test publishes, not the history other tests left on the broker."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = []
        for topic in topics:
            partitions += await topic_partitions(consumer, topic)
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.commit({tp: offset for tp, offset in ends.items()})
    finally:
        await consumer.stop()
