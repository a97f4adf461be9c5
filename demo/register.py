"""The findings and 督办 register in the simulated day (docs/monitor.md, the register): each
round, the head of every department with records awaiting its answer gives one (reason and
measures), and the discipline-inspection office closes what was answered, as a real hall does.

Without them every finding and carded escalation of the day would wait for an answer that never
comes, and each of those answers (a supervised stage of its own) would climb the escalation
ladder in turn: a flood of escalations to the inspection office that no real hall produces, and
that outgrows what notify and the database deliver at the day's accelerated clock.

Self-contained: the day (demo/day.py) runs ``RegisterRound.follow`` beside its other rounds."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Protocol

import httpx

ANSWER = {
    "reason": "承办人员对时限把握不准，环节衔接不及时",
    "measures": "已明确专人跟踪时限，每日核对待办，超期前一日提醒",
}
INSPECTION_OFFICE = "500000-JW"  # its inspectors read every department's records


class Headers(Protocol):
    def headers(self, department: str, role: str) -> dict[str, str]: ...


class RegisterRound:
    """Answers the open records, one department head each, then closes the answered ones."""

    def __init__(self, http: httpx.AsyncClient, monitor: str, officers: Headers) -> None:
        self.http, self.monitor, self.officers = http, monitor, officers

    async def follow(self, actions: Counter[str], errors: list[str], pause_s: float = 1.0) -> None:
        """Rounds until cancelled (the day's end)."""
        while True:
            await self.round(actions, errors)
            await asyncio.sleep(pause_s)

    async def round(self, actions: Counter[str], errors: list[str]) -> None:
        for record in await self._records("open", errors):
            if record.get("department"):
                await self._post(record, "answer", ANSWER, actions, errors)
        for record in await self._records("answered", errors):
            body = {"outcome": "close", "note": "整改措施已落实，予以销号"}
            await self._post(record, "decision", body, actions, errors)

    async def _records(self, state: str, errors: list[str]) -> list[dict[str, Any]]:
        try:
            resp = await self.http.get(
                f"{self.monitor}/v1/register",
                params={"state": state, "limit": 500},
                headers=self.officers.headers(INSPECTION_OFFICE, "inspector"),
            )
        except httpx.HTTPError:
            return []  # the monitor is busy or restarting: the next round reads again
        if resp.status_code != 200:
            errors.append(f"register ({state}): {resp.status_code} {resp.text[:200]}")
            return []
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    async def _post(
        self,
        record: dict[str, Any],
        action: str,
        body: dict[str, str],
        actions: Counter[str],
        errors: list[str],
    ) -> None:
        if action == "answer":
            who = self.officers.headers(record["department"], "department_head")
        else:
            who = self.officers.headers(INSPECTION_OFFICE, "inspector")
        url = f"{self.monitor}/v1/register/{record['record_id']}/{action}"
        try:
            resp = await self.http.post(url, json=body, headers=who)
        except httpx.HTTPError:
            return
        if resp.status_code == 200:
            actions[f"register {action}"] += 1
        elif resp.status_code != 409:  # 409: it changed meanwhile; the next round sees it
            what = f"register {action} {record['record_id']}"
            errors.append(f"{what}: {resp.status_code} {resp.text[:200]}")
