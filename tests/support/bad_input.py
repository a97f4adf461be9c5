"""Bad input: flood every consumed topic with malformed messages (published with kcat)
interleaved with valid ones, then check that every bad one reached the dead-letter topic once per
consuming service with an expected reason, no valid one did, and every consumer carried on.

    .venv/bin/python -m tests.support.bad_input --bootstrap 127.0.0.1:9092 \\
        --url intake=http://127.0.0.1:8001 --url approval=http://127.0.0.1:8002 ...

(default URLs: the local platform of `make run`, EGOV_<NAME>_URL). Prints the figures and exits
non-zero when a promise is broken. tests/e2e/test_bad_input.py runs a smaller flood of the same
messages on the end-to-end stack.

kcat: Debian's kcat 1.7.1 (librdkafka 2.0.2) cannot parse Tansu's ApiVersions v3 answer;
`dev/kcat` runs it on the librdkafka of the confluent-kafka wheel; a kcat that still cannot talk
to the broker stops the run with that message.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from shared.contracts import DEAD_LETTER_TOPIC, TOPICS, types_on_topic
from shared.contracts import events as ev
from shared.contracts.catalog import CatalogItemChanged
from shared.contracts.examples import EXAMPLES, T0
from shared.contracts.publishers import publisher_of_topic
from shared.identifiers import make_uscc
from shared.kafka.deadletter import H_CONSUMER, H_REASON
from shared.kafka.metadata import topic_partitions

REPO = Path(__file__).resolve().parents[2]

# egov.calendar is read groupless by every process of every service (shared/calendar/feed.py): a
# message that is not a valid schedule is skipped and counted there, not dead-lettered N times.
# (egov.catalog, read only by the monitor's history feed, is flooded: that feed's own group
# dead-letters what it cannot read, services/monitor/history/feed.py.)
FOLLOWED_ONLY = (ev.T_CALENDAR,)
CONSUMED_TOPICS = tuple(
    t.name
    for t in TOPICS.values()
    if t.consumers and not t.internal and t.name not in FOLLOWED_ONLY
)
HUGE_BYTES = 1_200_000  # > the default EGOV_KAFKA_MAX_MESSAGE_BYTES (1 MiB), < producers' 2 MiB
KEY_DELIM = b"\x1f\x1d"
MSG_DELIM = b"\x1e\x1c\x1e"
PAST = "2025-07-01T01:30:00+00:00"  # before any clock the platform runs on (sim: 2026-12-31)
FAR = "2027-12-30T17:00:00+08:00"  # a deadline nothing reaches during a run (inside the horizon)

# Kinds of malformed message -> the dead-letter reasons a consumer may give for it.
BAD_KINDS: dict[str, frozenset[str]] = {
    "not_json": frozenset({"not_json"}),
    "not_an_object": frozenset({"invalid_envelope"}),
    "envelope_missing_fields": frozenset({"invalid_envelope"}),
    "envelope_wrong_types": frozenset({"invalid_envelope"}),
    "unknown_type": frozenset({"unknown_type"}),
    "unknown_version": frozenset({"unknown_type"}),
    "data_missing_fields": frozenset({"schema_violation"}),
    "data_wrong_types": frozenset({"schema_violation"}),
    "huge": frozenset({"too_large"}),
}

# Per topic, an event type every consumer of the topic routes (so a payload that breaks its
# schema must be dead-lettered by all of them) and the valid event published there.
BAD_BASE = {
    ev.T_INTAKE_IN: ev.CaseSubmissionReceived.event_type,
    ev.T_CASES: ev.RectificationOpened.event_type,
    ev.T_STAGES: ev.StageOpened.event_type,
    ev.T_SUPERVISION: ev.StageWarned.event_type,
    ev.T_CREDIT_INCIDENTS: ev.CreditIncident.event_type,
    ev.T_CREDIT_CHANGES: ev.CreditChanged.event_type,
}
VALID_TYPE = {
    ev.T_INTAKE_IN: ev.CaseSubmissionReceived.event_type,
    ev.T_CASES: ev.CaseSubmitted.event_type,
    ev.T_STAGES: ev.StageOpened.event_type,
    ev.T_SUPERVISION: ev.StageWarned.event_type,
    ev.T_CREDIT_INCIDENTS: ev.CreditIncident.event_type,
    ev.T_CREDIT_CHANGES: ev.CreditChanged.event_type,
}
# Which services must count a valid event of each type as handled (not merely ignored).
HANDLED_BY = {
    ev.CaseSubmissionReceived.event_type: ("intake",),
    ev.CaseSubmitted.event_type: ("approval", "notify"),
    ev.StageOpened.event_type: ("monitor", "notify", "intake"),
    ev.StageWarned.event_type: ("notify",),
    ev.CreditIncident.event_type: ("credit",),
    ev.CreditChanged.event_type: ("notify", "intake"),
    ev.LicenceIssued.event_type: ("approval",),  # its PDF joins the sealed dossier
    CatalogItemChanged.event_type: ("monitor",),  # folded by its history feed
}
# A credit incident must name a source the end-to-end checker accepts for a case it does not
# follow (see tests/support/invariants.py, rule 5).
PROBE_CREDIT_SOURCE = "egov-approval"


def _ingress_type(topic: str) -> str:
    """What the flood sends on an outside publisher's topic: a case submission where it may
    send one (the kind every channel publisher sends), else the first type it may send."""
    types = types_on_topic(topic)
    wanted = ev.CaseSubmissionReceived.event_type
    return wanted if wanted in types else types[0]


def fingerprint(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


# Readers that follow a topic for their own events only and skip the rest without a dead letter:
# the monitor's register reads its own findings back from egov.supervision (which only the
# monitor may write), groupless, so garbage there is for notify's consumer to dead-letter.
FOLLOWERS = {(ev.T_SUPERVISION, "monitor")}


def consumer_names(topic: str, running: Iterable[str] | None = None) -> set[str]:
    """Consumer (group) names that must handle ``topic``: `egov-<service>`."""
    wanted = set(running) if running is not None else None
    return {
        f"egov-{s}"
        for s in TOPICS[topic].consumers
        if (wanted is None or s in wanted) and (topic, s) not in FOLLOWERS
    }


@dataclass(frozen=True)
class Message:
    topic: str
    key: str
    value: bytes
    kind: str  # a BAD_KINDS key, or "valid"
    event_type: str | None = None
    subject: str | None = None  # case, subject or external id of a valid message

    @property
    def bad(self) -> bool:
        return self.kind != "valid"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)


# --- building the messages -------------------------------------------------------------------


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _intake_example() -> dict[str, Any]:
    raw = json.loads((REPO / "services/intake/examples/submission.json").read_text())
    return dict(raw["data"])


class Builder:
    """Makes unique malformed and valid messages for one run (``prefix`` marks all of them)."""

    def __init__(self, prefix: str, seed: int = 5) -> None:
        self.prefix = prefix
        self.rnd = random.Random(f"{prefix}:{seed}")  # fresh subjects and case numbers per run
        self.n = 0
        self.case_day = f"2099{self.rnd.randrange(10**4):04d}"

    def _next(self) -> int:
        self.n += 1
        return self.n

    def envelope(
        self, event_type: str, data: dict[str, Any], subject: str, topic: str = ""
    ) -> dict[str, Any]:
        publisher = publisher_of_topic(topic)  # an ingress topic's events speak as its publisher
        return {
            "specversion": "1.0",
            "id": f"{self.prefix}-{self.n}",
            "source": publisher.source if publisher is not None else "/test/bad-input",
            "type": event_type,
            "time": PAST,
            "subject": subject,
            "datacontenttype": "application/json",
            "data": data,
        }

    def data(self, event_type: str) -> tuple[dict[str, Any], str]:
        """A valid payload of ``event_type`` about fresh ids; returns it and its key."""
        n = self._next()
        if event_type == ev.CaseSubmissionReceived.event_type:
            d = _intake_example()
            d["external_id"] = f"{self.prefix}-{n}"
            d["submitted_at"] = PAST
            return d, d["external_id"]
        d = copy.deepcopy(EXAMPLES[event_type])
        text = json.dumps(d).replace(T0.isoformat(), PAST)
        d = json.loads(text)
        if event_type == CatalogItemChanged.event_type:
            # a fresh item, closed: the flood adds nothing to what the hall offers (statistics)
            d["item_code"] = f"{self.prefix}-item-{n}"
            d["status"] = "closed"
            return d, d["item_code"]
        case = f"500000-{self.case_day}-{n:06d}"
        if "case_id" in d:
            d["case_id"] = case
        if "stage_id" in d:
            d["stage_id"] = f"{case}:review"
        if "due_at" in d:
            d["due_at"] = FAR
        if event_type in (ev.CreditIncident.event_type, ev.CreditChanged.event_type):
            d["subject_id"] = make_uscc(100_000 + self.rnd.randrange(800_000))
            if event_type == ev.CreditIncident.event_type:
                d["source_system"] = PROBE_CREDIT_SOURCE
                d["case_id"] = case
                d["evidence"] = [f"{self.prefix}-{n}"]
            return d, d["subject_id"]
        return d, case

    def valid(self, topic: str) -> Message:
        event_type = VALID_TYPE.get(topic) or _ingress_type(topic)
        data, key = self.data(event_type)
        env = self.envelope(event_type, data, key, topic)
        return Message(topic, key, _dumps(env), "valid", event_type, key)

    def bad(self, topic: str, kind: str) -> Message:
        event_type = BAD_BASE.get(topic) or _ingress_type(topic)
        data, _ = self.data(event_type)
        n = self.n
        key = f"{self.prefix}-bad-{n}"
        env = self.envelope(event_type, data, key, topic)
        variant = n % 4
        tag = f"{self.prefix}-{n}"
        if kind == "not_json":
            value = [
                f"not json {tag} ".encode() + bytes(self.rnd.randrange(32, 127) for _ in range(40)),
                _dumps(env)[:-7],  # truncated
                b"\xff\xfe\x00" + tag.encode() + b"\xc3\x28",  # not UTF-8
                f"{{'single': 'quotes', 'id': '{tag}'}}".encode(),
            ][variant]
        elif kind == "not_an_object":
            value = [_dumps([tag, n]), _dumps(tag), _dumps([env]), _dumps([None, tag])][variant]
        elif kind == "envelope_missing_fields":
            del env[("id", "source", "time", "data")[variant]]
            value = _dumps({**env, "x-tag": tag})
        elif kind == "envelope_wrong_types":
            wrong: list[dict[str, Any]] = [
                {"time": f"yesterday {tag}"},
                {"data": f"text {tag}"},
                {"specversion": "2.0"},
                {"id": {"nested": tag}},
            ]
            env.update(wrong[variant])
            value = _dumps(env)
        elif kind == "unknown_type":
            env["type"] = f"gov.egov.nonsense.{tag}.v1"
            value = _dumps(env)
        elif kind == "unknown_version":
            env["type"] = event_type.rsplit(".v", 1)[0] + ".v9"
            value = _dumps(env)
        elif kind == "data_missing_fields":
            from shared.contracts import model_for

            fields = model_for(event_type).model_fields
            required = sorted(k for k in data if k in fields and fields[k].is_required())
            del data[required[variant % len(required)] if variant else _key_field(event_type)]
            data["x-tag"] = tag  # keeps every copy unique
            value = _dumps(env)
        elif kind == "data_wrong_types":
            name = [_key_field(event_type), _time_field(data), _key_field(event_type), "region"]
            target = name[variant] if name[variant] in data else _key_field(event_type)
            data[target] = {"wrong": tag} if target == _key_field(event_type) else f"not-{tag}"
            value = _dumps(env)
        elif kind == "huge":
            data["padding"] = tag + "x" * HUGE_BYTES
            value = _dumps(env)
        else:
            raise ValueError(kind)
        if KEY_DELIM in value or MSG_DELIM in value:
            raise AssertionError("a delimiter occurs in a message")
        return Message(topic, key, value, kind, event_type)


def _key_field(event_type: str) -> str:
    from shared.contracts import model_for

    return model_for(event_type).key_field


def _time_field(data: dict[str, Any]) -> str:
    return next((k for k in data if k.endswith("_at") and k != "due_at"), next(iter(data)))


def plan(
    prefix: str, *, bad: int, valid: int, topics: Iterable[str] = CONSUMED_TOPICS, huge_max: int = 6
) -> list[Message]:
    """``bad`` malformed messages spread over ``topics`` and kinds, ``valid`` ones interleaved
    (each topic's batch ends with a valid message)."""
    topics = list(topics)
    b = Builder(prefix)
    kinds = [k for k in BAD_KINDS if k != "huge"]
    per_topic: dict[str, list[Message]] = defaultdict(list)
    first_huge = 7 * len(topics)  # then consecutive: round-robin over the topics
    for i in range(bad):
        topic = topics[i % len(topics)]
        kind = kinds[(i // len(topics)) % len(kinds)]
        if first_huge <= i < first_huge + huge_max:
            kind = "huge"
        per_topic[topic].append(b.bad(topic, kind))
    valid_per_topic = {
        t: valid // len(topics) + (1 if k < valid % len(topics) else 0)
        for k, t in enumerate(topics)
    }
    out: list[Message] = []
    for topic in topics:
        bads, goods = per_topic[topic], [b.valid(topic) for _ in range(valid_per_topic[topic])]
        step = max(len(bads) // max(len(goods), 1), 1)
        merged: list[Message] = []
        for j, m in enumerate(bads):
            merged.append(m)
            if goods and (j + 1) % step == 0 and len(goods) > 1:
                merged.append(goods.pop(0))
        merged.extend(goods)  # at least the last one: a valid message after the flood
        out.extend(merged)
    return out


# --- publishing with kcat --------------------------------------------------------------------


def kcat_command(repo: Path = REPO) -> list[str]:
    """`dev/kcat` (Debian kcat on a current librdkafka) when usable, else plain kcat."""
    wrapper = repo / "dev" / "kcat"
    return [str(wrapper)] if wrapper.exists() else ["kcat"]


def kcat_works(cmd: list[str], bootstrap: str) -> bool:
    try:
        done = subprocess.run(  # noqa: S603
            [*cmd, "-b", bootstrap, "-L", "-t", DEAD_LETTER_TOPIC, "-m", "10"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def publish_with_kcat(cmd: list[str], bootstrap: str, messages: list[Message]) -> dict[str, float]:
    """One kcat call per topic reading a file of key/value pairs in order; seconds per topic."""
    timings: dict[str, float] = {}
    by_topic: dict[str, list[Message]] = defaultdict(list)
    for m in messages:
        by_topic[m.topic].append(m)
    with tempfile.TemporaryDirectory(prefix="bad-input-") as tmp:
        for topic, msgs in by_topic.items():
            path = Path(tmp) / f"{topic}.bin"
            path.write_bytes(
                b"".join(m.key.encode() + KEY_DELIM + m.value + MSG_DELIM for m in msgs)
            )
            started = time.monotonic()
            done = subprocess.run(  # noqa: S603
                [
                    *cmd,
                    "-P",
                    "-b",
                    bootstrap,
                    "-t",
                    topic,
                    "-K",
                    KEY_DELIM.decode(),
                    "-D",
                    MSG_DELIM.decode(),
                    "-X",
                    "message.max.bytes=8000000",
                    "-X",
                    "partitioner=murmur2_random",
                    "-l",
                    str(path),
                ],
                capture_output=True,
                timeout=180,
                check=False,
            )
            timings[topic] = time.monotonic() - started
            if done.returncode != 0:
                raise RuntimeError(
                    f"kcat -P {topic} failed: {done.stderr.decode(errors='replace')[-800:]}"
                )
    return timings


@dataclass
class Outcome:
    """What the dead-letter topic says about this run's messages."""

    lettered: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    records: int = 0
    last_letter_at: float = 0.0  # time.monotonic() when the last of ours arrived

    def missing(self, bad: list[Message], running: Iterable[str] | None) -> list[str]:
        out = []
        for m in bad:
            got = self.lettered.get(m.fingerprint, {})
            for consumer in sorted(consumer_names(m.topic, running) - set(got)):
                out.append(f"{consumer} did not dead-letter {m.kind} #{m.key} on {m.topic}")
        return out

    def wrong_reasons(self, bad: list[Message]) -> list[str]:
        out = []
        for m in bad:
            for consumer, reason in self.lettered.get(m.fingerprint, {}).items():
                if reason not in BAD_KINDS[m.kind]:
                    out.append(f"{consumer}: {m.kind} #{m.key} on {m.topic} lettered as {reason!r}")
        return out


async def watch_dead_letters(
    bootstrap: str,
    messages: list[Message],
    running: Iterable[str] | None = None,
    *,
    within_s: float = 150.0,
) -> Outcome:
    """Read the dead-letter topic from the beginning until every bad message is there once per
    consuming service (or the time is up), keeping records about ``messages`` only."""
    from aiokafka import AIOKafkaConsumer

    running = list(running) if running is not None else None
    ours = {m.fingerprint for m in messages}
    bad = [m for m in messages if m.bad]
    outcome = Outcome()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    try:
        parts = await topic_partitions(consumer, DEAD_LETTER_TOPIC)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000, max_records=2000)
            for records in batch.values():
                for r in records:
                    outcome.records += 1
                    fp = fingerprint(r.value or b"")
                    if fp in ours:
                        headers = {k: v.decode(errors="replace") for k, v in r.headers or ()}
                        who = headers.get(H_CONSUMER, "?")
                        if who not in outcome.lettered[fp]:
                            outcome.lettered[fp][who] = headers.get(H_REASON, "?")
                            outcome.last_letter_at = time.monotonic()
            if not batch and not outcome.missing(bad, running):
                break
    finally:
        await consumer.stop()
    return outcome


async def read_topic(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """The JSON objects currently on ``topic`` (from the beginning to the end offsets)."""
    from aiokafka import AIOKafkaConsumer

    from shared.kafka.offsets import verified_end_offsets

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        parts = await topic_partitions(consumer, topic)
        ends = await verified_end_offsets(parts, {"bootstrap_servers": bootstrap})
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in parts]
            if all(pos >= ends[tp] for pos, tp in zip(positions, parts, strict=True)):
                break
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for r in records:
                    try:
                        obj = json.loads(r.value or b"")
                    except ValueError:
                        continue
                    if isinstance(obj, dict):
                        out.append(obj)
    finally:
        await consumer.stop()
    return out


def scrape_consumed(url: str) -> Counter[tuple[str, str]]:
    """egov_events_consumed_total of one service: (event_type, outcome) -> count."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:  # noqa: S310 - loopback
        text = resp.read().decode()
    out: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "egov_events_consumed_total":
                key = (sample.labels.get("event_type", "?"), sample.labels.get("outcome", "?"))
                out[key] += int(sample.value)
    return out


def handled_shortfall(
    urls: dict[str, str], before: dict[str, Counter[tuple[str, str]]], messages: list[Message]
) -> list[str]:
    """Services whose handled-counter has not yet grown by the valid messages they must handle."""
    wanted: Counter[tuple[str, str]] = Counter()
    for m in messages:
        if not m.bad and m.event_type:
            for svc in HANDLED_BY[m.event_type]:
                if svc in urls:
                    wanted[(svc, m.event_type)] += 1
    out = []
    for (svc, event_type), n in sorted(wanted.items()):
        now = scrape_consumed(urls[svc])
        grew = now[(event_type, "handled")] - before[svc][(event_type, "handled")]
        if grew < n:
            out.append(f"{svc}: {event_type} handled +{grew}, expected at least +{n}")
    return out


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as resp:  # noqa: S310 - loopback
            return bool(resp.status == 200)
    except OSError:
        return False


# --- the standalone run ----------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    urls = {
        name: os.environ.get(f"EGOV_{name.upper()}_URL", f"http://127.0.0.1:{8001 + i}")
        for i, name in enumerate(("intake", "approval", "monitor", "notify", "credit"))
    }
    for item in args.url:
        name, _, url = item.partition("=")
        urls[name] = url.rstrip("/")
    running = [n for n, u in urls.items() if ready(u)]
    print(f"services ready: {', '.join(running) or 'none'}")
    prefix = args.prefix or f"bi{random.randrange(16**8):08x}"
    messages = plan(prefix, bad=args.bad, valid=args.valid, huge_max=args.huge)
    bad = [m for m in messages if m.bad]
    if args.meant_bad:
        await asyncio.to_thread(_append, Path(args.meant_bad), [m.fingerprint for m in bad])
    before = {n: scrape_consumed(urls[n]) for n in running}
    cmd = kcat_command()
    if not kcat_works(cmd, args.bootstrap):
        raise SystemExit(f"{' '.join(cmd)} cannot talk to {args.bootstrap} (see dev/kcat)")
    started = time.monotonic()
    timings = await asyncio.to_thread(publish_with_kcat, cmd, args.bootstrap, messages)
    published = time.monotonic() - started
    outcome = await watch_dead_letters(args.bootstrap, messages, running, within_s=args.within)
    settled = time.monotonic() - started
    lettered_s = (outcome.last_letter_at or time.monotonic()) - started
    live = {n: urls[n] for n in running}
    deadline = time.monotonic() + 120
    shortfall = handled_shortfall(live, before, messages)
    while shortfall and time.monotonic() < deadline:
        await asyncio.sleep(2)
        shortfall = handled_shortfall(live, before, messages)
    handled_s = time.monotonic() - started
    missing = outcome.missing(bad, running)
    wrong = outcome.wrong_reasons(bad)
    valid_lettered = [m for m in messages if not m.bad and m.fingerprint in outcome.lettered]
    after = {n: scrape_consumed(urls[n]) for n in running}
    stopped = [n for n in running if not ready(urls[n])]

    kinds = Counter(m.kind for m in messages)
    print(
        f"published {len(messages)} messages ({len(bad)} bad, {kinds['valid']} valid) to "
        f"{len(timings)} topics with kcat in {published:.1f}s; last dead letter of ours after "
        f"{lettered_s:.1f}s, valid ones handled after {handled_s:.1f}s (watched {settled:.0f}s)"
    )
    print("by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    reasons = Counter(r for per in outcome.lettered.values() for r in per.values())
    print("dead letters by reason: " + ", ".join(f"{k}={v}" for k, v in sorted(reasons.items())))
    for n in running:
        by_outcome: Counter[str] = Counter()
        for (_, o), c in (after[n] - before[n]).items():
            by_outcome[o] += c
        print(f"  {n:9s} " + ", ".join(f"{o}={v}" for o, v in sorted(by_outcome.items())))
    print(
        f"valid not handled: {len(shortfall)}; "
        f"missing dead letters: {len(missing)}; wrong reasons: {len(wrong)}; "
        f"valid dead-lettered: {len(valid_lettered)}; stopped services: {stopped or 'none'}"
    )
    for line in (missing + wrong + shortfall)[:20]:
        print("  " + line)
    return 1 if (missing or wrong or valid_lettered or stopped or shortfall) else 0


def _append(path: Path, lines: list[str]) -> None:
    with path.open("a") as fh:
        fh.writelines(line + "\n" for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bootstrap", default=os.environ.get("EGOV_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    parser.add_argument("--url", action="append", default=[], help="name=URL of a service")
    parser.add_argument("--bad", type=int, default=1000)
    parser.add_argument("--valid", type=int, default=300)
    parser.add_argument("--huge", type=int, default=12, help="how many of the bad are > 1 MiB")
    parser.add_argument("--within", type=float, default=300.0, help="seconds to wait for letters")
    parser.add_argument("--prefix", default="")
    parser.add_argument(
        "--meant-bad",
        default=os.environ.get("EGOV_E2E_MEANT_BAD", ""),
        help="append the bad messages' fingerprints to this file",
    )
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
