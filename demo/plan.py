"""What happens to each case of the simulated day, decided up front from a seed (pure)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shared.identifiers import make_resident_id, make_uscc


class Script(StrEnum):
    NORMAL = "normal"
    PREREVIEW_FAIL = "prereview_fail"
    SUPPLEMENT = "supplement"
    REFUSE = "refuse"
    DENY = "deny"
    SUSPEND = "suspend"
    SLOW = "slow"  # the officer sits on the review stage until the ladder's top rung
    PARALLEL_DENY = "parallel_deny"
    FALSE_COMMITMENT = "false_commitment"


CHANNELS = ("web", "app", "window", "kiosk", "bank_branch")


@dataclass
class PlannedCase:
    n: int
    item: dict[str, Any]
    script: Script
    channel: str
    applicant: dict[str, str]
    contact: dict[str, str]
    receiving_region: str
    handling_region: str
    materials: list[dict[str, Any]]
    external: bool = False
    rating: str | None = None  # rating level to give once decided
    case_id: str | None = None
    code: str | None = None
    events: list[str] = field(default_factory=list)

    @property
    def external_id(self) -> str:
        return f"ext-{self.n:05d}"


def _material(spec: dict[str, Any], applicant_id: str, commitment: bool) -> dict[str, Any]:
    forms = spec.get("forms") or ["upload"]
    if commitment and "commitment" in forms:
        return {
            "code": spec["code"],
            "form": "commitment",
            "commitment_text": "本人承诺所填信息真实有效",
        }
    if "upload" in forms:
        digest = hashlib.sha256(f"{applicant_id}:{spec['code']}".encode()).hexdigest()
        return {"code": spec["code"], "form": "upload", "sha256": digest, "size": 20_480}
    return {
        "code": spec["code"],
        "form": forms[0],
        "licence_ref": f"EL-{spec.get('licence_type') or spec['code']}-{applicant_id}",
    }


def plan_day(items: list[dict[str, Any]], n: int, seed: int = 7) -> list[PlannedCase]:
    """``n`` cases over every open item, with a fixed share of each kind of trouble."""
    rnd = random.Random(seed)
    items = sorted((i for i in items if i.get("status", "open") == "open"), key=lambda i: i["code"])
    parallel = [i for i in items if any(len(s["departments"]) > 1 for s in i["stage_plan"])]
    commitment = [i for i in items if i.get("commitment_allowed")]
    has_review = [i for i in items if any(s["stage"] == "review" for s in i["stage_plan"])]
    # Guaranteed appearances first, then a seeded mix.
    fixed: list[tuple[Script, list[dict[str, Any]]]] = [
        (Script.SLOW, has_review),
        (Script.SLOW, has_review),
        (Script.PARALLEL_DENY, parallel),
        (Script.FALSE_COMMITMENT, commitment),
        (Script.SUSPEND, has_review),
        (Script.SUPPLEMENT, items),
        (Script.PREREVIEW_FAIL, items),
        (Script.REFUSE, items),
        (Script.DENY, has_review),
    ]
    weights = {
        Script.NORMAL: 62,
        Script.PREREVIEW_FAIL: 6,
        Script.SUPPLEMENT: 7,
        Script.REFUSE: 4,
        Script.DENY: 4,
        Script.SUSPEND: 5,
        Script.SLOW: 6,
        Script.PARALLEL_DENY: 2,
        Script.FALSE_COMMITMENT: 2,
    }
    out: list[PlannedCase] = []
    for k in range(n):
        if k < len(fixed) and fixed[k][1]:
            script, pool = fixed[k]
        else:
            script = rnd.choices(list(weights), list(weights.values()))[0]
            pool = {
                Script.PARALLEL_DENY: parallel,
                Script.FALSE_COMMITMENT: commitment,
                Script.SLOW: has_review,
                Script.DENY: has_review,
                Script.SUSPEND: has_review,
            }.get(script, items)
            if not pool:
                script, pool = Script.NORMAL, items
        item = pool[k % len(pool)] if script == Script.NORMAL else rnd.choice(pool)
        person = rnd.random() < 0.7
        if person:
            birth = date(1960 + rnd.randrange(45), 1 + rnd.randrange(12), 1 + rnd.randrange(28))
            applicant = {
                "kind": "person",
                "id_number": make_resident_id("500103", birth, k % 999 + 1),
                "name": f"市民{k:04d}",
            }
        else:
            applicant = {
                "kind": "entity",
                "id_number": make_uscc(10_000 + k),
                "name": f"示例企业{k:04d}有限公司",
            }
        regions = item.get("handling_regions") or [item["region"]]
        handling = item["region"]
        receiving = handling
        if item.get("cross_region") and rnd.random() < 0.5:
            receiving = "510100" if handling == "500000" else "500000"
        use_commitment = script == Script.FALSE_COMMITMENT
        materials = [
            _material(m, applicant["id_number"], use_commitment)
            for m in item.get("materials", [])
            if m.get("required", True)
        ]
        rating = None
        if rnd.random() < 0.5:
            rating = rnd.choices(
                [
                    "very_satisfied",
                    "satisfied",
                    "basically_satisfied",
                    "dissatisfied",
                    "very_dissatisfied",
                ],
                [50, 25, 10, 10, 5],
            )[0]
        out.append(
            PlannedCase(
                n=k,
                item=item,
                script=script,
                channel=rnd.choice(CHANNELS),
                applicant=applicant,
                contact={
                    "phone": f"139{k:08d}",
                    "email": f"applicant{k}@example.cn",
                    "locale": "zh-CN" if rnd.random() < 0.9 else "en",
                },
                receiving_region=receiving,
                handling_region=handling if handling in regions else regions[0],
                materials=materials,
                external=script == Script.NORMAL and rnd.random() < 0.1,
                rating=rating,
            )
        )
    return out
