"""The response examples in the docs are built from the running API, so they cannot drift.

An example in ``docs/*.md`` or the README is a fenced ``json`` block right after a marker
``<!-- example: <service> <METHOD> <path> -->`` (several requests that answer the same shape,
separated by ``;``). For each marker a producer below builds the
service through its real bootstrap on the unit-test fakes (the same wiring as
``tests/unit/<service>/``), authenticates as the docs say (``tests/support/tokens.py``), performs
the request and returns the JSON body. The documented example must have the same shape: the same
keys at every level and the same kind of value (string, number, boolean, null, list, object);
ids, times and other values may differ. Every marker needs a producer and every producer a marker.
A list in an example may show fewer items than the API returns, but each shown item must have the
shape of one the API returns.

The monitor cannot yet be built through its bootstrap without a faust app: its router is served
by a real ``MonitorService`` made without one (as ``tests/unit/monitor/test_gauges.py`` does), its
handlers wired to the fakes by ``bootstrap.make_deps``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.events import prereview_done, stage_opened

REPO = Path(__file__).resolve().parents[3]
MARKER = re.compile(
    r"<!-- example: (?P<name>[^>]+?) -->\s*\n```json\n(?P<body>.*?)\n```", re.DOTALL
)

Producer = Callable[[], Awaitable[Any]]
PRODUCERS: dict[str, Producer] = {}


def produces(name: str) -> Callable[[Producer], Producer]:
    def register(fn: Producer) -> Producer:
        assert name not in PRODUCERS, f"two producers of {name!r}"
        PRODUCERS[name] = fn
        return fn

    return register


def documented_examples() -> dict[str, tuple[str, Any]]:
    """name -> (file, parsed example) of every marked example in README.md and docs/*.md."""
    found: dict[str, tuple[str, Any]] = {}
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for m in MARKER.finditer(path.read_text(encoding="utf-8")):
            rel = str(path.relative_to(REPO))
            try:
                example = json.loads(m["body"])
            except ValueError as e:
                raise AssertionError(f"{rel}: the example {m['name']!r} is not JSON: {e}") from e
            for name in (n.strip() for n in m["name"].split(";")):
                assert name not in found, f"{name!r} documented twice ({found[name][0]}, {rel})"
                found[name] = (rel, example)
    return found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "list", dict: "object"}.get(type(value), type(value).__name__)


def shape_differences(documented: Any, actual: Any, where: str = "$") -> list[str]:
    """Where the documented example's shape differs from the API's answer (empty: same shape)."""
    if _kind(documented) != _kind(actual):
        return [f"{where}: documented {_kind(documented)}, the API answers {_kind(actual)}"]
    if isinstance(documented, dict):
        problems = [f"{where}.{k}: the API answers no such key" for k in documented.keys() - actual]
        problems += [f"{where}.{k}: undocumented key" for k in actual.keys() - documented.keys()]
        for key in sorted(documented.keys() & actual.keys()):
            problems += shape_differences(documented[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(documented, list):
        if actual and not documented:
            return [f"{where}: the API answers items, the example shows none"]
        problems = []
        for i, item in enumerate(documented):
            candidates = [shape_differences(item, a, f"{where}[{i}]") for a in actual]
            if not candidates:
                problems.append(f"{where}[{i}]: the API answers an empty list")
            elif all(candidates):
                problems += min(candidates, key=len)
        return problems
    return []


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, f"{resp.request.method} {resp.request.url}: {resp.text}"
    return resp.json()


# --- intake -------------------------------------------------------------------------------------


def _submission() -> dict[str, Any]:
    from tests.unit.intake.test_intake_submission import business_licence

    return business_licence(contact={"phone": "13800138000", "email": "zhangsan@example.cn"})


async def _intake_case(c: httpx.AsyncClient, w: Any, stage_events: bool = True) -> tuple[str, str]:
    from tests.unit.intake.intake_fakes import T0
    from tests.unit.intake.test_intake_tracking_ratings import deliver

    created = _ok(await c.post("/v1/cases", json=_submission()), 201)
    case_id, code = created["case_id"], created["verification_code"]
    if stage_events:
        done = prereview_done(case_id, outcome="passed", decided_at=T0)
        await deliver(w, done, "ev-prereview")
        opened = stage_opened(
            case_id, opened_at=T0, due_at=T0 + timedelta(days=3), limit={"value": 3}
        )
        await deliver(w, opened, "ev-review-opened")
    return case_id, code


@produces("intake POST /v1/cases")
async def intake_submit() -> Any:
    from tests.unit.intake.intake_fakes import Wiring

    async with Wiring().client() as c:
        return _ok(await c.post("/v1/cases", json=_submission()), 201)


@produces("intake POST /v1/cases 422")
async def intake_submit_invalid() -> Any:
    from tests.unit.intake.intake_fakes import Wiring

    body = _submission()
    body["applicant"]["id_number"] = "500103199005170127"
    async with Wiring().client() as c:
        return _ok(await c.post("/v1/cases", json=body), 422)


@produces("intake GET /v1/cases/{case_no}")
async def intake_tracking() -> Any:
    from tests.unit.intake.intake_fakes import Wiring

    w = Wiring()
    async with w.client() as c:
        case_id, code = await _intake_case(c, w)
        return _ok(await c.get(f"/v1/cases/{case_id}", headers={"X-Verification-Code": code}))


@produces("intake POST /v1/cases/{case_no}/rating")
async def intake_rating() -> Any:
    from tests.unit.intake.intake_fakes import Wiring
    from tests.unit.intake.test_intake_tracking_ratings import decided, deliver

    w = Wiring()
    rating = {"level": "dissatisfied", "scores": {"speed": 2}, "comment": "等了太久"}
    async with w.client() as c:
        case_id, code = await _intake_case(c, w)
        await deliver(w, decided(case_id), "ev-decided")
        return _ok(
            await c.post(
                f"/v1/cases/{case_id}/rating", json=rating, headers={"X-Verification-Code": code}
            ),
            201,
        )


@produces("intake POST /v1/rectifications/{id}/answer")
async def intake_rectification_answer() -> Any:
    from tests.support.tokens import bearer_of
    from tests.unit.intake.intake_fakes import Wiring
    from tests.unit.intake.test_intake_tracking_ratings import decided, deliver

    w = Wiring()
    async with w.client() as c:
        case_id, code = await _intake_case(c, w)
        await deliver(w, decided(case_id), "ev-decided")
        rated = await c.post(
            f"/v1/cases/{case_id}/rating",
            json={"level": "dissatisfied"},
            headers={"X-Verification-Code": code},
        )
        rectification = _ok(rated, 201)["rectification"]["rectification_id"]
        officer = bearer_of(w.settings, "h-1", "handler", department="500000-SCJ")
        return _ok(
            await c.post(
                f"/v1/rectifications/{rectification}/answer",
                json={"answer": "已约谈窗口人员，压缩审查时间"},
                headers=officer,
            )
        )


async def _agents(step: str) -> Any:
    from shared.identifiers import make_uscc
    from tests.unit.intake.intake_fakes import Wiring
    from tests.unit.intake.test_intake_identity import EMPLOYEE, person

    w = Wiring()
    company_id = make_uscc(7)
    company = person(w, company_id, "山城小面有限公司", kind="entity")
    grant = {"agent": {"id_number": EMPLOYEE, "name": "王五"}, "valid_until": "2026-12-31"}
    async with w.client(signed_in=False) as c:
        answers = {"POST": await c.post("/v1/agents", json=grant, headers=company)}
        answers["GET"] = await c.get("/v1/agents", headers=company)
        answers["DELETE"] = await c.delete(f"/v1/agents/{EMPLOYEE}", headers=company)
    return _ok(answers[step], 201 if step == "POST" else 200)


@produces("intake POST /v1/agents")
async def intake_agent() -> Any:
    return await _agents("POST")


@produces("intake GET /v1/agents")
async def intake_agents() -> Any:
    return await _agents("GET")


@produces("intake DELETE /v1/agents/{id_number}")
async def intake_agent_revoked() -> Any:
    return await _agents("DELETE")


async def _uploads(step: str) -> Any:
    from shared.objectstore import material_key
    from tests.unit.intake.intake_fakes import Wiring
    from tests.unit.intake.upload_steps import PDF, as_applicant, slot_body

    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        answers = {"slot": await c.post("/v1/uploads", json=slot_body(), headers=me)}
        opened = _ok(answers["slot"], 201)
        w.objects.objects[material_key(opened["upload_id"])] = PDF  # the browser's PUT
        answers["verify"] = await c.post(opened["verify_url"], headers=me)
        answers["state"] = await c.get(f"/v1/uploads/{opened['upload_id']}", headers=me)
    return _ok(answers[step], 201 if step == "slot" else 200)


@produces("intake POST /v1/uploads")
async def intake_upload_slot() -> Any:
    return await _uploads("slot")


@produces("intake POST /v1/uploads/{upload_id}/verify")
async def intake_upload_verify() -> Any:
    return await _uploads("verify")


@produces("intake GET /v1/uploads/{upload_id}")
async def intake_upload_state() -> Any:
    return await _uploads("state")


@produces("intake POST /v1/cases/{case_no}/supplements")
async def intake_supplement() -> Any:
    from tests.unit.intake.intake_fakes import T0, Wiring
    from tests.unit.intake.test_intake_tracking_ratings import deliver
    from tests.unit.intake.upload_steps import as_applicant, submission, upload

    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        first = {"application_form": await upload(w, c, me)}
        case_id = _ok(await c.post("/v1/cases", json=submission(first)), 201)["case_id"]
        asked = prereview_done(
            case_id, reasons=["住所证明缺失"], requested_materials=["premises"], decided_at=T0
        )
        await deliver(w, asked, "ev-ask")
        premises = await upload(w, c, me, material="premises")
        body = {"materials": [{"code": "premises", "form": "upload", "upload_id": premises}]}
        return _ok(await c.post(f"/v1/cases/{case_id}/supplements", json=body, headers=me))


@produces("intake POST /v1/cases/{case_no}/owed-materials")
async def intake_owed_materials() -> Any:
    from tests.unit.intake.intake_fakes import Wiring
    from tests.unit.intake.upload_steps import as_applicant, submission, upload

    w = Wiring()
    me = as_applicant(w)
    async with w.client() as c:
        first = {"application_form": await upload(w, c, me)}  # premises owed (容缺受理)
        case_id = _ok(await c.post("/v1/cases", json=submission(first)), 201)["case_id"]
        premises = await upload(w, c, me, material="premises")
        body = {"materials": [{"code": "premises", "form": "upload", "upload_id": premises}]}
        url = f"/v1/cases/{case_id}/owed-materials"
        return _ok(await c.post(url, json=body, headers=me))


@produces("intake GET /v1/catalog/items/{code}")
async def intake_catalog_item() -> Any:
    from tests.unit.intake.intake_fakes import Wiring

    async with Wiring().client() as c:
        return _ok(await c.get("/v1/catalog/items/500000-SCJ-001"))


async def _catalog_admin(step: str) -> Any:
    from tests.support.tokens import bearer_of
    from tests.unit.intake.intake_fakes import Wiring

    w = Wiring()
    admin = bearer_of(w.settings, "admin-1", "admin")
    async with w.client() as c:
        item = _ok(await c.get("/v1/catalog/items/500000-SCJ-001"))
        answers = {"close": await c.post("/v1/catalog/items/500000-SCJ-001/close", headers=admin)}
        item["version"] = answers["close"].json()["version"]
        item["status"] = "open"
        item["name"] = "企业设立登记（营业执照，新版）"
        answers["replace"] = await c.put(
            "/v1/catalog/items/500000-SCJ-001", json=item, headers=admin
        )
        new = {**item, "code": "500000-SCJ-098", "version": 1}
        answers["create"] = await c.post("/v1/catalog/items", json=new, headers=admin)
    return _ok(answers[step], 201 if step == "create" else 200)


@produces("intake POST /v1/catalog/items")
async def intake_catalog_create() -> Any:
    return await _catalog_admin("create")


@produces("intake PUT /v1/catalog/items/{code}")
async def intake_catalog_replace() -> Any:
    return await _catalog_admin("replace")


@produces("intake POST /v1/catalog/items/{code}/close")
async def intake_catalog_close() -> Any:
    return await _catalog_admin("close")


# --- approval -----------------------------------------------------------------------------------


async def _approval() -> tuple[Any, httpx.AsyncClient, dict[str, str]]:
    from services.approval.bootstrap import create_api
    from services.approval.handlers import on_case_submitted
    from shared.clock import FixedClock
    from shared.contracts import Material, MaterialForm
    from tests.unit.approval.approval_fakes import (
        DEPT,
        MONDAY_10,
        REGION,
        envelope_of,
        make_deps,
        submitted,
    )
    from tests.unit.approval.test_approval_api import token

    deps = make_deps(FixedClock(MONDAY_10))
    verified_upload = Material(
        code="licence_form",
        form=MaterialForm.UPLOAD,
        upload_id="up-7f3a9c2e41b0d85a",
        sha256="9f2c" + "0" * 60,
        size=183204,
        media_type="application/pdf",
    )
    data = submitted("500000-20260302-000001", materials=[verified_upload])
    await on_case_submitted(deps, envelope_of(data), data)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(create_api(deps)), base_url="http://approval"
    )
    return deps, client, token(deps, "h-1", "handler", department=DEPT, region=REGION)


@produces("approval GET /v1/cases/{case}")
async def approval_case() -> Any:
    """The case after the handler signed in to pre-review (the answer of that action)."""
    _, c, handler = await _approval()
    async with c:
        await approval_sign_in_with(c, handler)
        return _ok(await c.get("/v1/cases/500000-20260302-000001", headers=handler))


async def approval_sign_in_with(c: httpx.AsyncClient, handler: dict[str, str]) -> Any:
    return _ok(
        await c.post(
            "/v1/cases/500000-20260302-000001/stages/prereview/sign-in",
            json={"version": 1},
            headers=handler,
        )
    )


@produces("approval POST /v1/cases/{case}/stages/{stage}/{action}")
async def approval_sign_in() -> Any:
    _, c, handler = await _approval()
    async with c:
        return await approval_sign_in_with(c, handler)


@produces("approval GET /v1/cases/{case}/timeline")
async def approval_timeline() -> Any:
    _, c, handler = await _approval()
    async with c:
        return _ok(await c.get("/v1/cases/500000-20260302-000001/timeline", headers=handler))


@produces("approval POST /v1/cases/{case}/stages/{stage}/{action} 409")
async def approval_stale() -> Any:
    _, c, handler = await _approval()
    async with c:
        return _ok(
            await c.post(
                "/v1/cases/500000-20260302-000001/stages/prereview/sign-in",
                json={"version": 7},
                headers=handler,
            ),
            409,
        )


@produces("approval POST /v1/cases/{case}/materials/{code}/download")
async def approval_download() -> Any:
    _, c, handler = await _approval()
    async with c:
        return _ok(
            await c.post(
                "/v1/cases/500000-20260302-000001/materials/licence_form/download",
                headers=handler,
            )
        )


@produces("approval GET /v1/tasks")
async def approval_tasks() -> Any:
    _, c, handler = await _approval()
    async with c:
        return _ok(await c.get("/v1/tasks", headers=handler))


# --- monitor ------------------------------------------------------------------------------------


async def _monitor(stream: Any = None) -> httpx.AsyncClient:
    """The monitor's router on the real ``MonitorService`` (board and case view as served),
    its handlers wired to the unit fakes (``bootstrap.make_deps``) and no faust app: a stage
    opened, gone red and on its first rung, as in ``tests/unit/monitor/test_api.py``."""
    from types import SimpleNamespace

    from services.monitor import handlers as h
    from services.monitor.api import router
    from services.monitor.board import Accumulator
    from services.monitor.bootstrap import MonitorService
    from services.monitor.settings import MonitorSettings
    from shared.auth import TokenVerifier
    from shared.calendar import load_default_calendar
    from shared.clock import FixedClock
    from shared.observability.http import create_app
    from tests.unit.monitor.fakes import fake_deps
    from tests.unit.monitor.test_handlers import DUE, open_case

    deps, store, _, _ = fake_deps()
    await open_case(deps)
    await h.on_timer(deps.arrived(h.Incoming(2, DUE + timedelta(hours=1), DUE)), "C1", "S1")
    now = DUE + timedelta(hours=2)
    settings = MonitorSettings()
    service = object.__new__(MonitorService)  # the HTTP side needs no faust app (test_gauges)
    service.settings, service.clock, service.calendar = (
        settings,
        FixedClock(now),
        load_default_calendar(),
    )
    service.stream = stream or SimpleNamespace(deps=deps)
    service.stream.deps = deps
    service.worker_id = "egov-monitor-0"
    service.board_parts = None
    accumulator = Accumulator(now)
    for record in store.records():
        accumulator.add(record)
    service.local_parts = {2: accumulator.part(list(deps.stats.rows()))}
    app = create_app(service="monitor", routers=[router])
    app.state.monitor = service
    app.state.verifier = TokenVerifier(settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://monitor")


@produces("monitor GET /v1/stages/{case_id}")
async def monitor_stages() -> Any:
    from tests.unit.monitor.test_api import token

    async with await _monitor() as c:
        return _ok(await c.get("/v1/stages/C1", headers=token(["supervisor"])))


@produces("monitor GET /v1/board")
async def monitor_board() -> Any:
    from tests.unit.monitor.test_api import token

    async with await _monitor() as c:
        return _ok(await c.get("/v1/board", headers=token(["supervisor"])))


@produces("monitor GET /v1/worker")
async def monitor_worker() -> Any:
    from types import SimpleNamespace

    class Wheel(list[Any]):  # two timers pending on the partitions this worker owns
        owned = (2, 5)

    stream = SimpleNamespace(
        wheel=Wheel([object(), object()]), recovered=True, app=SimpleNamespace(rebalancing=False)
    )
    async with await _monitor(stream) as c:
        return _ok(await c.get("/v1/worker"))


async def _register(step: str) -> Any:
    from services.monitor.register_api import router as register_router
    from shared.auth import TokenVerifier
    from shared.clock import FixedClock
    from shared.observability.http import create_app
    from tests.unit.monitor.fakes import ListPublisher
    from tests.unit.monitor.test_register import (
        AT,
        SETTINGS,
        MemoryRegister,
        Source,
        finding,
        record,
        token,
    )

    register, publisher = MemoryRegister(), ListPublisher()
    await record(finding("500000-SCJ"), register, publisher)
    app = create_app(service="monitor", routers=[register_router])
    app.state.monitor = Source(register, FixedClock(AT + timedelta(days=1)), publisher)
    app.state.verifier = TokenVerifier(SETTINGS)
    head = token(["department_head"], department="500000-SCJ")
    answers: dict[str, httpx.Response] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        answers["list"] = await c.get("/v1/register", headers=token(["supervisor"]))
        rid = answers["list"].json()["items"][0]["record_id"]
        body = {"reason": "经办人病假，未及时签收", "measures": "设 AB 岗，当日顶岗签收"}
        answers["answer"] = await c.post(f"/v1/register/{rid}/answer", json=body, headers=head)
        answers["decision"] = await c.post(
            f"/v1/register/{rid}/decision",
            json={"outcome": "close", "note": "整改到位"},
            headers=token(["supervisor"]),
        )
    return _ok(answers[step])


@produces("monitor GET /v1/register")
async def monitor_register() -> Any:
    return await _register("list")


@produces("monitor POST /v1/register/{id}/answer")
async def monitor_register_answer() -> Any:
    return await _register("answer")


@produces("monitor POST /v1/register/{id}/decision")
async def monitor_register_decision() -> Any:
    return await _register("decision")


@produces("monitor GET /v1/assessment")
async def monitor_assessment() -> Any:
    from tests.unit.monitor.test_history_api import Source, auth, client, seeded

    async with client(Source(seeded())) as c:
        url = "/v1/assessment?period=2026-03-01..2026-04-30"
        return _ok(await c.get(url, headers=auth(["supervisor"], "510100")))


@produces("monitor GET /v1/public/statistics")
async def monitor_public_statistics() -> Any:
    from tests.unit.monitor.test_history_api import Source, client, seeded

    async with client(Source(seeded())) as c:
        return _ok(await c.get("/v1/public/statistics?period=2026-03&region=510100"))


# --- notify -------------------------------------------------------------------------------------


@produces("notify GET /v1/inbox")
async def notify_inbox() -> Any:
    import tests.unit.notify.notify_samples as s
    from services.notify.bootstrap import create_api
    from services.notify.channels import InboxChannel
    from services.notify.domain import ChannelName
    from services.notify.settings import NotifySettings
    from tests.support.tokens import lasting_token
    from tests.unit.notify.notify_world import NOON, build_world

    settings = NotifySettings()
    world = await build_world(settings)
    inbox = world.inbox
    world.deps.dispatcher.channels[ChannelName.INBOX] = InboxChannel(inbox, world.clock)
    app = create_api(world.deps)
    await world.handle(s.envelope(s.case_submitted("500000-20260302-000001", NOON), NOON))
    # the inbox is the token's subject's: an applicant's sub is their ID number (docs/notify.md)
    token = lasting_token(settings, subject=s.applicant_id(), roles=["applicant"])
    me = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        return _ok(await c.get("/v1/inbox", headers=me))


async def _webhooks(step: str) -> Any:
    """An admin registers the tax office's integrator; it subscribes, lists, reads its
    subscription and adds a signing secret (tests/unit/notify/test_notify_webhooks.py)."""
    from services.notify.settings import NotifySettings
    from tests.unit.notify.test_notify_webhooks import DECIDED, make_api

    answers: dict[str, httpx.Response] = {}
    async for api in make_api(NotifySettings()):
        admin, tax = api.auth("root", "admin"), api.auth("cq-tax", "system")
        answers["integrator"] = await api.client.put(
            "/v1/webhook-integrators/cq-tax",
            headers=admin,
            json={
                "name": "国家税务总局重庆市税务局",
                "event_types": [DECIDED],
                "regions": ["500000"],
                "personal_data": False,
                "active": True,
            },
        )
        answers["integrators"] = await api.client.get("/v1/webhook-integrators", headers=admin)
        answers["subscribe"] = await api.subscribe("cq-tax", regions=["500000"])
        sub_id = answers["subscribe"].json()["id"]
        answers["list"] = await api.client.get("/v1/webhooks", headers=tax)
        answers["one"] = await api.client.get(f"/v1/webhooks/{sub_id}", headers=tax)
        answers["secret"] = await api.client.post(f"/v1/webhooks/{sub_id}/secrets", headers=tax)
        answers["directory"] = await api.client.get(
            "/v1/directory?department=500000-SCJ", headers=admin
        )
        officer = {
            "name": "周敏",
            "department": "500000-SCJ",
            "section": "500000-SCJ-DJ",
            "roles": ["handler"],
            "email": "zhou.min@scj.cq.gov.example.cn",
            "phone": "+86 139 0000 0201",
        }
        answers["officer"] = await api.client.put(
            "/v1/directory/officers/cq-scj-h09", json=officer, headers=admin
        )
    return _ok(answers[step], 201 if step in ("subscribe", "secret") else 200)


@produces("notify PUT /v1/webhook-integrators/{subject}")
async def notify_integrator() -> Any:
    return await _webhooks("integrator")


@produces("notify GET /v1/webhook-integrators")
async def notify_integrators() -> Any:
    return await _webhooks("integrators")


@produces("notify POST /v1/webhooks")
async def notify_subscribe() -> Any:
    return await _webhooks("subscribe")


@produces("notify GET /v1/webhooks")
async def notify_subscriptions() -> Any:
    return await _webhooks("list")


@produces("notify GET /v1/webhooks/{id}")
async def notify_subscription() -> Any:
    return await _webhooks("one")


@produces("notify POST /v1/webhooks/{id}/secrets")
async def notify_secret() -> Any:
    return await _webhooks("secret")


@produces("notify GET /v1/directory")
async def notify_directory() -> Any:
    return await _webhooks("directory")


@produces("notify PUT /v1/directory/officers/{officer_id}")
async def notify_officer() -> Any:
    return await _webhooks("officer")


# --- credit -------------------------------------------------------------------------------------


async def _credit_view(as_subject: bool) -> Any:
    from shared.clock import FixedClock
    from tests.support.tokens import bearer_of
    from tests.unit.credit.credit_fakes import SETTINGS, START, make_app, make_deps
    from tests.unit.credit.test_credit_api import PERSON, add

    deps = make_deps(FixedClock(START))
    await add(deps, PERSON, "person", "serious", "承诺不实：营业场所与承诺不符")
    headers = bearer_of(SETTINGS, PERSON, "applicant") if as_subject else {}
    transport = httpx.ASGITransport(make_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://credit") as c:
        return _ok(await c.get(f"/v1/subjects/{PERSON}/credit", headers=headers))


@produces("credit GET /v1/subjects/{id}/credit")
async def credit_subject() -> Any:
    return await _credit_view(as_subject=True)


@produces("credit GET /v1/subjects/{id}/credit public")
async def credit_public() -> Any:
    return await _credit_view(as_subject=False)


async def _credit_flow(step: str) -> Any:
    """A serious record of a person, an objection rejected, a repair applied and approved (the
    path of tests/unit/credit/test_credit_api.py); the answer of ``step``."""
    from datetime import datetime

    from shared.clock import FixedClock
    from tests.unit.credit.credit_fakes import START, bearer, make_app, make_deps
    from tests.unit.credit.test_credit_api import PERSON, add

    clock = FixedClock(START)
    deps = make_deps(clock)
    await add(deps, PERSON, "person", "serious", "承诺不实：营业场所与承诺不符")
    [record] = deps.store.records.values()  # type: ignore[attr-defined]
    rid = record.record_id
    for severity in ("serious", "general"):
        await add(deps, "500000-SCJ", "department", severity, "督办逾期未办结")
    subject = bearer(PERSON, "applicant")
    office = bearer("chief-1", "supervisor", department="500000-FGW")
    answers: dict[str, httpx.Response] = {}
    transport = httpx.ASGITransport(make_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://credit") as c:
        answers["record"] = await c.get(f"/v1/records/{rid}", headers=office)
        answers["objection"] = await c.post(
            f"/v1/records/{rid}/objections",
            json={"reason": "营业场所已按承诺取得"},
            headers=subject,
        )
        oid = answers["objection"].json()["objection_id"]
        answers["objection decision"] = await c.post(
            f"/v1/objections/{oid}/decision",
            json={"outcome": "rejected", "reason": "核查记录属实"},
            headers=office,
        )
        repair = {"rectification": "已补办场所证明并缴纳罚款", "evidence": ["receipt-1"]}
        answers["repair early"] = await c.post(
            f"/v1/records/{rid}/repair", json=repair, headers=subject
        )
        clock.set(datetime.fromisoformat(answers["repair early"].json()["earliest"]))
        answers["repair"] = await c.post(f"/v1/records/{rid}/repair", json=repair, headers=subject)
        answers["repair decision"] = await c.post(
            f"/v1/records/{rid}/repair/decision",
            json={"approved": True, "reason": "整改到位"},
            headers=office,
        )
        answers["rankings"] = await c.get(
            "/v1/rankings/departments?from=2026-03-01&to=2026-03-31",
            headers=bearer("sup-1", "supervisor"),
        )
    status = {"objection": 201, "repair early": 409, "repair": 202}.get(step, 200)
    return _ok(answers[step], status)


@produces("credit GET /v1/records/{record_id}")
async def credit_record() -> Any:
    return await _credit_flow("record")


@produces("credit POST /v1/records/{record_id}/objections")
async def credit_objection() -> Any:
    return await _credit_flow("objection")


@produces("credit POST /v1/objections/{objection_id}/decision")
async def credit_objection_decision() -> Any:
    return await _credit_flow("objection decision")


@produces("credit POST /v1/records/{record_id}/repair 409")
async def credit_repair_early() -> Any:
    return await _credit_flow("repair early")


@produces("credit POST /v1/records/{record_id}/repair")
async def credit_repair() -> Any:
    return await _credit_flow("repair")


@produces("credit POST /v1/records/{record_id}/repair/decision")
async def credit_repair_decision() -> Any:
    return await _credit_flow("repair decision")


@produces("credit GET /v1/rankings/departments")
async def credit_rankings() -> Any:
    return await _credit_flow("rankings")


# --- the tests ----------------------------------------------------------------------------------


def test_every_documented_example_has_a_producer() -> None:
    unknown = sorted(set(documented_examples()) - set(PRODUCERS))
    assert not unknown, f"examples no test builds (add a producer here): {unknown}"


def test_every_produced_response_is_documented() -> None:
    missing = sorted(set(PRODUCERS) - set(documented_examples()))
    assert not missing, f"responses without an example in the docs: {missing}"


@pytest.mark.parametrize("name", sorted(PRODUCERS))
async def test_the_documented_example_has_the_shape_the_api_answers(name: str) -> None:
    examples = documented_examples()
    if name not in examples:
        pytest.fail(f"{name!r} has no example in the docs")
    where, documented = examples[name]
    actual = await PRODUCERS[name]()
    problems = shape_differences(documented, actual)
    assert not problems, (
        f"{where}, example {name!r} differs from the API's answer:\n  "
        + "\n  ".join(problems)
        + "\nthe API answers:\n"
        + json.dumps(actual, ensure_ascii=False, indent=1)
    )


def test_the_shape_comparison_catches_keys_kinds_and_list_items() -> None:
    assert (
        shape_differences({"a": 1, "b": [{"x": "s"}]}, {"a": 2.5, "b": [{"x": "t"}, {"x": "u"}]})
        == []
    )
    assert shape_differences({"a": 1}, {"a": "1"}) == [
        "$.a: documented number, the API answers string"
    ]
    assert shape_differences({"a": 1}, {"a": 1, "b": None}) == ["$.b: undocumented key"]
    assert shape_differences({"a": 1, "c": True}, {"a": 1}) == ["$.c: the API answers no such key"]
    assert shape_differences({"l": [{"y": 1}]}, {"l": [{"x": 1}]}) != []
    assert shape_differences({"l": []}, {"l": [1]}) == [
        "$.l: the API answers items, the example shows none"
    ]
    assert shape_differences({"f": True}, {"f": 1}) != []  # a boolean is no number
