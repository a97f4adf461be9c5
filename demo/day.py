"""Drive the running platform through a simulated day: applicants submit over HTTP and from
another system over the bus, officers work their lists (some slowly), applicants answer
supplement requests and rate, a court publishes credit incidents."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from demo.bundles import BundleApplicants
from demo.day_uploads import DayFiles
from demo.plan import PlannedCase, Script, plan_day
from demo.register import RegisterRound
from demo.uploads import UploadRefused
from shared.auth import mint_token, submission_token
from shared.calendar import WorkingCalendar
from shared.clock import Clock
from shared.contracts import CaseSubmissionReceived, CreditIncident, kafka_headers, make_envelope
from shared.contracts.publishers import PUBLISHERS
from shared.identifiers import make_uscc
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

COURT = "cq-intermediate-court"
ROLE_OF = {"handler": "h", "reviewer": "r", "approver": "a"}


@dataclass
class Endpoints:
    intake: str
    approval: str
    monitor: str
    notify: str
    credit: str
    kafka_bootstrap: str


@dataclass
class DayResult:
    planned: list[PlannedCase]
    started: float
    finished: float
    actions: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    external_incidents: list[str] = field(default_factory=list)
    submitted: int = 0

    @property
    def seconds(self) -> float:
        return self.finished - self.started


class Officers:
    """One token per (department, role): three different people per department, so the
    separation of duties (经办 / 复核 / 审批) holds."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._tokens: dict[tuple[str, str], str] = {}

    def token(self, department: str, role: str) -> str:
        key = (department, role)
        if key not in self._tokens:
            self._tokens[key] = mint_token(
                self.settings,
                subject=f"{department}-{ROLE_OF.get(role, role)}1",
                now=datetime.now(UTC),
                roles=[role],
                name=f"{department} {role}",
                department=department,
                region=department.split("-")[0],
            )
        return self._tokens[key]

    def headers(self, department: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(department, role)}"}

    def applicant_headers(self, body: dict[str, Any]) -> dict[str, str]:
        """The applicant signs in with their real-name token (face-verified, their phone and
        email verified by the identity provider), on every channel."""
        token = submission_token(self.settings, body, now=datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"} if token else {}

    def system_headers(self) -> dict[str, str]:
        """Another system's view (the monitor's board, credit levels): role ``system``."""
        if ("*", "system") not in self._tokens:
            self._tokens[("*", "system")] = mint_token(
                self.settings, subject="egov-scenario", now=datetime.now(UTC), roles=["system"]
            )
        return {"Authorization": f"Bearer {self._tokens[('*', 'system')]}"}


async def monitor_open_stages(
    http: httpx.AsyncClient, monitor_url: str, case_ids: Iterable[str], headers: dict[str, str]
) -> dict[str, set[str]]:
    """Stage ids the monitor watches as open, by case (404: the monitor knows none)."""
    out: dict[str, set[str]] = {}
    for case_id in case_ids:
        resp = await http.get(f"{monitor_url}/v1/stages/{case_id}", headers=headers)
        view = resp.json() if resp.status_code == 200 else {}
        stages = view.get("stages", []) if isinstance(view, dict) else []
        out[case_id] = {
            s["stage_id"]
            for s in stages
            if isinstance(s, dict) and "stage_id" in s and not s.get("closed_at")
        }
    return out


class Day:
    def __init__(
        self,
        endpoints: Endpoints,
        *,
        clock: Clock,
        calendar: WorkingCalendar,
        settings: ServiceSettings,
        cases: int = 500,
        seed: int = 7,
        concurrency: int = 8,
        progress: Callable[[str, DayResult], None] | None = None,
        bundles: int = 0,
    ) -> None:
        self.ep = endpoints
        self.clock = clock
        self.calendar = calendar
        self.settings = settings
        self.n = cases
        self.seed = seed
        self.concurrency = concurrency
        self.officers = Officers(settings)
        self.progress = progress or (lambda *_: None)
        self.by_case: dict[str, PlannedCase] = {}
        self.by_external: dict[str, PlannedCase] = {}
        self.suspended_until: dict[str, datetime] = {}
        self.supplemented: set[str] = set()
        self.supplemented_stage_requests: set[str] = set()
        self.rated: set[str] = set()
        self.answered: set[str] = set()
        self.done: set[str] = set()
        self.result: DayResult | None = None
        self.bundle_count = bundles  # bundle (一件事) applications: demo/bundles.py
        self.bundles: BundleApplicants | None = None

    # -- top level ----------------------------------------------------------------------

    async def run(self, *, limit_s: float = 900.0) -> DayResult:
        async with httpx.AsyncClient(timeout=30) as http:
            self.http = http
            self.files = DayFiles(http, self.ep.intake, self.ep.approval)
            items = (await http.get(f"{self.ep.intake}/v1/catalog/items")).json()
            planned = plan_day(items, self.n, self.seed)
            result = DayResult(planned=planned, started=time.monotonic(), finished=0.0)
            self.result = result
            producer = AIOKafkaProducer(bootstrap_servers=self.ep.kafka_bootstrap, acks="all")
            await producer.start()
            self.bundles = BundleApplicants(http, self.ep.intake, self.officers, self.seed)
            register = RegisterRound(http, self.ep.monitor, self.officers)
            # The hall works while applicants are still arriving, as a real one does: the first
            # cases are not left waiting (and running late) until the last one is submitted.
            arrivals = asyncio.create_task(self._arrive(planned, items, producer, result))
            # Department heads answer the register at their own desks, beside the handlers.
            desk = asyncio.create_task(register.follow(result.actions, result.errors))
            try:
                deadline = time.monotonic() + limit_s
                while time.monotonic() < deadline:
                    await self._officers_round(result)
                    await self._applicants_round(result)
                    await self.bundles.round(result.actions, result.errors)
                    self.progress("working", result)
                    if desk.done():
                        desk.result()  # the register desk never ends on its own: its failure
                    if arrivals.done():
                        arrivals.result()  # a failed arrival fails the day at once
                        if len(self.done) >= len(self.by_case) and not self.bundles.open:
                            break
                    await asyncio.sleep(0.5)
                else:
                    result.errors.append(
                        f"time limit: {len(self.by_case) - len(self.done)} case(s) still open"
                    )
            finally:
                arrivals.cancel()
                desk.cancel()
                await producer.stop()
                result.finished = time.monotonic()
            return result

    async def _arrive(
        self,
        planned: list[PlannedCase],
        items: list[dict[str, Any]],
        producer: AIOKafkaProducer,
        result: DayResult,
    ) -> None:
        """The day's applicants and other systems: cases, bundles, the court's records."""
        assert self.bundles is not None
        await self._submit_all(planned, producer, result)
        await self.bundles.submit(self.bundle_count, items, result.errors)
        result.external_incidents = await self._publish_court_records(producer)

    # -- applicants ---------------------------------------------------------------------

    async def _submit_all(
        self, planned: list[PlannedCase], producer: AIOKafkaProducer, result: DayResult
    ) -> None:
        sem = asyncio.Semaphore(self.concurrency)

        async def submit(case: PlannedCase) -> None:
            async with sem:
                if case.external:
                    await self._publish_external(case, producer)
                else:
                    await self._submit_http(case, result)
                result.submitted += 1
                self.progress("submitting", result)

        await asyncio.gather(*(submit(c) for c in planned))

    async def _submit_http(self, case: PlannedCase, result: DayResult) -> None:
        body = {
            "item_code": case.item["code"],
            "applicant": case.applicant,
            "contact": case.contact,
            "form": {"note": f"scenario case {case.n}"},
            "materials": case.materials,
            "channel": case.channel,
            "receiving_region": case.receiving_region,
            "handling_region": case.handling_region,
        }
        try:  # some applicants upload their files first (demo/day_uploads.py)
            sent = await self.files.upload(case, self.officers.applicant_headers(body))
        except (UploadRefused, httpx.HTTPError) as exc:
            result.errors.append(f"case {case.n} ({case.item['code']}): upload failed: {exc}")
            return
        result.actions["material uploaded"] += len(sent)
        key = f"day-{self.seed}-{case.n:05d}"
        for attempt in range(5):
            try:
                resp = await self.http.post(
                    f"{self.ep.intake}/v1/cases",
                    json=body,
                    headers={"Idempotency-Key": key} | self.officers.applicant_headers(body),
                )
            except httpx.HTTPError as exc:
                await asyncio.sleep(0.5 * (attempt + 1))
                last = str(exc)
                continue
            if resp.status_code in (200, 201):
                data = resp.json()
                case.case_id, case.code = data["case_id"], data.get("verification_code")
                self.by_case[case.case_id] = case
                self.files.submitted(case.case_id, sent)
                return
            if resp.status_code >= 500:
                last = f"{resp.status_code} {resp.text[:200]}"
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            result.errors.append(
                f"case {case.n} ({case.item['code']}) refused: {resp.status_code} {resp.text[:300]}"
            )
            return
        result.errors.append(f"case {case.n} not submitted: {last}")

    async def _publish_external(self, case: PlannedCase, producer: AIOKafkaProducer) -> None:
        data = CaseSubmissionReceived(
            external_id=case.external_id,
            source_system="cq-bank-terminal",
            applicant=case.applicant,
            contact=case.contact,
            item_code=case.item["code"],  # type: ignore[arg-type]
            materials=case.materials,
            channel="bank_branch",  # type: ignore[arg-type]
            receiving_region=case.receiving_region,
            handling_region=case.handling_region,
            submitted_at=self.clock.now(),
            form={"note": "from a bank-branch terminal"},
        )
        bank = PUBLISHERS["cq-bank-terminal"]
        env = make_envelope(
            data,
            source=bank.source,
            time=self.clock.now(),
            id=f"bank-{self.seed}-{case.n}",
        )
        await producer.send_and_wait(
            bank.topic, env.to_json_bytes(), key=env.subject.encode(), headers=kafka_headers()
        )
        self.by_external[case.external_id] = case

    async def _publish_court_records(self, producer: AIOKafkaProducer) -> list[str]:
        ids = []
        for k in range(3):
            data = CreditIncident(
                subject_id=make_uscc(90_000 + k),
                subject_kind="entity",  # type: ignore[arg-type]
                subject_name=f"失信被执行企业{k}",
                incident_type="court_judgment_default",
                severity="serious" if k else "very_serious",  # type: ignore[arg-type]
                source_system=COURT,
                evidence=[f"(2026)渝01执{100 + k}号"],
                region="500000",
                occurred_at=self.clock.now(),
            )
            court = PUBLISHERS[COURT]  # publishes on its own ingress topic, as itself
            env = make_envelope(
                data, source=court.source, time=self.clock.now(), id=f"court-{self.seed}-{k}"
            )
            await producer.send_and_wait(
                court.topic, env.to_json_bytes(), key=env.subject.encode(), headers=kafka_headers()
            )
            ids.append(env.id)
        return ids

    async def _applicants_round(self, result: DayResult) -> None:
        for case_id, case in list(self.by_case.items()):
            if case_id in self.done and (case.rating is None or case_id in self.rated):
                continue
            # the header, not the query string (docs/intake.md: ?code= is deprecated)
            code = {"X-Verification-Code": case.code} if case.code else {}
            try:
                resp = await self.http.get(f"{self.ep.intake}/v1/cases/{case_id}", headers=code)
            except httpx.HTTPError:
                continue
            if resp.status_code != 200:
                continue
            status = resp.json().get("status")
            if status == "supplement_requested" and case_id not in self.supplemented:
                mats = [{"code": "supplement", "form": "upload", "sha256": "c" * 64, "size": 1000}]
                r = await self.http.post(
                    f"{self.ep.intake}/v1/cases/{case_id}/supplements",
                    headers=code,
                    json={"materials": mats},
                )
                if r.status_code < 300:
                    self.supplemented.add(case_id)
                    result.actions["applicant supplement"] += 1
            if status in ("decided", "prereview_failed"):
                self.done.add(case_id)
                if status == "decided" and case.rating and case_id not in self.rated:
                    r = await self.http.post(
                        f"{self.ep.intake}/v1/cases/{case_id}/rating",
                        headers=code,
                        json={"level": case.rating},
                    )
                    if r.status_code in (201, 409):
                        self.rated.add(case_id)
                        result.actions[f"rating {case.rating}"] += 1
                    if r.status_code == 201 and case.rating in (
                        "dissatisfied",
                        "very_dissatisfied",
                    ):
                        dept = case.item["department"]
                        a = await self.http.post(
                            f"{self.ep.intake}/v1/rectifications/RECT-{case_id}/answer",
                            json={"answer": "已约谈经办人，优化了办理流程"},
                            headers=self.officers.headers(dept, "handler"),
                        )
                        result.actions[f"rectification answered {a.status_code}"] += 1

    # -- officers -----------------------------------------------------------------------

    def _departments(self) -> set[str]:
        depts: set[str] = set()
        for case in self.by_case.values():
            depts.add(case.item["department"])
            for s in case.item["stage_plan"]:
                depts.update(s["departments"])
        return depts | (self.bundles.departments() if self.bundles else set())

    async def _officers_round(self, result: DayResult) -> None:
        # Departments work at the same time (as in a real hall), each through its list in order.
        sem = asyncio.Semaphore(self.concurrency)

        async def department(dept: str) -> None:
            async with sem:
                await self._department_round(dept, result)

        await asyncio.gather(*(department(d) for d in sorted(self._departments())))

    async def _department_round(self, dept: str, result: DayResult) -> None:
        try:
            resp = await self.http.get(
                f"{self.ep.approval}/v1/tasks",
                params={"scope": "department", "department": dept, "limit": 200},
                headers=self.officers.headers(dept, "handler"),
            )
        except httpx.HTTPError:
            return
        if resp.status_code != 200:
            result.errors.append(f"work list of {dept}: {resp.status_code} {resp.text[:200]}")
            return
        body = resp.json()
        rows = body.get("items", body) if isinstance(body, dict) else body
        for row in rows:
            if not row.get("is_parent"):
                await self._work(row, result)

    async def _work(self, row: dict[str, Any], result: DayResult) -> None:
        case_id = row["case_id"]
        stage_id = row.get("stage_id") or row.get("_id")
        kind, role, dept = row["stage"], row.get("required_role") or "handler", row["department"]
        case = self.by_case.get(case_id)
        script = case.script if case else Script.NORMAL
        now = self.clock.now()
        if row.get("suspension_reason"):
            until = self.suspended_until.get(stage_id)
            if until is not None and now >= until:
                await self._act(case_id, stage_id, "resume", row, role, dept, result)
            return
        if script == Script.SLOW and kind == "review":
            due = datetime.fromisoformat(str(row["due_at"]))
            top = datetime.combine(
                self.calendar.add_working_days(due, 4), datetime.min.time(), tzinfo=due.tzinfo
            )
            if now < top:
                return  # this officer sits on it while the ladder climbs
        if not row.get("signed_in_at"):
            if not await self._act(case_id, stage_id, "sign-in", row, role, dept, result):
                return
        officer = self.officers.headers(dept, role)
        if await self.files.download_one(case_id, officer, result.errors):
            result.actions["material downloaded"] += 1
        action, extra = self._decide(script, kind, stage_id, row, now)
        if action:
            await self._act(case_id, stage_id, action, row, role, dept, result, extra)

    def _decide(
        self, script: Script, kind: str, stage_id: str, row: dict[str, Any], now: datetime
    ) -> tuple[str | None, dict[str, Any]]:
        basis = {
            "reasons": ["不符合法定条件"],
            "legal_basis": "《中华人民共和国行政许可法》第三十八条",
        }
        if row.get("parent_stage_id"):
            # A department's sub-task of a parallel stage (会签 / 或签): approve or deny.
            denies = script == Script.PARALLEL_DENY or (script == Script.DENY and kind == "review")
            return ("deny", basis) if denies else ("approve", {})
        if kind == "prereview":
            if script == Script.PREREVIEW_FAIL:
                return "fail", {"reasons": ["营业执照复印件模糊不清，无法核验"]}
            if script == Script.SUPPLEMENT and stage_id not in self.supplemented_stage_requests:
                self.supplemented_stage_requests.add(stage_id)
                return "request-supplements", {
                    "materials": ["supplement"],
                    "reasons": ["请补充提交材料"],
                }
            if row.get("case_status") == "awaiting_supplement":
                return None, {}
            return "pass", {}
        if kind == "accept":
            return ("refuse", basis) if script == Script.REFUSE else ("accept", {})
        if kind == "review":
            if script == Script.DENY:
                return "deny", basis
            if script == Script.SUSPEND and stage_id not in self.suspended_until:
                self.suspended_until[stage_id] = now + timedelta(days=1)
                return "suspend", {"suspension_reason": "expert_review", "note": "专家评审"}
            if script == Script.SLOW:
                return "pass", {"note": "逾期办结：材料复杂，已说明原因"}
            return "pass", {}
        if kind == "decide":
            return "approve", {}
        if kind == "deliver":
            return "deliver", {}
        if kind == "verification":
            return "verify", {"commitment_true": script != Script.FALSE_COMMITMENT}
        return None, {}

    async def _act(
        self,
        case_id: str,
        stage_id: str,
        action: str,
        row: dict[str, Any],
        role: str,
        dept: str,
        result: DayResult,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        body = {"version": row.get("case_version"), **(extra or {})}
        try:
            resp = await self.http.post(
                f"{self.ep.approval}/v1/cases/{case_id}/stages/{stage_id}/{action}",
                json=body,
                headers=self.officers.headers(dept, role),
            )
        except httpx.HTTPError as exc:
            result.errors.append(f"{action} on {stage_id}: {exc}")
            return False
        if resp.status_code < 300:
            result.actions[action] += 1
            try:
                row["case_version"] = resp.json().get("version", row.get("case_version"))
            except (json.JSONDecodeError, AttributeError):
                pass
            return True
        if resp.status_code in (409, 428):
            return False  # stale view: the next round re-reads the work list
        result.errors.append(f"{action} on {stage_id}: {resp.status_code} {resp.text[:300]}")
        return False


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
