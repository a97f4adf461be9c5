"""Per-officer figures: each officer's handling stages of a period, computed again here from the
scenario's rows; a department head sees their own department's officers, a supervisor those of
their region and below, and nobody else sees any (admins, inspectors, section chiefs, the
officers themselves)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.support.history_scenario import STAGE_LIMIT
from tests.support.tokens import officer_headers
from tests.unit.monitor.test_history_api import ROWS, SETTINGS, Source, client, seeded

URL = "/v1/assessment/officers?period=2026-03-01..2026-04-30"


def auth(roles: list[str], *, department: str | None = None, region: str | None = None) -> Any:
    return officer_headers(
        SETTINGS, subject="o9", roles=roles, department=department, region=region
    )


def expected(department: str | None = None, region: str | None = None) -> dict[str, Any]:
    """Each officer's figures from the rows: the review stage they closed, due 2 working days
    after acceptance; n working days late reached rung n + 1 (2 a yellow card, 3 and 4 red)."""
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"closed": 0, "on_time": 0, "overdue": 0, "rungs": defaultdict(int), "red": 0}
    )
    for row in ROWS:
        c = row.case
        if (department and c.department != department) or (region and c.region != region):
            continue
        figures = out[row.officer]
        figures["closed"] += 1
        figures["on_time"] += row.days <= STAGE_LIMIT
        figures["overdue"] += row.rungs > 0
        for n in range(1, row.rungs + 1):
            figures["rungs"][str(n)] += 1
        figures["red"] += max(0, row.rungs - 2)
    return out


def compare(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert {o["officer"] for o in got["officers"]} == set(want)
    for o in got["officers"]:
        w = want[o["officer"]]
        assert o["department"] == o["officer"].rsplit("-h", 1)[0]
        assert (o["stages_closed"], o["stages_on_time"]) == (w["closed"], w["on_time"])
        assert o["on_time_rate"] == pytest.approx(w["on_time"] / w["closed"])
        assert o["overdue"] == w["overdue"]
        assert o["escalations_by_rung"] == dict(w["rungs"])
        assert o["cards"]["red"] == w["red"]
        assert o["average_limit_days"] == pytest.approx(STAGE_LIMIT)


async def test_a_department_head_sees_the_officers_of_their_own_department_only() -> None:
    head = auth(["department_head"], department="500000-SCJ", region="500000")
    async with client(Source(seeded())) as c:
        got = await c.get(URL, headers=head)
        other = await c.get(URL + "&department=500000-GAJ", headers=head)
        own = await c.get(URL + "&department=500000-SCJ", headers=head)
    assert got.status_code == 200, got.text
    compare(got.json(), expected(department="500000-SCJ"))
    assert got.json()["department"] == "500000-SCJ"
    assert other.status_code == 403
    assert own.json() == got.json()


async def test_a_supervisor_sees_the_officers_of_their_region_and_below() -> None:
    async with client(Source(seeded())) as c:
        chengdu = await c.get(URL, headers=auth(["supervisor"], region="510100"))
        chongqing = await c.get(URL, headers=auth(["supervisor"], region="500000"))
        one = await c.get(
            URL + "&department=500000-GAJ", headers=auth(["supervisor"], region="500000")
        )
        outside = await c.get(URL + "&region=500000", headers=auth(["supervisor"], region="510100"))
    compare(chengdu.json(), expected(region="510100"))
    compare(chongqing.json(), expected(region="500000"))
    compare(one.json(), expected(department="500000-GAJ"))
    assert outside.status_code == 403


@pytest.mark.parametrize(
    ("roles", "department", "region"),
    [
        (["admin"], None, None),
        (["inspector"], None, "500000"),
        (["section_chief"], "500000-SCJ", "500000"),
        (["handler"], "500000-SCJ", "500000"),
        (["department_head"], None, "500000"),  # a head whose token names no department
        (["supervisor"], None, None),  # a supervisor whose token names no region
    ],
)
async def test_nobody_else_sees_an_officers_figures(
    roles: list[str], department: str | None, region: str | None
) -> None:
    async with client(Source(seeded())) as c:
        got = await c.get(URL, headers=auth(roles, department=department, region=region))
        anonymous = await c.get(URL)
    assert got.status_code == 403
    assert anonymous.status_code == 401
    assert "officer" not in got.text.replace("officers' figures", "")


async def test_the_public_statistics_and_the_bulletin_name_no_officer() -> None:
    async with client(Source(seeded())) as c:
        public = await c.get("/v1/public/statistics?period=2026-03")
        bulletin = await c.get(
            "/v1/assessment?period=2026-03&by=department", headers=auth(["admin"])
        )
    for text in (public.text, bulletin.text):
        assert not any(row.officer in text for row in ROWS)
