"""Whatever a client sends to POST /v1/cases, the answer is a 4xx with a reason or a 201:
never a 500."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.tokens import SignedInApplicant
from tests.unit.intake.intake_fakes import Wiring
from tests.unit.intake.test_intake_submission import business_licence

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
PATHS = [
    ("item_code",),
    ("applicant",),
    ("applicant", "kind"),
    ("applicant", "id_number"),
    ("applicant", "name"),
    ("contact",),
    ("form",),
    ("materials",),
    ("materials", 0),
    ("materials", 0, "form"),
    ("materials", 0, "size"),
    ("materials", 3, "form"),
    ("channel",),
    ("receiving_region",),
    ("handling_region",),
    ("accept_with_gaps",),
]

WIRING = Wiring()
APP = WIRING.app()


def post(body: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(APP, raise_app_exceptions=False)
        auth = SignedInApplicant(WIRING.settings)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", auth=auth) as client:
            return await client.post("/v1/cases", json=body)

    return asyncio.run(call())


def mutate(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), json_values)
def test_mutated_submissions_never_get_a_500(path: tuple[Any, ...], value: Any) -> None:
    body = mutate(business_licence(), path, value)
    r = post(body)
    assert r.status_code in (201, 403, 404, 409, 422), (r.status_code, r.text)
    if r.status_code == 422:
        assert r.json()["detail"]


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_arbitrary_json_bodies_are_refused_cleanly(value: Any) -> None:
    r = post(value)
    assert r.status_code == 422 and "detail" in r.json()
