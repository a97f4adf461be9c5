"""The day's bundle applicants (demo/bundles.py) on intake built on fakes: every shipped theme's
planned application is accepted as one submission, followed as one thing and rated once when
finished, the first one badly with its rectification answered by the lead department."""

from __future__ import annotations

from collections import Counter
from typing import Any

from demo.bundles import BundleApplicants, plan_bundles
from demo.day import Officers
from services.intake.handlers.bundle_catalog import BUNDLES
from services.intake.handlers.catalog import ITEMS
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_bundles import decide


def catalog(w: Wiring) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    items = [i.model_dump(mode="json") for i in ITEMS.read_dir(w.settings.catalog_dir)]
    bundles = [b.model_dump(mode="json") for b in BUNDLES.read_dir(w.settings.catalog_dir)]
    return bundles, items


def test_the_plan_covers_every_theme_and_is_decided_by_the_seed() -> None:
    bundles, items = catalog(Wiring())
    plan = plan_bundles(bundles, items, 5, seed=3)
    assert [p.bundle["code"] for p in plan][:4] == sorted(b["code"] for b in bundles)
    assert [p.body for p in plan] == [p.body for p in plan_bundles(bundles, items, 5, seed=3)]
    assert plan[0].rating == "dissatisfied"


async def test_bundle_applicants_apply_follow_and_rate_once() -> None:
    w = Wiring()
    _, items = catalog(w)
    errors: list[str] = []
    actions: Counter[str] = Counter()
    async with w.client(signed_in=False) as http:
        applicants = BundleApplicants(http, "http://t", Officers(w.settings), seed=3)
        await applicants.submit(4, items, errors)
        assert errors == [] and [b.status for b in applicants.planned] == ["in_progress"] * 4
        assert applicants.open == 4
        first = applicants.planned[0]  # opening a business: the licence, then three items
        for case_id in first.case_ids:
            case = w.store.cases[case_id]
            ref = "EL-BL-DEMO" if case.item_code == "500000-SCJ-001" else None
            await decide(w, case_id, case.item_code, "approved", ref=ref)
        await applicants.round(actions, errors)
        await applicants.round(actions, errors)  # rated once, whatever the rounds
    assert errors == [] and first.status == "completed" and first.rated
    assert actions["bundle completed"] == 1 and actions["bundle rating dissatisfied"] == 1
    assert actions["bundle rectification answered 200"] == 1
    assert applicants.open == 3
    assert len(w.store.events_of("gov.egov.case.rated.v1")) == 1
