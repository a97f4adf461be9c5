"""The simulated day's real files (issue 20): every fourth applicant who submits over HTTP uploads
the files of up to two materials (small PDFs and PNGs, demo/uploads.py) and submits with the
verified upload ids; the first officer who works on such a case downloads one of its files and
checks it is the same bytes. Kept apart from demo/day.py, which calls it at two places."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx

from demo.plan import PlannedCase
from demo.uploads import UploadRefused, sample_file, upload

UPLOAD_EVERY = 4
MAX_FILES = 2
ATTEMPTS = 5


class DayFiles:
    def __init__(self, http: httpx.AsyncClient, intake: str, approval: str) -> None:
        self.http, self.intake, self.approval = http, intake, approval
        self.to_download: dict[str, tuple[str, str]] = {}  # case -> (material, sha256)
        self.downloaded = False

    async def upload(self, case: PlannedCase, headers: dict[str, str]) -> dict[str, str]:
        """Up to MAX_FILES of the case's uploads sent as files, in its materials by upload id
        (material code -> sha256). UploadRefused when intake refuses one."""
        if case.external or case.n % UPLOAD_EVERY != 1:
            return {}
        specs = {m["code"]: m for m in case.item.get("materials", [])}
        sent: dict[str, str] = {}
        for i, material in enumerate(case.materials):
            if len(sent) == MAX_FILES:
                break
            if material.get("form") != "upload" or "upload_id" in material:
                continue
            chosen = sample_file(
                specs.get(material["code"], {}).get("file_types") or [], case.n + i
            )
            if chosen is None:
                continue
            file_type, data = chosen
            done = await self._send(case, material["code"], file_type, data, headers)
            case.materials[i] = {
                "code": material["code"],
                "form": "upload",
                "upload_id": done["upload_id"],
            }
            sent[material["code"]] = done["sha256"]
        return sent

    async def _send(
        self, case: PlannedCase, code: str, file_type: str, data: bytes, headers: dict[str, str]
    ) -> dict[str, Any]:
        """The upload, again from a new slot while intake or the store does not answer (the
        chaos run restarts them); a refusal (4xx) is final."""
        for attempt in range(ATTEMPTS):
            try:
                return await upload(
                    self.http,
                    self.intake,
                    headers,
                    item_code=case.item["code"],
                    material_code=code,
                    file_type=file_type,
                    data=data,
                )
            except UploadRefused as exc:
                if exc.status < 500 or attempt == ATTEMPTS - 1:
                    raise
            except httpx.HTTPError:
                if attempt == ATTEMPTS - 1:
                    raise
            await asyncio.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    def submitted(self, case_id: str, sent: dict[str, str]) -> None:
        if sent:
            self.to_download[case_id] = next(iter(sent.items()))

    async def download_one(self, case_id: str, officer: dict[str, str], errors: list[str]) -> bool:
        """Once a day: the officer working on a case with files reads one (True when done)."""
        if self.downloaded or case_id not in self.to_download:
            return False
        code, sha256 = self.to_download[case_id]
        self.downloaded = True  # claimed: the departments' officers work concurrently
        url = f"{self.approval}/v1/cases/{case_id}/materials/{code}/download"
        try:
            resp = await self.http.post(url, headers=officer)
            got = await self.http.get(resp.json()["url"]) if resp.status_code == 200 else None
        except httpx.HTTPError:
            got = resp = None
        if resp is None or resp.status_code >= 500 or (got is not None and got.status_code >= 500):
            self.downloaded = False  # approval or the store restarting: at a later round
            return False
        if got is None:
            errors.append(f"download of {case_id} {code}: {resp.status_code} {resp.text[:200]}")
            return False
        if got.status_code != 200 or hashlib.sha256(got.content).hexdigest() != sha256:
            errors.append(f"download of {case_id} {code}: not the uploaded bytes")
            return False
        return True
