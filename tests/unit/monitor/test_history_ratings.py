"""Published ratings (好差评 评价专栏): every rating of a period with its rectification and the
department's answer, for anyone, with no case id and no personal data: the answer's phone,
ID number, e-mail address and credit code are removed before the history keeps it."""

from __future__ import annotations

from collections import Counter

from services.monitor.history.ratings import public_answer
from tests.support.history_events import ANSWER, APPLICANT
from tests.support.history_scenario import RECT_DAYS
from tests.support.personal_data import personal_data
from tests.unit.monitor.test_history_api import ROWS, Source, client, seeded

URL = "/v1/public/ratings?period=2026-03-01..2026-04-30&limit=200"


def test_an_answer_is_published_without_identifiers() -> None:
    assert personal_data(ANSWER) != []  # the scenario's answer carries all four kinds
    published = public_answer(ANSWER)
    assert personal_data(published) == []
    assert published.startswith("已整改：窗口补充了告知单。") and "已办结" in published


async def test_anyone_reads_every_rating_of_the_period_with_its_rectification() -> None:
    source = Source(seeded())
    async with client(source) as c:
        got = await c.get(URL)
        bad = await c.get(URL + "&level=very_dissatisfied&region=510100")
        few = await c.get(URL.replace("limit=200", "limit=5"))
        unknown = await c.get("/v1/public/ratings?level=loved")
        too_many = await c.get(URL.replace("limit=200", "limit=201"))
    assert unknown.status_code == too_many.status_code == 422
    assert got.status_code == 200 and got.headers["cache-control"] == "public, max-age=300"
    listed = got.json()["ratings"]
    rated = [r for r in ROWS if r.level is not None]
    assert Counter(r["level"] for r in listed) == Counter(r.level for r in rated)
    assert [r["rated_on"] for r in listed] == sorted((r["rated_on"] for r in listed), reverse=True)
    with_rect = [r for r in listed if "rectification" in r]
    assert len(with_rect) == sum(r.rect_days is not None for r in rated)
    for entry in with_rect:
        rect = entry["rectification"]
        assert entry["level"] in ("dissatisfied", "very_dissatisfied")
        assert rect["answer"] == public_answer(ANSWER) and rect["answered_on"] is not None
    # answered within RECT_DAYS working days is in time: as many as the rows say
    on_time = sum(r.rect_days is not None and r.rect_days <= RECT_DAYS for r in rated)
    assert sum(e["rectification"]["on_time"] for e in with_rect) == on_time
    for answer in (got, bad, few):
        assert personal_data(answer.text, (APPLICANT["name"], "山城小面馆")) == []
        assert not any(r.case.case_id in answer.text for r in ROWS)
    chengdu = bad.json()["ratings"]
    want = [r for r in rated if r.level == "very_dissatisfied" and r.case.region == "510100"]
    assert len(chengdu) == len(want) > 0
    assert {r["region"] for r in chengdu} == {"510100"}
    assert len(few.json()["ratings"]) == 5
