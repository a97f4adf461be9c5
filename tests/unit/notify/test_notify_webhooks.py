"""Webhooks that cannot leak or reach inside (issue 18): integrators and their grants, owners,
destinations checked at registration and at every send, payloads minimised by scope, and Standard
Webhooks signatures verified with the maintained library."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

import tests.unit.notify.notify_samples as s
from services.notify.bootstrap import create_api
from services.notify.channels import WebhookChannel
from services.notify.domain import ChannelName, delivery_id
from services.notify.ports import Message
from services.notify.settings import NotifySettings
from shared.contracts import Envelope, EventData
from shared.contracts.common import SubjectKind
from tests.support.production import PRODUCTION
from tests.support.tokens import officer_headers
from tests.unit.notify.notify_fakes import FakeResolver
from tests.unit.notify.notify_world import NOON, World, build_world

DECIDED = "gov.egov.case.decided.v1"
SUBMITTED = "gov.egov.case.submitted.v1"
CREDIT = "gov.egov.credit.changed.v1"
PUBLIC = "93.184.216.34"  # never contacted: unit tests answer through httpx.MockTransport
DNS = {
    "hooks.tax.example.cn": [PUBLIC],
    "v6.tax.example.cn": ["2606:4700::1111"],
    "internal.example.cn": ["10.0.0.8"],
    "mixed.example.cn": [PUBLIC, "127.0.0.1"],
    "metadata.example.cn": ["169.254.169.254"],
    "ula.example.cn": ["fd00::1"],
    "localhost": ["127.0.0.1", "::1"],
}
APPLICANT = s.applicant_id()


@dataclass
class Api:
    client: httpx.AsyncClient
    world: World
    settings: NotifySettings
    resolver: FakeResolver

    def auth(self, subject: str, *roles: str) -> dict[str, str]:
        return officer_headers(self.settings, subject=subject, roles=list(roles))

    async def register(
        self,
        subject: str,
        event_types: list[str],
        regions: list[str],
        *,
        personal_data: bool = False,
        active: bool = True,
    ) -> httpx.Response:
        return await self.client.put(
            f"/v1/webhook-integrators/{subject}",
            headers=self.auth("root", "admin"),
            json={
                "name": subject,
                "event_types": event_types,
                "regions": regions,
                "personal_data": personal_data,
                "active": active,
            },
        )

    async def subscribe(self, subject: str, **body: Any) -> httpx.Response:
        body.setdefault("event_types", [DECIDED])
        body.setdefault("url", "https://hooks.tax.example.cn/egov")
        return await self.client.post(
            "/v1/webhooks", headers=self.auth(subject, "system"), json=body
        )


async def make_api(settings: NotifySettings) -> AsyncIterator[Api]:
    resolver = FakeResolver(DNS)
    world = await build_world(settings, resolver=resolver)
    app = create_api(world.deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        yield Api(c, world, settings, resolver)


@pytest.fixture
async def api(settings: NotifySettings) -> AsyncIterator[Api]:
    async for made in make_api(settings):
        yield made


def fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


# --- integrators, grants and owners ------------------------------------------------------------


async def test_only_a_registered_integrator_subscribes_and_only_within_its_grant(api: Api) -> None:
    refused = await api.subscribe("tax-system")
    assert refused.status_code == 403 and "not a registered integrator" in refused.text
    # Registering is the admin's: a system token cannot grant itself anything.
    own = await api.client.put(
        "/v1/webhook-integrators/tax-system",
        headers=api.auth("tax-system", "system"),
        json={"name": "x", "event_types": [SUBMITTED], "regions": ["*"], "personal_data": True},
    )
    assert own.status_code == 403
    assert (await api.register("tax-system", [DECIDED], ["500000"])).status_code == 200

    for body, field in [
        ({"event_types": [SUBMITTED]}, "event_types"),
        ({"regions": ["510100"]}, "regions"),
        ({"regions": ["*"]}, "regions"),
        ({"personal_data": True}, "personal_data"),
    ]:
        beyond = await api.subscribe("tax-system", **body)
        assert beyond.status_code == 403, body
        assert beyond.json()["detail"].startswith(f"{field}: "), beyond.text

    created = await api.subscribe("tax-system")
    assert created.status_code == 201, created.text
    sub = created.json()
    assert (sub["owner"], sub["regions"], sub["personal_data"]) == ("tax-system", ["500000"], False)
    assert sub["secret"].startswith("whsec_") and len(sub["secrets"]) == 1


async def test_only_an_admin_includes_personal_data(api: Api) -> None:
    await api.register("court", [SUBMITTED], ["*"], personal_data=True)
    asked = await api.subscribe("court", event_types=[SUBMITTED], personal_data=True)
    assert asked.status_code == 403 and "personal_data: only an admin" in asked.text
    other = await api.subscribe("tax-system", event_types=[SUBMITTED], owner="court")
    assert other.status_code == 403 and "owner" in other.text
    granted = await api.client.post(
        "/v1/webhooks",
        headers=api.auth("root", "admin"),
        json={
            "event_types": [SUBMITTED],
            "url": "https://hooks.tax.example.cn/court",
            "personal_data": True,
            "owner": "court",
        },
    )
    assert granted.status_code == 201, granted.text
    assert (granted.json()["owner"], granted.json()["personal_data"]) == ("court", True)
    # ... and only for an integrator whose grant has it.
    await api.register("tax-system", [SUBMITTED], ["*"])
    ungranted = await api.client.post(
        "/v1/webhooks",
        headers=api.auth("root", "admin"),
        json={
            "event_types": [SUBMITTED],
            "url": "https://hooks.tax.example.cn/tax",
            "personal_data": True,
            "owner": "tax-system",
        },
    )
    assert ungranted.status_code == 403 and "personal_data" in ungranted.text


async def test_owners_alone_list_read_delete_and_rotate_their_subscriptions(api: Api) -> None:
    await api.register("tax-system", [DECIDED], ["*"])
    await api.register("bank", [DECIDED], ["*"])
    mine = (await api.subscribe("tax-system")).json()
    theirs = (await api.subscribe("bank", url="https://hooks.tax.example.cn/bank")).json()
    tax, bank, admin = (
        api.auth("tax-system", "system"),
        api.auth("bank", "system"),
        api.auth("root", "admin"),
    )

    listed = (await api.client.get("/v1/webhooks", headers=bank)).json()
    assert [x["id"] for x in listed] == [theirs["id"]]
    assert "secret" not in listed[0] and all("secret" not in k for k in listed[0]["secrets"])
    everything = (await api.client.get("/v1/webhooks", headers=admin)).json()
    assert {x["id"] for x in everything} == {mine["id"], theirs["id"]}
    one_owner = (await api.client.get("/v1/webhooks?owner=bank", headers=admin)).json()
    assert [x["id"] for x in one_owner] == [theirs["id"]]
    ignored = (await api.client.get("/v1/webhooks?owner=tax-system", headers=bank)).json()
    assert [x["id"] for x in ignored] == [theirs["id"]]  # a non-admin's filter is itself

    path = f"/v1/webhooks/{mine['id']}"
    assert (await api.client.get(path, headers=bank)).status_code == 404
    assert (await api.client.get(path, headers=admin)).status_code == 200
    for who in (bank, admin):
        assert (await api.client.delete(path, headers=who)).status_code == 404
        assert (await api.client.post(f"{path}/secrets", headers=who)).status_code == 404
    assert (await api.world.subscriptions.get(mine["id"]) or {})["active"] is True

    added = await api.client.post(f"{path}/secrets", headers=tax)
    assert added.status_code == 201 and added.json()["secret"].startswith("whsec_")
    old_id = mine["secrets"][0]["id"]
    assert (await api.client.delete(f"{path}/secrets/{old_id}", headers=bank)).status_code == 404
    assert (await api.client.delete(f"{path}/secrets/{old_id}", headers=tax)).status_code == 204
    last = added.json()["id"]
    assert (await api.client.delete(f"{path}/secrets/{last}", headers=tax)).status_code == 409
    for _ in range(2):
        assert (await api.client.post(f"{path}/secrets", headers=tax)).status_code == 201
    assert (await api.client.post(f"{path}/secrets", headers=tax)).status_code == 409  # 3 at most

    assert (await api.client.delete(path, headers=tax)).status_code == 204
    assert (await api.client.get(path, headers=tax)).json()["active"] is False


async def test_bad_input_is_a_422_naming_each_field(api: Api) -> None:
    await api.register("tax-system", [DECIDED], ["*"])
    bad = await api.subscribe(
        "tax-system",
        event_types=["gov.egov.nope.v1"],
        regions=["999999"],
        url="not a url",
        secret="a-custom-secret-of-the-old-kind",
    )
    assert bad.status_code == 422
    assert fields(bad) == {"event_types", "regions", "url", "secret"}
    short = await api.subscribe("tax-system", secret="whsec_c2hvcnQ=", regions=[])
    assert short.status_code == 422 and fields(short) == {"secret", "regions"}
    grant = await api.client.put(
        "/v1/webhook-integrators/bad%20subject",
        headers=api.auth("root", "admin"),
        json={"name": "", "event_types": [], "regions": []},
    )
    assert grant.status_code == 422
    assert fields(grant) == {"path.subject", "name", "event_types", "regions"}


# --- destinations --------------------------------------------------------------------------------


REFUSED = {
    "http://hooks.tax.example.cn/egov": "https",
    "https://127.0.0.1/egov": "loopback",
    "https://127.0.0.1:27017/": "loopback",  # the database
    "https://localhost:9092/": "loopback",  # the broker, by name
    "https://169.254.169.254/latest/meta-data/": "link-local",
    "https://10.1.2.3/": "private",
    "https://172.16.0.9/": "private",
    "https://192.168.1.1/": "private",
    "https://100.64.0.1/": "not a public address",
    "https://0.0.0.0/": "unspecified",
    "https://224.0.0.1/": "multicast",
    "https://240.0.0.1/": "reserved",
    "https://[::1]/": "loopback",
    "https://[::]/": "unspecified",
    "https://[fe80::1]/": "link-local",
    "https://[fd00::1]/": "private",
    "https://[ff02::1]/": "multicast",
    "https://[::ffff:127.0.0.1]/": "loopback",
    "https://[::ffff:169.254.169.254]/": "link-local",
    "https://[2002:a00:1::]/": "private",  # 6to4 for 10.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/": "link-local",  # NAT64 for 169.254.169.254
    "https://internal.example.cn/": "10.0.0.8 is a private address",
    "https://mixed.example.cn/": "127.0.0.1 is a loopback address",  # every address counts
    "https://metadata.example.cn/": "link-local",
    "https://ula.example.cn/": "private",
    "https://nowhere.example.cn/": "does not resolve",
    "https://user:secret@hooks.tax.example.cn/": "user name or password",
}


@pytest.mark.parametrize("url", sorted(REFUSED))
async def test_destinations_must_be_https_to_public_addresses(api: Api, url: str) -> None:
    await api.register("tax-system", [DECIDED], ["*"])
    refused = await api.subscribe("tax-system", url=url)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "url" and REFUSED[url] in error["message"], error
    assert await api.world.subscriptions.owned_by(None) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.tax.example.cn/egov",
        "https://hooks.tax.example.cn:8443/egov?k=v",
        "https://v6.tax.example.cn/egov",
        f"https://{PUBLIC}/egov",
        "https://[2606:4700::1111]/egov",
    ],
)
async def test_public_https_destinations_are_accepted(api: Api, url: str) -> None:
    await api.register("tax-system", [DECIDED], ["*"])
    created = await api.subscribe("tax-system", url=url)
    assert created.status_code == 201, created.text


async def test_the_development_setting_allows_http_and_loopback_but_nothing_else(
    settings: NotifySettings,
) -> None:
    dev = settings.model_copy(update={"webhook_allow_insecure": True})
    async for api in make_api(dev):
        await api.register("it", [DECIDED], ["*"])
        for url in ("http://127.0.0.1:8080/hooks/a", "https://[::1]:8443/", "http://localhost/"):
            assert (await api.subscribe("it", url=url)).status_code == 201, url
        for url in ("http://169.254.169.254/", "http://10.0.0.1/", "ftp://hooks.tax.example.cn/"):
            assert (await api.subscribe("it", url=url)).status_code == 422, url


PRODUCTION_NOTIFY = PRODUCTION | {"sms_hmac_key": "s" * 40}


def test_the_development_setting_is_refused_in_production() -> None:
    NotifySettings(**PRODUCTION_NOTIFY)
    with pytest.raises(ValidationError, match="EGOV_WEBHOOK_ALLOW_INSECURE") as refused:
        NotifySettings(**PRODUCTION_NOTIFY | {"webhook_allow_insecure": True})
    assert str(refused.value).count("EGOV_") == 1


def test_the_published_sms_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="EGOV_SMS_HMAC_KEY") as refused:
        NotifySettings(**PRODUCTION)
    assert str(refused.value).count("EGOV_") == 1


# --- what is sent --------------------------------------------------------------------------------


async def add_subscription(
    world: World,
    sub_id: str,
    *,
    owner: str = "tax-system",
    event_types: tuple[str, ...] = (SUBMITTED, DECIDED, CREDIT),
    regions: tuple[str, ...] = ("*",),
    personal_data: bool = False,
    grant: dict[str, Any] | None = None,
    url: str = "https://hooks.tax.example.cn/egov",
    secrets: tuple[str, ...] = (),
) -> None:
    await world.integrators.put(
        {
            "_id": owner,
            "name": owner,
            "event_types": list(event_types),
            "regions": list(regions),
            "personal_data": personal_data,
            "active": True,
        }
        | (grant or {})
    )
    await world.subscriptions.add(
        {
            "_id": sub_id,
            "owner": owner,
            "url": url,
            "event_types": list(event_types),
            "regions": list(regions),
            "personal_data": personal_data,
            "secrets": [{"id": f"k{i}", "secret": v} for i, v in enumerate(secrets or (SECRET,))],
            "active": True,
        }
    )


async def handle(world: World, data: EventData) -> Envelope:
    envelope = s.envelope(data, NOON)
    await world.handle(envelope)
    return envelope


def payloads(world: World) -> dict[str, dict[str, Any]]:
    return {m.address: json.loads(m.payload) for m in world.sent(ChannelName.WEBHOOK)}


async def test_payloads_carry_personal_data_only_where_the_scope_allows_it(world: World) -> None:
    await add_subscription(world, "plain")
    await add_subscription(world, "full", owner="court", personal_data=True)
    form = {"shop_name": "张三小吃", "owner_phone": "13700000001"}
    submitted = s.case_submitted("C1", NOON, applicant=APPLICANT)
    data = type(submitted).model_validate(
        submitted.model_dump() | {"form": form, "materials": [_material()]}
    )
    envelope = await handle(world, data)

    raw = {m.address: m.payload.decode() for m in world.sent(ChannelName.WEBHOOK)}
    for personal in (APPLICANT, "张三", "13912345678", "zhangsan@example.cn", "13700000001"):
        assert personal not in raw["plain"], personal
        assert personal in raw["full"], personal
    plain, full = payloads(world)["plain"], payloads(world)["full"]
    assert plain["personaldata"] == "removed" and "personaldata" not in full
    assert {"applicant", "contact", "form"} & set(plain["data"]) == set()
    [material] = plain["data"]["materials"]
    assert "licence_ref" not in material and (material["code"], material["name"]) == (
        "M1",
        "身份证",
    )
    assert (plain["id"], plain["data"]["case_id"], plain["data"]["item_code"]) == (
        envelope.id,
        "C1",
        "SCJ-001",
    )
    assert full == json.loads(envelope.to_json_bytes())


def _material() -> dict[str, Any]:
    return {"code": "M1", "form": "elicense", "name": "身份证", "licence_ref": f"RID:{APPLICANT}"}


async def test_free_text_and_a_persons_credit_subject_are_masked(world: World) -> None:
    await add_subscription(world, "plain")
    await add_subscription(world, "full", owner="court", personal_data=True)
    await handle(world, s.case_submitted("C1", NOON, applicant=APPLICANT))
    decided = s.case_decided("C1", NOON, "denied").model_copy(
        update={"reasons": [f"申请人 {APPLICANT} 电话 13912345678 已列入名单"]}
    )
    await handle(world, decided)
    reasons = [
        json.loads(m.payload)["data"]["reasons"]
        for m in world.sent(ChannelName.WEBHOOK)
        if m.address == "plain" and m.event_type == DECIDED
    ]
    assert reasons == [["申请人 5001**********" + APPLICANT[-4:] + " 电话 139****5678 已列入名单"]]

    credit = s.credit_changed(APPLICANT, NOON)
    assert credit.subject_kind is SubjectKind.PERSON
    await handle(world, credit)
    sent = {
        m.address: json.loads(m.payload)
        for m in world.sent(ChannelName.WEBHOOK)
        if m.event_type == CREDIT
    }
    assert APPLICANT not in json.dumps(sent["plain"])
    assert (
        sent["plain"]["subject"]
        == sent["plain"]["data"]["subject_id"]
        == (APPLICANT[:4] + "*" * 10 + APPLICANT[-4:])
    )
    assert sent["full"]["data"]["subject_id"] == APPLICANT


async def test_only_subscriptions_covering_the_events_region_receive_it(world: World) -> None:
    await add_subscription(world, "chongqing", owner="cq", regions=("500000",))
    await add_subscription(world, "chengdu", owner="cd", regions=("510100",))
    await add_subscription(world, "everywhere", owner="all", regions=("*",))
    await handle(world, s.case_submitted("C1", NOON))  # handled in 500000
    await handle(world, s.case_decided("C1", NOON))
    await handle(world, s.credit_changed(APPLICANT, NOON))  # a person's credit names no region
    got = {(m.address, m.event_type) for m in world.sent(ChannelName.WEBHOOK)}
    assert got == {
        ("chongqing", SUBMITTED),
        ("chongqing", DECIDED),
        ("everywhere", SUBMITTED),
        ("everywhere", DECIDED),
        ("everywhere", CREDIT),
    }


async def test_a_narrowed_or_withdrawn_grant_applies_to_existing_subscriptions(
    world: World,
) -> None:
    await add_subscription(world, "narrowed", owner="a", grant={"event_types": [SUBMITTED]})
    await add_subscription(world, "withdrawn", owner="b", grant={"active": False})
    await add_subscription(world, "private", owner="c", personal_data=True)
    await world.integrators.put((await world.integrators.get("c") or {}) | {"personal_data": False})
    await world.subscriptions.add(  # made before subscriptions had owners and scopes
        {
            "_id": "legacy",
            "event_types": [DECIDED],
            "url": "https://x.cn",
            "secret": "s" * 16,
            "active": True,
        }
    )
    await handle(world, s.case_submitted("C1", NOON))
    await handle(world, s.case_decided("C1", NOON))
    got = sorted((m.address, m.event_type) for m in world.sent(ChannelName.WEBHOOK))
    assert got == [
        ("narrowed", SUBMITTED),
        ("private", DECIDED),
        ("private", SUBMITTED),
    ]
    assert all(
        json.loads(m.payload)["personaldata"] == "removed" for m in world.sent(ChannelName.WEBHOOK)
    )


# --- the channel: signatures and the check at send time -----------------------------------------

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes, base64
NEXT_SECRET = "whsec_" + "TW9yZVNlY3JldEJ5dGVzRm9yUm90YXRpb24hIQ=="


@dataclass
class Wire:
    channel: WebhookChannel
    resolver: FakeResolver
    requests: list[httpx.Request]


def wire_channel(world: World, settings: NotifySettings, *, at: float | None = None) -> Wire:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(204)

    resolver = FakeResolver(DNS)
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    clock = {} if at is None else {"wall_clock": lambda: at}
    channel = WebhookChannel(
        settings, client, world.subscriptions, world.integrators, resolver, **clock
    )
    return Wire(channel, resolver, requests)


async def recorded_message(world: World, sub_id: str) -> Message:
    await handle(world, s.case_submitted("C1", NOON))
    [message] = [m for m in world.sent(ChannelName.WEBHOOK) if m.address == sub_id]
    return message


async def test_deliveries_are_signed_by_standard_webhooks_with_every_active_secret(
    world: World, settings: NotifySettings
) -> None:
    await add_subscription(world, "sub1", secrets=(SECRET, NEXT_SECRET))
    message = await recorded_message(world, "sub1")
    at = NOON.timestamp()
    wire = wire_channel(world, settings, at=at)
    assert (await wire.channel.send(message)).ok
    [request] = wire.requests
    headers = request.headers
    assert (
        headers["webhook-id"]
        == message.delivery_id
        == delivery_id(json.loads(message.payload)["id"], "sub1", "webhook")
    )
    assert headers["webhook-timestamp"] == str(int(at))
    # One v1 signature per active secret, each over "id.timestamp.body" as the library computes it.
    stamp = datetime.fromtimestamp(at, tz=UTC)
    body = request.content.decode()
    assert headers["webhook-signature"].split(" ") == [
        Webhook(secret).sign(message.delivery_id, stamp, body) for secret in (SECRET, NEXT_SECRET)
    ]
    assert request.content == message.payload
    assert headers["content-type"].startswith("application/cloudevents+json")
    # Sent to the address that was checked, under the registered name (Host and TLS SNI).
    assert (request.url.host, request.url.port, request.url.path) == (PUBLIC, None, "/egov")
    assert headers["host"] == "hooks.tax.example.cn"
    assert request.extensions["sni_hostname"] == "hooks.tax.example.cn"
    assert "X-Egov-Signature" not in headers and "X-Egov-Delivery" not in headers


async def test_a_receiver_verifies_with_the_library_and_a_replay_under_another_id_fails(
    world: World, settings: NotifySettings
) -> None:
    await add_subscription(world, "sub1", secrets=(SECRET, NEXT_SECRET))
    message = await recorded_message(world, "sub1")
    wire = wire_channel(world, settings)  # the real wall clock, as the receiver's library uses
    assert (await wire.channel.send(message)).ok
    [request] = wire.requests
    headers = dict(request.headers)
    for secret in (SECRET, NEXT_SECRET):  # before and after the receiver rotates
        assert (
            Webhook(secret).verify(request.content, headers)["id"]
            == json.loads(message.payload)["id"]
        )
    for tampered in (
        headers
        | {"webhook-id": "another-delivery-id"},  # the id is signed: no replay under a new one
        headers | {"webhook-timestamp": str(int(headers["webhook-timestamp"]) - 1)},
    ):
        with pytest.raises(WebhookVerificationError):
            Webhook(SECRET).verify(request.content, tampered)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.content + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QW5vdGhlclNlY3JldE9mMjRCeXRlcyEh").verify(request.content, headers)


@pytest.mark.parametrize(
    ("rebound", "reason"),
    [
        (["127.0.0.1"], "loopback"),
        (["169.254.169.254"], "link-local"),
        ([PUBLIC, "10.0.0.8"], "private"),
        (["::ffff:127.0.0.1"], "loopback"),
    ],
)
async def test_dns_rebinding_is_caught_at_send_time(
    world: World, settings: NotifySettings, rebound: list[str], reason: str
) -> None:
    await add_subscription(world, "sub1")
    message = await recorded_message(world, "sub1")
    wire = wire_channel(world, settings)
    wire.resolver.answers["hooks.tax.example.cn"] = rebound  # public at registration, not now
    result = await wire.channel.send(message)
    assert not result.ok and not result.retryable
    assert "refused" in (result.error or "") and reason in (result.error or "")
    assert wire.requests == []


async def test_at_send_time_a_name_that_does_not_resolve_is_retried(
    world: World, settings: NotifySettings
) -> None:
    await add_subscription(world, "sub1")
    message = await recorded_message(world, "sub1")
    wire = wire_channel(world, settings)
    del wire.resolver.answers["hooks.tax.example.cn"]
    result = await wire.channel.send(message)
    assert result.retryable and wire.requests == []


async def test_a_grant_withdrawn_after_recording_stops_the_send(
    world: World, settings: NotifySettings
) -> None:
    await add_subscription(world, "full", owner="court", personal_data=True)
    message = await recorded_message(world, "full")
    grant = await world.integrators.get("court") or {}
    await world.integrators.put(grant | {"personal_data": False})
    wire = wire_channel(world, settings)
    result = await wire.channel.send(message)
    assert not result.ok and not result.retryable and "personal data" in (result.error or "")
    await world.integrators.put(grant | {"active": False})
    assert "not registered" in ((await wire.channel.send(message)).error or "")
    assert wire.requests == []


async def test_webhook_delivery_end_to_end_through_the_api(settings: NotifySettings) -> None:
    """Registered, subscribed and delivered through the real wiring, then verified by the
    receiver with the secret it was given once."""
    async for api in make_api(settings):
        await api.register("tax-system", [DECIDED], ["500000"])
        created = (await api.subscribe("tax-system")).json()
        await handle(api.world, s.case_submitted("C1", NOON))
        envelope = await handle(api.world, s.case_decided("C1", NOON))
        [message] = api.world.sent(ChannelName.WEBHOOK)
        wire = wire_channel(api.world, settings)
        assert (await wire.channel.send(message)).ok
        [request] = wire.requests
        event = Webhook(created["secret"]).verify(request.content, dict(request.headers))
        assert (event["id"], event["type"]) == (envelope.id, DECIDED)
        assert request.headers["webhook-id"] == delivery_id(envelope.id, created["id"], "webhook")
