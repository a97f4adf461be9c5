"""Bundles (一件事) in the simulated day: some applicants apply for a whole bundle with one form
and each material once, follow it as one thing (GET /v1/bundles/{id}), and rate it once when
it is finished; a bad rating's rectification is answered by the lead department. The officers
of the day work the bundle's cases like any other (approval does not know bundles).

Self-contained: ``plan_bundles`` is pure (a seed decides everything), ``BundleApplicants`` is
called by the day (demo/day.py) once to submit and then once per round to follow."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import httpx

from demo.plan import CHANNELS, _material
from shared.identifiers import make_resident_id

LEVELS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied")
# A plausible value for each shared field the shipped bundles ask (any other: a text).
FIELD_VALUES: dict[str, Any] = {
    "registered_capital_yuan": 100_000,
    "employees": 3,
    "birth_date": "2026-03-01",
    "guardian_phone": "13800138000",
}


@dataclass
class PlannedBundle:
    n: int
    bundle: dict[str, Any]
    body: dict[str, Any]
    rating: str
    bundle_id: str | None = None
    code: str | None = None
    case_ids: list[str] = field(default_factory=list)
    status: str = "planned"
    rated: bool = False

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "not_completed", "refused")


def _body(
    bundle: dict[str, Any], items: dict[str, dict[str, Any]], k: int, rnd: random.Random
) -> dict[str, Any]:
    birth = date(1970 + rnd.randrange(30), 1 + rnd.randrange(12), 1 + rnd.randrange(28))
    applicant_id = make_resident_id("500103", birth, 500 + k % 400)
    materials = []
    for m in bundle["materials"]:
        target = m["maps_to"][0]
        spec = next(
            x for x in items[target["item_code"]]["materials"] if x["code"] == target["material"]
        )
        materials.append(_material(spec, applicant_id, commitment=False) | {"code": m["code"]})
    form = {
        f["name"]: FIELD_VALUES.get(f["name"], f"{f['label']}（示例{k}）")
        for f in bundle["fields"]
        if f.get("required", True)
    }
    channels = [c for c in bundle["channels"] if c in CHANNELS]
    return {
        "bundle_code": bundle["code"],
        "applicant": {"kind": "person", "id_number": applicant_id, "name": f"一件事申请人{k:03d}"},
        "contact": {"phone": f"137{k:08d}", "email": f"bundle{k}@example.cn"},
        "form": form,
        "materials": materials,
        "channel": channels[0] if channels else "web",
        "receiving_region": bundle["region"],
    }


def plan_bundles(
    bundles: list[dict[str, Any]], items: list[dict[str, Any]], n: int, seed: int = 7
) -> list[PlannedBundle]:
    """``n`` bundle applications over the open bundles in turn, each rated once (the first
    badly, so a rectification is answered too)."""
    rnd = random.Random(seed * 31 + 19)
    by_code = {i["code"]: i for i in items}
    offered = sorted(
        (b for b in bundles if all(e["item_code"] in by_code for e in b["items"])),
        key=lambda b: b["code"],
    )
    if not offered:
        return []
    return [
        PlannedBundle(
            n=k,
            bundle=offered[k % len(offered)],
            body=_body(offered[k % len(offered)], by_code, k, rnd),
            rating="dissatisfied" if k == 0 else rnd.choice(LEVELS[:3]),
        )
        for k in range(n)
    ]


class Headers(Protocol):
    def applicant_headers(self, body: dict[str, Any]) -> dict[str, str]: ...
    def headers(self, department: str, role: str) -> dict[str, str]: ...


class BundleApplicants:
    """The day's bundle applicants: submit once, follow each round, rate once at the end."""

    def __init__(self, http: httpx.AsyncClient, intake: str, officers: Headers, seed: int) -> None:
        self.http, self.intake, self.officers, self.seed = http, intake, officers, seed
        self.planned: list[PlannedBundle] = []
        self.items: dict[str, dict[str, Any]] = {}

    @property
    def open(self) -> int:
        """Bundles still to finish or to rate."""
        return sum(1 for b in self.planned if not (b.finished and (b.rated or not b.bundle_id)))

    @property
    def case_ids(self) -> set[str]:
        """The ids the day's bundles go by on the bus: each bundle's and its items' cases'."""
        return {c for b in self.planned for c in (b.case_ids + [b.bundle_id or ""]) if c}

    def departments(self) -> set[str]:
        """Every department the applied bundles' items pass through (the officers' rounds)."""
        found: set[str] = set()
        for b in self.planned:
            for entry in b.bundle["items"] if b.bundle_id else []:
                item = self.items[entry["item_code"]]
                found.add(item["department"])
                for stage in item["stage_plan"]:
                    found.update(stage["departments"])
        return found

    async def submit(self, n: int, items: list[dict[str, Any]], errors: list[str]) -> None:
        self.items = {i["code"]: i for i in items}
        bundles = (await self.http.get(f"{self.intake}/v1/catalog/bundles")).json()
        self.planned = plan_bundles(bundles, items, n, self.seed)
        for b in self.planned:
            key = {"Idempotency-Key": f"day-{self.seed}-bundle-{b.n:04d}"}
            resp = await self.http.post(
                f"{self.intake}/v1/bundles",
                json=b.body,
                headers=key | self.officers.applicant_headers(b.body),
            )
            if resp.status_code not in (200, 201):
                b.status = "refused"
                errors.append(f"bundle {b.n} ({b.bundle['code']}) refused: {resp.text[:300]}")
                continue
            data = resp.json()
            b.bundle_id, b.code = data["bundle_id"], data["verification_code"]
            b.case_ids = [i["case_id"] for i in data["items"]]
            b.status = "in_progress"

    async def round(self, actions: Counter[str], errors: list[str]) -> None:
        """Follow every open bundle as one thing; rate each finished one once."""
        for b in self.planned:
            if b.bundle_id is None or b.rated:
                continue
            code = {"X-Verification-Code": b.code or ""}
            try:
                view = await self.http.get(f"{self.intake}/v1/bundles/{b.bundle_id}", headers=code)
            except httpx.HTTPError:
                continue
            if view.status_code != 200:
                continue
            b.status = view.json()["status"]
            if b.finished:
                await self._rate(b, code, actions, errors)

    async def _rate(
        self, b: PlannedBundle, code: dict[str, str], actions: Counter[str], errors: list[str]
    ) -> None:
        url = f"{self.intake}/v1/bundles/{b.bundle_id}/rating"
        r = await self.http.post(url, headers=code, json={"level": b.rating})
        if r.status_code == 409 and "already rated" not in r.text:
            return  # not settled yet after all: the next round tries again
        if r.status_code not in (201, 409):
            errors.append(f"rating bundle {b.bundle_id}: {r.status_code} {r.text[:200]}")
            return
        b.rated = True
        actions[f"bundle {b.status}"] += 1
        actions[f"bundle rating {b.rating}"] += 1
        rect = r.json().get("rectification") if r.status_code == 201 else None
        if rect:
            a = await self.http.post(
                f"{self.intake}/v1/rectifications/{rect['rectification_id']}/answer",
                json={"answer": "已梳理一件事联办环节，压缩了前序事项的办理时间"},
                headers=self.officers.headers(rect["department"], "handler"),
            )
            actions[f"bundle rectification answered {a.status_code}"] += 1
