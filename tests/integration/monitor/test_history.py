"""The supervision history on the real broker and database: a seeded month of cases published
on the bus (every event twice), folded by the monitor's history feed into MongoDB, then queried
for a period through the rollups; replaying the topics (`egov assess rebuild`, into the same
database and into an empty one) gives the same documents."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.monitor.history import quarters, reports
from services.monitor.history.feed import follow, replay
from services.monitor.history.model import load_model, parse_period
from services.monitor.history.ratings import published
from services.monitor.history.store import MongoHistory
from services.monitor.settings import MonitorSettings
from shared.calendar import load_default_calendar
from shared.clock import SHANGHAI
from shared.contracts import T_CATALOG, topic_for
from shared.dlq import read_dead_letters
from shared.mongo.client import create_client
from tests.support.history_events import APPLICANT, Case
from tests.support.history_scenario import ITEMS, MemoryHistory, catalog_events, events, rows
from tests.support.personal_data import personal_data

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]

CAL = load_default_calendar()
MODEL = load_model()
PERIOD = parse_period("2026-03-01..2026-04-30")
AT = datetime(2026, 5, 6, 9, tzinfo=SHANGHAI)


async def publish(bootstrap: str, batch: list[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        sent = [
            await producer.send(topic_for(e.type), e.to_json_bytes(), key=e.subject.encode())
            for e in batch
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def publish_raw(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=value[-12:])
    finally:
        await producer.stop()


async def snapshot(history: MongoHistory, department: str) -> dict[str, list[Any]]:
    def sort(docs: list[Any]) -> list[Any]:
        return sorted(docs, key=lambda d: d["_id"])

    return {
        "cases": sort(await history.cases.find({"case.department": department}).to_list(None)),
        "rollups": sort(await history.rollups.find({"department": department}).to_list(None)),
    }


def rounded(units: dict[str, Any]) -> dict[str, Any]:
    return {u: {k: round(v, 6) for k, v in c.items()} for u, c in units.items()}


def canon(snap: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Sets inside a case document in one order (the order of arrival is not kept)."""
    out = dict(snap)
    cases = []
    for doc in snap["cases"]:
        doc = {**doc, "stages": sorted(doc["stages"], key=lambda s: s["id"])}
        doc["facts"] = sorted(doc["facts"], key=lambda f: f["_id"])
        for stage in doc["stages"]:
            for name in ("dues", "susp", "resumes", "alerts", "rungs"):
                stage[name] = sorted(stage[name], key=repr)
        cases.append(doc)
    out["cases"] = cases
    out["rollups"] = [
        {**r, "c": {k: round(v, 6) for k, v in r["c"].items()}} for r in snap["rollups"]
    ]
    return out


