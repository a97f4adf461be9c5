"""Verification codes: wrong guesses pause code attempts per case number (429 + Retry-After),
and the code travels in a header or the POST body rather than the query string."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
import pytest

from services.intake.domain import NotFound, TooManyAttempts
from services.intake.domain.verification import code_locked_until, retry_after_seconds
from services.intake.handlers.access import open_case
from tests.support.tokens import applicant_token
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_bundles import opening_a_business
from tests.unit.intake.test_intake_submission import business_licence
from tests.unit.intake.test_intake_tracking_ratings import decided, deliver

WINDOW = timedelta(seconds=900)


def client(w: Wiring) -> httpx.AsyncClient:
    return w.client()


async def submitted(c: httpx.AsyncClient) -> tuple[str, str]:
    body = (await c.post("/v1/cases", json=business_licence())).json()
    return body["case_id"], body["verification_code"]


def code(value: str) -> dict[str, str]:
    return {"X-Verification-Code": value}


async def test_wrong_codes_pause_attempts_on_the_case_with_retry_after() -> None:
    w = Wiring(code_max_failures=3, code_failure_window_s=900)
    async with client(w) as c:
        case_id, right = await submitted(c)
        for _ in range(3):
            w.clock.advance(10)
            r = await c.get(f"/v1/cases/{case_id}", headers=code("WRONG234"))
            assert r.status_code == 404
        # paused: even the right code is not compared (else the pause would not stop a guesser)
        r = await c.get(f"/v1/cases/{case_id}", headers=code(right))
        assert r.status_code == 429
        # the first wrong code (T0+10s) leaves the window at T0+910s; now is T0+30s
        assert r.headers["Retry-After"] == "880"
        assert "too many wrong verification codes" in r.json()["detail"]
        # the query parameter and the POST body are paused alike
        r = await c.get(f"/v1/cases/{case_id}", params={"code": right})
        assert r.status_code == 429
        r = await c.post(
            f"/v1/cases/{case_id}/rating",
            json={"level": "satisfied", "verification_code": right},
        )
        assert r.status_code == 429
        # the applicant's own token is no guess and still opens the case
        own = applicant_token(
            w.settings, id_number=business_licence()["applicant"]["id_number"], name="张三"
        )
        r = await c.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {own}"})
        assert r.status_code == 200
        # paused attempts do not extend the pause: it ends when the first failure ages out
        w.clock.advance(880)
        r = await c.get(f"/v1/cases/{case_id}", headers=code(right))
        assert r.status_code == 200, r.text


async def test_an_unknown_case_number_pauses_alike_so_numbers_cannot_be_probed() -> None:
    w = Wiring(code_max_failures=3)
    async with client(w) as c:
        case_id, _ = await submitted(c)
        unknown = case_id[:-1] + "9"
        answers = {}
        for number in (case_id, unknown):
            answers[number] = [
                (await c.get(f"/v1/cases/{number}", headers=code("WRONG234"))).status_code
                for _ in range(4)
            ]
    assert answers[case_id] == answers[unknown] == [404, 404, 404, 429]


async def test_wrong_codes_spread_beyond_the_window_do_not_pause() -> None:
    w = Wiring(code_max_failures=3, code_failure_window_s=900)
    async with client(w) as c:
        case_id, right = await submitted(c)
        for _ in range(6):
            r = await c.get(f"/v1/cases/{case_id}", headers=code("WRONG234"))
            assert r.status_code == 404
            w.clock.advance(301)  # never three within 900 s
        # right codes are no failures: they never count towards a pause
        for _ in range(5):
            assert (await c.get(f"/v1/cases/{case_id}", headers=code(right))).status_code == 200


async def test_the_code_in_the_post_body_opens_supplements_and_ratings() -> None:
    w = Wiring()
    async with client(w) as c:
        case_id, right = await submitted(c)
        await deliver(w, decided(case_id), "ev-d")
        r = await c.post(
            f"/v1/cases/{case_id}/rating",
            json={"level": "satisfied", "verification_code": right},
        )
        assert r.status_code == 201, r.text
        r = await c.post(
            f"/v1/cases/{case_id}/supplements",
            json={
                "materials": [
                    {"code": "premises", "form": "upload", "sha256": "c" * 64, "size": 1}
                ],
                "verification_code": "WRONG234",
            },
        )
        assert r.status_code == 404


async def test_the_query_parameter_is_documented_as_deprecated() -> None:
    w = Wiring()
    async with client(w) as c:
        spec = (await c.get("/openapi.json")).json()
    for path, method in (
        ("/v1/cases/{case_no}", "get"),
        ("/v1/cases/{case_no}/supplements", "post"),
        ("/v1/cases/{case_no}/rating", "post"),
    ):
        operation = spec["paths"][path][method]
        params = {p["name"]: p for p in operation["parameters"]}
        assert params["code"].get("deprecated") is True, path
        assert params["X-Verification-Code"]["in"] == "header"
        assert "429" in operation["responses"]


def test_the_pause_rule() -> None:
    at = [T0 + timedelta(seconds=s) for s in (0, 100, 200)]
    rule = {"max_failures": 3, "window": WINDOW}
    assert code_locked_until(at[:2], now=T0 + timedelta(seconds=200), **rule) is None
    until = code_locked_until(at, now=T0 + timedelta(seconds=200), **rule)
    assert until == T0 + WINDOW
    assert retry_after_seconds(until, T0 + timedelta(seconds=200)) == 700
    # the oldest failure has left the window: two remain
    assert code_locked_until(at, now=T0 + WINDOW, **rule) is None
    # four failures: the pause lasts until the third-latest leaves the window
    more = [*at, T0 + timedelta(seconds=300)]
    assert code_locked_until(more, now=T0 + WINDOW, **rule) == T0 + timedelta(seconds=1000)
    assert retry_after_seconds(T0, T0 + timedelta(microseconds=1)) == 1


def test_failures_recorded_after_now_count_too() -> None:
    """Concurrent guesses read the clock, then record their attempt: one that read it later
    may record first. Counting only failures up to ``now`` let a burst of 10 concurrent
    guesses on the real database make 6 wrong attempts against a limit of 5."""
    now = T0
    ahead = [now + timedelta(milliseconds=ms) for ms in (1, 2, 3)]
    until = code_locked_until(ahead, now=now, max_failures=3, window=WINDOW)
    assert until == ahead[0] + WINDOW


class RecordsInReverse:
    """Holds each attempt until all have read the clock, then records them latest first."""

    def __init__(self, w: Wiring) -> None:
        self.inner = w.store.add_code_attempt
        self.gates: list[asyncio.Event] = []
        w.store.add_code_attempt = self.add  # type: ignore[method-assign]

    async def add(self, case_id: str, **kwargs: object) -> list[datetime]:
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        return await self.inner(case_id, **kwargs)  # type: ignore[arg-type]


async def test_a_burst_of_concurrent_guesses_gets_no_more_than_the_limit() -> None:
    w = Wiring(code_max_failures=5)
    async with client(w) as c:
        case_id, _ = await submitted(c)
    store = RecordsInReverse(w)

    async def guess() -> str:
        try:
            await open_case(w.deps, case_id, code="WRONG234", principal=None)
        except TooManyAttempts:
            return "paused"
        except NotFound:
            return "wrong"
        return "opened"

    tasks = []
    for _ in range(10):
        tasks.append(asyncio.create_task(guess()))
        while len(store.gates) < len(tasks):
            await asyncio.sleep(0)
        w.clock.advance(0.001)
    for gate in reversed(store.gates):
        gate.set()
        await asyncio.sleep(0)
    answers = await asyncio.gather(*tasks)
    assert sorted(answers) == ["paused"] * 5 + ["wrong"] * 5


async def submitted_bundle(c: httpx.AsyncClient) -> tuple[str, str]:
    body = (
        await c.post(
            "/v1/bundles", json=opening_a_business(), headers={"Idempotency-Key": "bundle-key-1"}
        )
    ).json()
    return body["bundle_id"], body["verification_code"]


@pytest.mark.parametrize(
    ("path", "submit"), [("/v1/cases", submitted), ("/v1/bundles", submitted_bundle)]
)
async def test_cases_and_bundles_pause_wrong_codes_by_the_one_rule(
    path: str, submit: Callable[[httpx.AsyncClient], Awaitable[tuple[str, str]]]
) -> None:
    """One lockout rule (``verify_code``) for both doors a verification code opens."""
    w = Wiring(code_max_failures=2, code_failure_window_s=600)
    async with client(w) as c:
        number, right = await submit(c)
        assert (await c.get(f"{path}/{number}", headers=code(right))).status_code == 200
        for _ in range(2):
            w.clock.advance(5)
            assert (await c.get(f"{path}/{number}", headers=code("WRONG234"))).status_code == 404
        r = await c.get(f"{path}/{number}", headers=code(right))
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "595"  # the first failure (+5 s) ages out at +605 s
        assert f"too many wrong verification codes for {number}" in r.json()["detail"]
        w.clock.advance(595)
        assert (await c.get(f"{path}/{number}", headers=code(right))).status_code == 200
