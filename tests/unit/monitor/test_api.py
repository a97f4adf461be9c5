"""The board API over in-memory fakes: roles, department scope, field-level 422."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from services.monitor import handlers as h
from services.monitor.api import router
from services.monitor.board import aggregate, merge
from services.monitor.settings import MonitorSettings
from shared.auth import TokenVerifier
from shared.clock import FixedClock
from shared.observability.http import create_app
from tests.support.tokens import officer_headers
from tests.unit.monitor.fakes import DictStats, DictStore, fake_deps
from tests.unit.monitor.test_handlers import DUE, OPENED, open_case

SETTINGS = MonitorSettings()


@dataclass
class Source:
    store: DictStore
    stats: DictStats
    clock: FixedClock
    extra: dict[str, Any] = field(default_factory=dict)

    def worker_status(self) -> dict[str, Any]:
        return {"partitions": [2], "recovered": True}

    async def board(self, **filters: str | None) -> dict[str, Any]:
        now = self.clock.now()
        return merge([aggregate(self.store.records(), self.stats.rows(), now)], now, **filters)


def token(roles: list[str], department: str | None = None) -> dict[str, str]:
    return officer_headers(SETTINGS, subject="u1", roles=roles, department=department)


async def client() -> httpx.AsyncClient:
    deps, store, _, _ = fake_deps()
    await open_case(deps)
    await h.on_timer(deps.arrived(h.Incoming(2, DUE + timedelta(hours=1), DUE)), "C1", "S1")
    app = create_app(service="monitor", routers=[router])
    app.state.monitor = Source(store, deps.stats, FixedClock(DUE + timedelta(hours=2)))  # type: ignore[arg-type]
    app.state.verifier = TokenVerifier(SETTINGS)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t")


async def test_board_for_a_supervisor_and_scoped_for_a_department_head() -> None:
    async with await client() as c:
        assert (await c.get("/v1/board")).status_code == 401
        assert (await c.get("/v1/board", headers=token(["applicant"]))).status_code == 403
        board = (await c.get("/v1/board", headers=token(["supervisor"]))).json()
        assert board["counts"] == {"green": 0, "yellow": 0, "red": 1}
        assert board["overdue"][0]["past_due_s"] == 7200.0 and board["overdue"][0]["rung"] == 1
        head = token(["department_head"], department="D1")
        assert (await c.get("/v1/board", headers=head)).json()["open"] == 1
        other = await c.get("/v1/board?department=D2", headers=head)
        assert other.status_code == 403
        stranger = token(["department_head"], department="D2")
        assert (await c.get("/v1/board", headers=stranger)).json()["open"] == 0
        assert (await c.get("/v1/stages/C1", headers=stranger)).status_code == 403


async def test_case_view_and_validation_errors() -> None:
    async with await client() as c:
        view = (await c.get("/v1/stages/C1", headers=token(["inspector"]))).json()
        assert view["stages"][0]["light"] == "red"
        assert view["stages"][0]["opened_at"].startswith(OPENED.date().isoformat())
        missing = await c.get("/v1/stages/NOPE", headers=token(["inspector"]))
        assert missing.status_code == 404
        bad = await c.get("/v1/board?region=12", headers=token(["supervisor"]))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.region"