async def test_a_month_through_the_bus_answers_a_period_and_rebuilds_the_same(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str
) -> None:
    units = ((f"500000-IT{unique_id}", "500000"), (f"510100-IT{unique_id}", "510100"))
    scenario = rows(seed=3, n=60, calendar=CAL, units=units, prefix=f"it{unique_id}-")
    batch = [e for row in scenario for e in events(row, CAL)]
    # intake's catalog of these departments, the newest version first: -002 goes online in v2
    v2 = [e for e in catalog_events(units, version=2) if e.subject.endswith("-002")]
    online = [e.model_copy(update={"data": {**e.data, "fully_online": True, "visits_required": 0}})
              for e in v2]  # fmt: skip
    batch += online + catalog_events(units)
    settings = MonitorSettings(
        kafka_bootstrap=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_db=f"egov_history_it_{unique_id}",
    )
    client = create_client(settings)
    history = MongoHistory(client[settings.database_name])
    memory = MemoryHistory()
    memory.apply(batch, CAL)
    want = await reports.units(memory, PERIOD, "department")
    assert set(want) == {u for u, _ in units}

    feed = asyncio.create_task(
        follow(settings, history, CAL, group_id=f"egov-monitor-it-{unique_id}-history")
    )
    # garbage on the catalog ahead of this test's items: dead-lettered by the feed (its only
    # reader), and the items after it in the partition are still folded (compared below)
    garbage = f"not json {unique_id}".encode()
    try:
        await publish_raw(kafka_bootstrap, T_CATALOG, garbage)
        await publish(kafka_bootstrap, batch + batch[::-1])  # every event twice, in two orders
        got: dict[str, Any] = {}
        for _ in range(120):
            got = await reports.units(history, PERIOD, "department", scope=None)
            got = rounded({k: v for k, v in got.items() if k in want})
            if got == rounded(want):
                break
            await asyncio.sleep(0.5)
        assert got == rounded(want)
        letters = [r for r in await read_dead_letters(settings) if r.value == garbage]
        assert [(r.reason, r.consumer, r.source_topic) for r in letters] == [
            ("not_json", settings.monitor_app_id, T_CATALOG)
        ]
    finally:
        feed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feed
    # Other modules on this broker publish cases in the same months and regions, and the feed
    # folds the whole topics: each breakdown is compared within this test's own departments.
    for text in ("2026-02-20..2026-04-10", "2026-03-05..2026-03-20", "2026-Q1"):
        for by in ("department", "region", "item_code"):
            other = parse_period(text)
            found = 0
            for dept, _ in units:
                mine = await reports.units(history, other, by, department=dept)
                expect = await reports.units(memory, other, by, department=dept)
                assert rounded(mine) == rounded(expect), (text, by, dept)
                found += len(expect)
            assert found, (text, by)
    for text in ("2026-02-20..2026-04-10", "2026-Q1"):  # officers: months and edge days
        other = parse_period(text)
        for dept, _ in units:
            mine = await history.by_officer(other.since, other.until, department=dept)
            expect = await memory.by_officer(other.since, other.until, department=dept)
            assert expect and [(r["key"], rounded({"c": r["c"]})) for r in mine] == [
                (r["key"], rounded({"c": r["c"]})) for r in expect
            ], (text, dept)
    submitted = await history.totals(PERIOD.since, PERIOD.until, by=None, department=units[0][0])
    assert submitted[0]["c"]["submitted"] == sum(r.case.department == units[0][0] for r in scenario)
    for dept, _ in units:
        assert (
            await history.totals(date(2025, 1, 1), date(2025, 12, 31), by=None, department=dept)
            == []
        )

    doc = await reports.assessment(history, MODEL, PERIOD, by="department", scope="510100", at=AT)
    # the region scope keeps this test's Chengdu department and leaves its Chongqing one out
    # (other modules' departments share the broker)
    assert [u["unit"] for u in doc["units"] if u["unit"] in dict(units)] == [units[1][0]]
    stats = await reports.public_statistics(history, MODEL, PERIOD, department=units[0][0])
    assert personal_data(repr(stats), (APPLICANT["name"],)) == []
    offered = [i for i in ITEMS if i[3] == "open"]  # -002 counted in its v2: online, no visit
    online_now = sum(online or suffix == "002" for suffix, online, _, _ in offered)
    zero_now = sum(visits == 0 or suffix == "002" for suffix, _, visits, _ in offered)
    t = stats["totals"]
    assert (t["items_offered"], t["items_fully_online"], t["items_zero_visit"]) == (
        len(offered), online_now, zero_now
    )  # fmt: skip
    expect_stats = await reports.public_statistics(memory, MODEL, PERIOD, department=units[0][0])

    def shares(doc: dict[str, Any]) -> dict[str, Any]:
        return {
            i["item_code"]: (i["fully_online_share"], i["zero_visit_share"])
            for i in doc["by_item_code"]
        }

    assert shares(stats) == shares(expect_stats)
    assert len(shares(stats)) == len(offered)  # the item offered without cases listed too
    for dept, _ in units:  # published ratings: the same from MongoDB as from the memory
        mine = await history.rated(PERIOD.since, PERIOD.until, limit=500, department=dept)
        expect = await memory.rated(PERIOD.since, PERIOD.until, limit=500, department=dept)
        assert expect and sorted(map(repr, map(published, mine))) == sorted(
            map(repr, map(published, expect))
        )
        assert personal_data(repr([published(d) for d in mine]), (APPLICANT["name"],)) == []
    assert personal_data(repr(await snapshot(history, units[0][0])), (APPLICANT["name"],)) == []

    before = canon(await snapshot(history, units[0][0]))
    await replay(settings, history, CAL)  # fold the topics again into the same history
    assert canon(await snapshot(history, units[0][0])) == before
    fresh = MongoHistory(client[f"egov_history_it_{unique_id}_rebuilt"])
    await fresh.ensure_indexes()
    await replay(settings, fresh, CAL)  # rebuilt from nothing
    assert canon(await snapshot(fresh, units[0][0])) == before
    mine = {"department": units[0][0]}
    assert await fresh.offered(**mine) == await history.offered(**mine) != []
    await quarters_from_months(fresh, memory, units)
    await client.close()


