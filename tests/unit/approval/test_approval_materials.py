"""Officers read what they judge: the case view lists uploaded materials with type, size and
hash; an officer working the case gets a short-lived download URL, and each fetch is on the
case's keyed timeline with the officer, without changing the case's version."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.approval.bootstrap import create_api
from services.approval.handlers import AUDIT_CHAIN, Deps, audit_head, on_case_submitted
from shared.audit import verify
from shared.clock import FixedClock
from shared.contracts import Material, MaterialForm
from shared.objectstore import material_key
from tests.support.fake_objects import FakeObjectStore
from tests.support.tokens import officer_headers
from tests.unit.approval.approval_fakes import DEPT, MONDAY_10, envelope_of, make_deps, submitted

UPLOAD_ID = "up-" + "Q" * 32
PDF = Material(
    code="licence_form",
    form=MaterialForm.UPLOAD,
    upload_id=UPLOAD_ID,
    sha256="c" * 64,
    size=183_204,
    media_type="application/pdf",
)
COMMITMENT = Material(code="premises", form=MaterialForm.COMMITMENT, commitment_text="本人承诺")


@pytest.fixture
def deps() -> Deps:
    return make_deps(FixedClock(MONDAY_10))


@pytest.fixture
async def client(deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    data = submitted("C1", materials=[PDF, COMMITMENT])
    await on_case_submitted(deps, envelope_of(data), data)
    app = create_api(deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://a") as c:
        yield c


def officer(deps: Deps, *roles: str, department: str = DEPT, sub: str = "h-1") -> dict[str, str]:
    return officer_headers(
        deps.settings, subject=sub, roles=list(roles), department=department, region="500000"
    )


async def test_the_case_view_lists_each_upload_with_type_size_and_hash(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    view = (await client.get("/v1/cases/C1", headers=officer(deps, "handler"))).json()
    listed = {m["code"]: m for m in view["materials"]}
    assert (listed["licence_form"]["media_type"], listed["licence_form"]["size"]) == (
        "application/pdf",
        183_204,
    )
    assert listed["licence_form"]["sha256"] == "c" * 64
    assert listed["licence_form"]["upload_id"] == UPLOAD_ID


async def test_a_fetch_gives_a_short_lived_url_and_is_on_the_keyed_timeline(
    deps: Deps, client: httpx.AsyncClient
) -> None:
    before = (await client.get("/v1/cases/C1", headers=officer(deps, "handler"))).headers["ETag"]
    r = await client.post(
        "/v1/cases/C1/materials/licence_form/download", headers=officer(deps, "handler")
    )
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    assert "download=C1-licence_form.pdf" in r.json()["url"]
    assert isinstance(deps.objects, FakeObjectStore)
    assert deps.objects.signed == [("GET", material_key(UPLOAD_ID), 300)]
    timeline = (await client.get("/v1/cases/C1/timeline", headers=officer(deps, "handler"))).json()[
        "entries"
    ]
    fetch = timeline[-1]
    assert (fetch["action"], fetch["actor"]) == ("material_downloaded", "h-1")
    assert fetch["detail"]["upload_id"] == UPLOAD_ID and fetch["detail"]["department"] == DEPT
    case = await deps.store.get("C1")
    assert case is not None
    head = audit_head(case)
    assert (
        verify(timeline, keys=deps.audit_keys, scope=AUDIT_CHAIN, chain_id="C1", head=head) is None
    )
    assert head.count == fetch["seq"], "the stored head moved with the fetch"
    after = (await client.get("/v1/cases/C1", headers=officer(deps, "handler"))).headers["ETag"]
    assert after == before, "reading changes nothing an officer acts on"
    sign_in = await client.post(
        "/v1/cases/C1/stages/prereview/sign-in",
        json={"version": 1},
        headers=officer(deps, "handler"),
    )
    assert sign_in.status_code == 200, "an If-Match read before the fetch still holds"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (("supervisor",), 403),  # sees the case, does not judge it
        (("handler",), 404),  # another department: does not see the case at all
    ],
)
async def test_only_the_officers_working_the_case_may_fetch(
    deps: Deps, client: httpx.AsyncClient, who: tuple[str, ...], status: int
) -> None:
    department = DEPT if status == 403 else "500000-GAJ"
    r = await client.post(
        "/v1/cases/C1/materials/licence_form/download",
        headers=officer(deps, *who, department=department),
    )
    assert r.status_code == status, r.text
    assert deps.objects.signed == []  # type: ignore[attr-defined]
    timeline = (await client.get("/v1/cases/C1/timeline", headers=officer(deps, "handler"))).json()[
        "entries"
    ]
    assert all(e["action"] != "material_downloaded" for e in timeline)


async def test_a_material_without_a_file_is_404(deps: Deps, client: httpx.AsyncClient) -> None:
    for code in ("premises", "nothing"):
        r = await client.post(
            f"/v1/cases/C1/materials/{code}/download", headers=officer(deps, "handler")
        )
        assert r.status_code == 404, r.text
