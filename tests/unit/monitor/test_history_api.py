"""The assessment API (roles, region scope, bulletin as JSON and Markdown) and the public
statistics (no login, cached, no personal data in any answer), in-process over the rollups of
a seeded month."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from services.monitor.history.api import PublicCache
from services.monitor.history.api import router as history_router
from services.monitor.history.model import AssessmentModel, load_model
from services.monitor.settings import MonitorSettings
from shared.auth import TokenVerifier
from shared.calendar import load_default_calendar
from shared.clock import SHANGHAI, FixedClock
from shared.observability.http import create_app
from tests.support.history_events import APPLICANT
from tests.support.history_scenario import MemoryHistory, catalog_events, events, rows
from tests.support.personal_data import personal_data
from tests.support.tokens import officer_headers

SETTINGS = MonitorSettings()
CAL = load_default_calendar()
ROWS = rows(seed=5, n=120, calendar=CAL)
NOW = datetime(2026, 5, 6, 9, tzinfo=SHANGHAI)


@dataclass
class Source:
    history: MemoryHistory
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    assessment_model: AssessmentModel = field(
        default_factory=lambda: load_model().model_copy(
            update={"cost_per_transaction": {"web": 2.0, "window": 30.0}}
        )
    )
    public_cache: PublicCache = field(default_factory=lambda: PublicCache(300.0))


def seeded() -> MemoryHistory:
    h = MemoryHistory()
    h.apply([e for row in ROWS for e in events(row, CAL)], CAL)
    h.apply(catalog_events(), CAL)  # intake's catalog on egov.catalog
    return h


def client(source: Source) -> httpx.AsyncClient:
    app = create_app(service="monitor", routers=[history_router])
    app.state.monitor = source
    app.state.verifier = TokenVerifier(SETTINGS)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")


def auth(roles: list[str], region: str | None = None) -> dict[str, str]:
    return officer_headers(SETTINGS, subject="o1", roles=roles, region=region)


async def test_a_supervisor_assesses_the_departments_of_their_own_region() -> None:
    async with client(Source(seeded())) as c:
        url = "/v1/assessment?period=2026-03-01..2026-04-30"
        got = await c.get(url, headers=auth(["supervisor"], "510100"))
        assert got.status_code == 200
        doc = got.json()
        assert [u["unit"] for u in doc["units"]] == ["510100-SCJ"]
        assert doc["units"][0]["rank"] == 1 and doc["region_scope"] == "510100"
        other = await c.get(url + "&region=500000", headers=auth(["inspector"], "510100"))
        assert other.status_code == 403
        everyone = await c.get(url, headers=auth(["admin"]))
        ranked = [u for u in everyone.json()["units"] if u["rank"] is not None]
        assert len(ranked) == 3
        scores = [u["score"] for u in ranked]
        assert scores == sorted(scores, reverse=True)
        assert (await c.get(url, headers=auth(["handler"], "510100"))).status_code == 403
        assert (await c.get(url)).status_code == 401
        assert (await c.get(url, headers=auth(["supervisor"]))).status_code == 403  # no region


async def test_the_bulletin_reads_as_markdown_with_names_and_ranks() -> None:
    async with client(Source(seeded())) as c:
        got = await c.get("/v1/assessment?period=2026-Q1&format=markdown", headers=auth(["admin"]))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/markdown")
    text = got.text
    assert "考核通报" in text and "重庆市公安局 (500000-GAJ)" in text
    assert "| 1 | " in text and "承诺时限内办结率" in text


async def test_a_period_that_is_not_one_is_refused() -> None:
    async with client(Source(seeded())) as c:
        got = await c.get("/v1/assessment?period=2026-Q5", headers=auth(["admin"]))
        assert got.status_code == 422
        decade = await c.get("/v1/public/statistics?period=2016-01-01..2026-12-31")
        assert decade.status_code == 422
        three_years = await c.get("/v1/public/statistics?period=2024-01-01..2026-12-31")
        assert three_years.status_code == 200


async def test_public_statistics_need_no_login_carry_no_person_and_are_cached() -> None:
    source = Source(seeded())
    async with client(source) as c:
        paths = [
            "/v1/public/statistics?period=2026-03-01..2026-04-30",
            "/v1/public/statistics?period=2026-03&region=510100",
            "/v1/public/statistics?period=2026-Q1&department=500000-GAJ",
            "/v1/public/statistics",  # the model's last whole period: 2026-Q1
        ]
        answers = [await c.get(p) for p in paths]
        for got in answers:
            assert got.status_code == 200
            assert personal_data(got.text, (APPLICANT["name"], "山城小面馆")) == []
            assert got.headers["cache-control"] == "public, max-age=300"
        doc = answers[0].json()
        assert doc["totals"]["cases_submitted"] == len(ROWS)
        digital = sum(r.channel in ("web", "app") for r in ROWS) / len(ROWS)
        assert doc["service_standard"]["digital_take_up"] == pytest.approx(digital)
        web, window = (sum(r.channel == ch for r in ROWS) for ch in ("web", "window"))
        cost = (2.0 * web + 30.0 * window) / (web + window)
        assert doc["service_standard"]["cost_per_transaction"] == pytest.approx(cost)
        assert {d["department"] for d in doc["by_department"]} == {
            "500000-SCJ",
            "500000-GAJ",
            "510100-SCJ",
        }
        assert answers[3].json()["period"]["label"] == "2026-Q1"
        chengdu = answers[1].json()
        assert [d["department"] for d in chengdu["by_department"]] == ["510100-SCJ"]
        province = (await c.get("/v1/public/statistics?period=2026-03&region=500000")).json()
        assert {r["region"] for r in province["by_region"]} == {"500000"}
        source.history.rollups.clear()  # served from the cache until it expires
        again = await c.get(paths[0])
        assert again.json() == doc
        source.public_cache.entries.clear()
        fresh = (await c.get(paths[0])).json()
        assert fresh["totals"]["cases_submitted"] == 0


def test_the_scan_finds_what_it_looks_for() -> None:
    text: Any = f"{APPLICANT} 13800138000 a@b.cn 91310000000000019Q"
    found = personal_data(str(text), (APPLICANT["name"],))
    assert set(found) >= {APPLICANT["id_number"], "13800138000", "a@b.cn", "张三"}