async def quarters_from_months(
    history: MongoHistory, memory: MemoryHistory, units: tuple[tuple[str, str], ...]
) -> None:
    """A history folded before quarter and dekad rollups: its quarters are read from its months
    and its dekads from its days until `egov assess quarters` sums them, then from the quarter
    and dekad rollups, with the same answer."""
    periods = (parse_period("2026-Q1"), parse_period("2026-03-05..2026-03-20"))
    dept = units[0][0]
    mine_only = {"grain": {"$in": ["q", "x"]}, "department": dept}
    folded = await history.rollups.find(mine_only).sort("_id", 1).to_list(None)
    assert {r["grain"] for r in folded} == {"q", "x"}  # the replay counted them too
    await history.rollups.update_many(mine_only, {"$set": {"c": {}}})
    await history.meta.delete_many({})
    await history.start()  # the markers of a history folded before: from after its latest day
    quarter_from, dekad_from = await quarters.markers(history.meta)
    assert quarter_from is not None and quarter_from > "2026-Q1"
    assert dekad_from is not None and dekad_from > "2026-03-X2"

    async def same_answers() -> None:
        for period in periods:
            for by in ("department", "item_code"):
                mine = await reports.units(history, period, by, department=dept)
                expect = await reports.units(memory, period, by, department=dept)
                assert rounded(mine) == rounded(expect), (period.label, by)

    await same_answers()
    await history.sum_quarters()
    assert await quarters.markers(history.meta) == ("0000-Q1", "0000-01-X1")
    summed = await history.rollups.find(mine_only).sort("_id", 1).to_list(None)
    assert canon({"cases": [], "rollups": summed}) == canon({"cases": [], "rollups": folded})
    await same_answers()


CLI_TIMEOUT_S = 420


async def egov(*args: str, db: str, kafka: str, mongo: str) -> tuple[int, str]:
    env = {**os.environ, "EGOV_KAFKA_BOOTSTRAP": kafka, "EGOV_MONGO_URI": mongo}
    env["EGOV_MONGO_DB"] = db
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from services.cli import app; app()",
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    # A rebuild folds everything the shared test broker's topics hold by then (every other
    # module's cases too): minutes on a loaded 2-core machine, measured over 120 s in a full run.
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=CLI_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        out, _ = await proc.communicate()
        raise AssertionError(
            f"egov {' '.join(args)} still ran after {CLI_TIMEOUT_S} s:\n" + out.decode()[-3000:]
        ) from None
    return proc.returncode or 0, out.decode()


async def test_egov_assess_rebuild_refuses_to_drop_what_the_topics_no_longer_hold(
    kafka_bootstrap: str, mongo_uri: str, unique_id: str
) -> None:
    case = Case(f"rb{unique_id}-1", department=f"500000-RB{unique_id}")
    at = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    await publish(kafka_bootstrap, [case.submitted(at), case.decided(at + timedelta(days=2))])
    db = f"egov_history_rb_{unique_id}"
    client = create_client(MonitorSettings(mongo_uri=mongo_uri))
    history = MongoHistory(client[db])
    ancient = {"_id": "d|2020-01-02|old|500000|i", "grain": "d", "day": "2020-01-02"}
    ancient["department"] = "old"
    await history.rollups.insert_one({**ancient, "region": "500000", "item_code": "i", "c": {}})
    run = functools.partial(egov, db=db, kafka=kafka_bootstrap, mongo=mongo_uri)

    code, out = await run("assess", "rebuild")
    assert code == 1 and "refused" in out and "2020-01-02" in out
    assert await history.case(case.case_id) is None  # nothing dropped, nothing folded

    code, out = await run("assess", "rebuild", "--no-drop")
    assert code == 0, out
    folded = await history.case(case.case_id)
    assert folded is not None, out  # what the rebuild said, when it missed the case
    assert folded["decision"]["decision"] == "approved"
    assert await history.oldest_day() == "2020-01-02"

    code, out = await run("assess", "rebuild", "--force")
    assert code == 0, out
    assert await history.case(case.case_id) is not None, out
    assert await history.oldest_day() != "2020-01-02"

    code, out = await run("assess", "bulletin", "--period", "2026-03", "--format", "json")
    assert code == 0, out
    assert f"500000-RB{unique_id}" in out
    await client.close()
