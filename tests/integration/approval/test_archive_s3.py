"""Issue 20, the sealed archive through the real S3 API (s3rver, started as the local stack
starts it), the real broker and database: a case submitted on egov.cases with an uploaded
material, decided and delivered over HTTP; the decision notice is in the store and referred to
from case.decided; the dossier is sealed (case.archived on the bus); `egov archive verify`
passes, then reports a tampered material; the retention sweep deletes nothing under a legal
hold and everything once it is lifted."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from services.approval.bootstrap import ApprovalService, build
from services.approval.handlers import purge_expired
from services.approval.settings import ApprovalSettings
from shared.calendar import Limit
from shared.clock import FixedClock
from shared.contracts import (
    Applicant,
    ApplicantKind,
    CaseSubmitted,
    Channel,
    Contact,
    Material,
    MaterialForm,
    StageKind,
    StagePlanEntry,
    make_envelope,
)
from shared.objectstore import ObjectMissing, document_key, manifest_key, material_key
from shared.objectstore.s3 import S3ObjectStore
from tests.integration.approval.test_approval_integration import read_topic
from tests.support.objects import running_s3rver
from tests.support.service_stack import serving_and_producing
from tests.support.tokens import lasting_token

pytestmark = pytest.mark.integration

DEPT, REGION = "500000-SCJ", "500000"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
RUN = uuid.uuid4().hex[:10]
SCAN = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + uuid.uuid4().bytes * 500
UPLOAD_ID = f"up-{RUN}{'x' * 22}"
PLAN = [
    StagePlanEntry(
        stage=kind, name=kind.value, limit=Limit(value=5), departments=[DEPT], required_role=role
    )
    for kind, role in (
        (StageKind.ACCEPT, "handler"),
        (StageKind.DECIDE, "approver"),
        (StageKind.DELIVER, "handler"),
    )
]


@dataclass
class Stack:
    service: ApprovalService
    client: httpx.AsyncClient
    producer: AIOKafkaProducer
    objects: S3ObjectStore
    settings: ApprovalSettings
    bootstrap: str


@pytest.fixture(scope="module")
async def stack(
    kafka_bootstrap: str, mongo_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    with running_s3rver(Path(tmp_path_factory.mktemp("objects"))) as endpoint:
        settings = ApprovalSettings(
            kafka_bootstrap=kafka_bootstrap,
            mongo_uri=mongo_uri,
            mongo_db=f"egov_archive_it_{RUN}",
            consumer_group=f"approval-archive-{RUN}",
            outbox_poll_s=0.1,
            log_json=False,
            object_store_url=endpoint,
            object_store_timeout_s=5.0,
        )
        service = build(settings, clock=FixedClock(START))
        objects = S3ObjectStore(settings)
        try:
            async with serving_and_producing(service, "http://a", kafka_bootstrap) as (
                client,
                producer,
            ):
                yield Stack(service, client, producer, objects, settings, kafka_bootstrap)
        finally:
            await objects.aclose()


def auth(stack: Stack, sub: str, role: str) -> dict[str, str]:
    token = lasting_token(stack.settings, subject=sub, roles=[role], department=DEPT, region=REGION)
    return {"Authorization": f"Bearer {token}"}


async def case_view(stack: Stack, case_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await stack.client.get(f"/v1/cases/{case_id}", headers=auth(stack, "w", "supervisor"))
        if r.status_code == 200:
            return dict(r.json())
        assert asyncio.get_running_loop().time() < deadline, r.text
        await asyncio.sleep(0.2)


async def signed(
    stack: Stack, case_id: str, stage: str, action: str, who: tuple[str, str], **body: Any
) -> None:
    for step in ("sign-in", action):
        version = (await case_view(stack, case_id))["version"]
        extra = body if step == action else {}
        r = await stack.client.post(
            f"/v1/cases/{case_id}/stages/{stage}/{step}",
            json={"version": version, **extra},
            headers=auth(stack, *who),
        )
        assert r.status_code == 200, r.text


async def submit(stack: Stack, case_id: str) -> None:
    data = CaseSubmitted(
        case_id=case_id,
        item_code="500000-SCJ-001",
        item_name="食品经营许可",
        department=DEPT,
        receiving_region=REGION,
        handling_region=REGION,
        channel=Channel.WEB,
        applicant=Applicant(
            kind=ApplicantKind.ENTITY, id_number="91500000MA5U000000", name="某某公司"
        ),
        contact=Contact(),
        materials=[
            Material(
                code="form",
                form=MaterialForm.UPLOAD,
                upload_id=UPLOAD_ID,
                sha256=hashlib.sha256(SCAN).hexdigest(),
                size=len(SCAN),
                media_type="application/pdf",
            )
        ],
        promised_limit=Limit(value=10),
        statutory_limit=Limit(value=20),
        stage_plan=PLAN,
        required_materials=["form"],
        submitted_at=START,
        retention_years=10,
    )
    env = make_envelope(data, source="/egov/intake", time=START)
    await stack.producer.send_and_wait("egov.cases", env.to_json_bytes(), key=case_id.encode())


async def archive_cli(stack: Stack, *args: str) -> Any:
    from services.cli import app

    env = {
        "EGOV_MONGO_URI": stack.settings.mongo_uri,
        "EGOV_MONGO_DB": stack.settings.mongo_db,
        "EGOV_OBJECT_STORE_URL": stack.settings.object_store_url or "",
    }
    return await asyncio.to_thread(CliRunner().invoke, app, ["archive", *args], env=env)


async def body_of(stack: Stack, key: str) -> bytes:
    return b"".join([chunk async for chunk in stack.objects.read(key)])


async def test_decided_sealed_verified_tampering_found_and_kept_under_a_hold(stack: Stack) -> None:
    case_id = f"AR-{RUN}"
    await stack.objects.put(material_key(UPLOAD_ID), SCAN, content_type="application/pdf")
    await submit(stack, case_id)
    await signed(stack, case_id, "prereview", "pass", ("h-1", "handler"))
    await signed(stack, case_id, "accept", "accept", ("h-1", "handler"))
    await signed(stack, case_id, "decide", "approve", ("a-1", "approver"))

    # the decision notice is in the store; case.decided names it by key and hash alone
    notice = await body_of(stack, document_key(case_id, "decision-approved"))
    events = await read_topic(
        stack,  # type: ignore[arg-type]
        "egov.stages",
        lambda env: env["subject"] == case_id,
        lambda evs: any(e["type"] == "gov.egov.case.decided.v1" for e in evs),
    )
    [decided] = [e for e in events if e["type"] == "gov.egov.case.decided.v1"]
    assert decided["data"]["document"]["sha256"] == hashlib.sha256(notice).hexdigest()

    await signed(stack, case_id, "deliver", "deliver", ("h-1", "handler"))
    [archived] = await read_topic(
        stack,  # type: ignore[arg-type]
        "egov.cases",
        lambda env: env["subject"] == case_id and env["type"] == "gov.egov.case.archived.v1",
        lambda evs: len(evs) >= 1,
    )
    manifest = await body_of(stack, manifest_key(case_id))
    assert archived["data"]["manifest"]["sha256"] == hashlib.sha256(manifest).hexdigest()
    assert [m["key"] for m in json.loads(manifest)["materials"]] == [material_key(UPLOAD_ID)]

    result = await archive_cli(stack, "verify", case_id)
    assert result.exit_code == 0 and "dossier intact (3 objects" in result.output, result.output
    await stack.objects.put(material_key(UPLOAD_ID), SCAN + b"%", content_type="application/pdf")
    result = await archive_cli(stack, "verify", case_id)
    assert result.exit_code == 1 and "material form" in result.output, result.output

    # retention: 10 years; a legal hold keeps it past them, lifting the hold lets it go
    admin = auth(stack, "admin-1", "admin")
    r = await stack.client.put(
        f"/v1/cases/{case_id}/legal-hold", json={"reason": "诉讼"}, headers=admin
    )
    assert r.status_code == 200, r.text
    later = dataclasses.replace(stack.service.deps, clock=FixedClock(START + timedelta(days=3700)))
    assert await purge_expired(later) == 0
    assert await body_of(stack, manifest_key(case_id)) == manifest
    result = await archive_cli(stack, "release", case_id)
    assert result.exit_code == 0, result.output
    assert await purge_expired(later) >= 1
    for key in (
        material_key(UPLOAD_ID),
        document_key(case_id, "decision-approved"),
        manifest_key(case_id),
    ):
        with pytest.raises(ObjectMissing):
            await body_of(stack, key)
    result = await archive_cli(stack, "verify", case_id)
    assert result.exit_code == 1 and "was deleted" in result.output, result.output
