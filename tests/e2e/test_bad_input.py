"""Bad input on the running platform (issue 9, "Bad input").

1. kcat floods every topic the platform consumes with malformed messages (not JSON, not an
   object, envelope fields missing or of the wrong type, unknown type, unknown version, payload
   fields missing or of the wrong type, > 1 MiB) interleaved with valid ones. Every bad message
   must reach egov.deadletter once per consuming service (dlq.consumer) with an expected
   dlq.reason; no valid one may; every valid one is handled; every service stays ready and still
   handles a fresh event after the flood. The platform is shared with the day scenario, so only
   this test's own messages (by fingerprint) are looked at, and the bad ones are registered as
   meant-to-be-bad (tests/e2e/bad_input_registry.py) for the scenario's dead-letter check.
2. schemathesis against each service's OpenAPI document: no 5xx, responses match the schema.
3. The upload endpoints with bad files (a wrong type, too large, a hash mismatch, another
   applicant's upload, an expired slot): tests/e2e/test_bad_uploads.py.

The full 1,000-message flood is `python -m tests.support.bad_input` (figures in docs/testing.md).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.contracts import events as ev
from shared.contracts.publishers import publisher_of_topic
from shared.settings import ServiceSettings
from tests.e2e import _fixtures_bad_input, bad_input_registry
from tests.support.bad_input import (
    BAD_KINDS,
    CONSUMED_TOPICS,
    HANDLED_BY,
    Message,
    consumer_names,
    handled_shortfall,
    kcat_works,
    plan,
    publish_with_kcat,
    read_topic,
    ready,
    scrape_consumed,
    watch_dead_letters,
)
from tests.support.processes import Platform
from tests.support.tokens import lasting_token

# The fixtures live in their own module (tests/e2e/conftest.py belongs to the day scenario).
kcat = _fixtures_bad_input.kcat
fuzz_token = _fixtures_bad_input.fuzz_token
schemathesis_cli = _fixtures_bad_input.schemathesis_cli

pytestmark = pytest.mark.e2e

BAD, VALID = 120, 60


async def _publish(kcat_cmd: list[str], bootstrap: str, messages: list[Message]) -> float:
    """Publish with kcat (dev/kcat: Debian's kcat on a current librdkafka); seconds."""
    started = time.monotonic()
    assert await asyncio.to_thread(kcat_works, kcat_cmd, bootstrap), (
        f"{' '.join(kcat_cmd)} cannot talk to {bootstrap} (see dev/kcat)"
    )
    await asyncio.to_thread(publish_with_kcat, kcat_cmd, bootstrap, messages)
    return time.monotonic() - started


def _shortfall(
    platform: Platform, before: dict[str, Counter[tuple[str, str]]], messages: list[Message]
) -> list[str]:
    urls = {name: platform.url(name) for name in platform.services}
    return handled_shortfall(urls, before, messages)


async def _poll(check: Callable[[], list[str]], within_s: float) -> list[str]:
    deadline = time.monotonic() + within_s
    problems = await asyncio.to_thread(check)
    while problems and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        problems = await asyncio.to_thread(check)
    return problems


async def test_a_kcat_flood_of_bad_input_is_dead_lettered_and_valid_input_handled(
    platform: Platform,
    kafka_bootstrap: str,
    kcat: list[str],
    unique_id: str,
) -> None:
    running = list(platform.services)
    messages = plan(f"bi{unique_id[:10]}", bad=BAD, valid=VALID, huge_max=6)
    bad = [m for m in messages if m.bad]
    assert len(bad) == BAD and {m.topic for m in messages} >= set(CONSUMED_TOPICS)
    before = {svc: scrape_consumed(platform.url(svc)) for svc in running}

    seconds = await _publish(kcat, kafka_bootstrap, messages)
    bad_input_registry.record(messages)
    outcome = await watch_dead_letters(kafka_bootstrap, messages, running, within_s=120)
    print(
        f"\nbad input: {len(messages)} messages published with kcat in {seconds:.1f}s; "
        f"{sum(len(v) for v in outcome.lettered.values())} dead letters of ours"
    )

    problems = outcome.missing(bad, running) + outcome.wrong_reasons(bad)
    for m in bad:  # no consumer outside the topic's consumers, and each one once
        extra = set(outcome.lettered.get(m.fingerprint, {})) - consumer_names(m.topic, running)
        problems += [f"{c} dead-lettered {m.kind} #{m.key} of {m.topic}" for c in sorted(extra)]
    problems += [
        f"valid {m.event_type} #{m.key} on {m.topic} was dead-lettered by "
        f"{outcome.lettered[m.fingerprint]}"
        for m in messages
        if not m.bad and m.fingerprint in outcome.lettered
    ]
    problems += await _poll(lambda: _shortfall(platform, before, messages), within_s=120)
    problems += await _visible_effects(platform, kafka_bootstrap, messages)

    # No consumer stopped: every service is ready and handles a fresh event of every topic.
    problems += [f"{s} is not ready after the flood" for s in running if not ready(platform.url(s))]
    after = {svc: scrape_consumed(platform.url(svc)) for svc in running}
    fresh = plan(f"bj{unique_id[:10]}", bad=0, valid=len(CONSUMED_TOPICS))
    await _publish(kcat, kafka_bootstrap, fresh)
    problems += [
        f"after the flood: {p}"
        for p in await _poll(lambda: _shortfall(platform, after, fresh), within_s=90)
    ]
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:40])


def _submitter(topic: str) -> str:
    """Who intake records a submission as coming from: an ingress topic's publisher (whatever
    the payload says), else the payload's own source_system."""
    publisher = publisher_of_topic(topic)
    return publisher.id if publisher is not None else "cq-mobile-app"


async def _visible_effects(
    platform: Platform, bootstrap: str, messages: list[Message]
) -> list[str]:
    """Beyond the counters: intake registered each external submission as a case, and the
    credit service lists a record for each incident's subject."""
    problems: list[str] = []
    if "intake" in platform.services:
        wanted = {
            f"{_submitter(m.topic)}/{m.subject}"
            for m in messages
            if not m.bad and m.event_type == ev.CaseSubmissionReceived.event_type
        }
        deadline = time.monotonic() + 60
        seen: set[str] = set()
        while time.monotonic() < deadline and not wanted <= seen:
            for env in await read_topic(bootstrap, ev.T_CASES):
                if env.get("type") == ev.CaseSubmitted.event_type:
                    seen.add(str(env.get("data", {}).get("external_ref")))
            if not wanted <= seen:
                await asyncio.sleep(2)
        problems += [
            f"intake never registered external submission {r}" for r in sorted(wanted - seen)
        ]
    if "credit" in platform.services:
        token = lasting_token(
            ServiceSettings(service_name="e2e-bad-input"),
            subject="e2e-bad-input",
            roles=["system"],
        )
        subjects = [
            m.subject
            for m in messages
            if not m.bad and m.event_type == ev.CreditIncident.event_type
        ]
        async with httpx.AsyncClient(timeout=10) as http:
            for sid in subjects:
                resp = await http.get(
                    f"{platform.url('credit')}/v1/subjects/{sid}/credit",
                    headers={"Authorization": f"Bearer {token}"},
                )
                view = resp.json() if resp.status_code == 200 else {}
                if not (view.get("records") or view.get("active_records")):
                    problems.append(
                        f"credit lists no record for {sid}: {resp.status_code} {resp.text[:200]}"
                    )
    return problems


def test_openapi_fuzzing_finds_no_server_error_or_schema_violation(
    platform: Platform,
    schemathesis_cli: str,
    fuzz_token: str,
) -> None:
    """schemathesis per service: reads with any generated input, writes with invalid input
    only (the platform is shared with the day scenario: no junk cases, decisions or records)."""
    failures = {}
    for svc in platform.services:
        for selector, mode in (
            (["--include-method", "GET"], "all"),
            (["--exclude-method", "GET"], "negative"),
        ):
            cmd = [
                schemathesis_cli,
                "run",
                f"{platform.url(svc)}/openapi.json",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--max-examples",
                "10",
                "--mode",
                mode,
                "--seed",
                "1",
                "--no-shrink",
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "--phases",
                "examples,coverage,fuzzing",
                "-H",
                f"Authorization: Bearer {fuzz_token}",
                *selector,
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
            out = done.stdout + done.stderr
            if done.returncode != 0 and "No operations" not in out:
                failures[f"{svc} ({mode})"] = condense(out)
    assert not failures, "\n".join(f"== {k}\n{v}" for k, v in failures.items())


def condense(report: str) -> str:
    """The failures of a schemathesis report: operation, check, status and body, reproduction."""
    keep = []
    for line in report.splitlines():
        text = line.strip()
        if (
            text.startswith(("___", "- ST", "- Server error", "[", "`", "curl ", "Error:"))
            or "not of type" in text
            or "is not valid" in text
            or "Server error" in text
        ):
            keep.append(text.strip("_ ") if text.startswith("___") else "   " + text)
    return "\n".join(keep[:60]) or report[-1500:]


class _Sink:
    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    async def send_raw(
        self, topic: str, key: bytes | None, value: bytes, headers: Any = ()
    ) -> None:
        self.headers.append({k: v.decode() for k, v in headers})


class _NeverSeen:
    async def seen(self, *_: Any) -> bool:
        return False

    async def mark(self, *_: Any) -> None:
        return None


@dataclass
class _Record:
    topic: str
    key: bytes | None
    value: bytes | None
    partition: int = 0
    offset: int = 0
    headers: Sequence[tuple[str, bytes]] = ()


async def test_the_flood_messages_are_what_they_claim_to_be() -> None:
    """Without the stack: the shared consumer dead-letters each bad message with a reason of its
    kind and passes each valid one to its handler (guards the builder against contract drift)."""
    from shared.clock import SystemClock
    from shared.kafka import EventConsumer

    handled: list[str] = []

    async def handler(envelope: Any, _data: Any) -> None:
        handled.append(envelope.id)

    sink = _Sink()
    consumer = EventConsumer(
        settings=ServiceSettings(service_name="bad-input-check"),
        group_id="bad-input-check",
        topics=list(CONSUMED_TOPICS),
        handlers=dict.fromkeys(HANDLED_BY, handler),
        sender=sink,
        dedupe=_NeverSeen(),
        clock=SystemClock(),
    )
    messages = plan("bicheck", bad=BAD, valid=VALID, huge_max=6)
    assert {m.topic for m in messages} == set(CONSUMED_TOPICS)
    assert len({m.fingerprint for m in messages}) == len(messages)
    assert {m.kind for m in messages if m.bad} == set(BAD_KINDS)
    for m in messages:
        outcome = await consumer.process(_Record(m.topic, m.key.encode(), m.value))
        if m.bad:
            assert outcome == "dead_lettered", (m.kind, m.key)
            assert sink.headers[-1]["dlq.reason"] in BAD_KINDS[m.kind], (m.kind, sink.headers[-1])
        else:
            assert outcome == "handled", (m.event_type, m.key)
    assert len(handled) == VALID
