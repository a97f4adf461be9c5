"""HTTP adapter for the credit service's eligibility answer (GET /v1/subjects/{id}/credit)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import quote

import httpx

from services.intake.ports import CreditStatus, CreditUnavailable
from services.intake.settings import IntakeSettings
from shared.service_tokens import ServiceTokens


class HttpCreditClient:
    def __init__(
        self, settings: IntakeSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.settings = settings
        self.timeout = settings.credit_timeout_s
        self._client = httpx.AsyncClient(
            base_url=settings.credit_url.rstrip("/"), timeout=self.timeout, transport=transport
        )
        self._tokens = ServiceTokens(settings)

    async def status(self, subject_id: str) -> CreditStatus:
        try:
            response = await asyncio.wait_for(
                self._client.get(
                    f"/v1/subjects/{quote(subject_id, safe='')}/credit",
                    headers={"Authorization": f"Bearer {self._tokens.bearer('credit')}"},
                ),
                self.timeout,
            )
        except (httpx.HTTPError, TimeoutError) as exc:
            raise CreditUnavailable(
                f"no answer within {self.timeout}s: {type(exc).__name__}"
            ) from exc
        if response.status_code == 404:
            return CreditStatus(level=None, red_list=False, black_list=False)  # no record
        if response.status_code != 200:
            raise CreditUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
            level = body.get("level")
            as_of = body.get("as_of")
            return CreditStatus(
                level=None if level is None else str(level),
                red_list=bool(body.get("red_list", False)),
                black_list=bool(body["black_list"]),
                as_of=datetime.fromisoformat(as_of) if isinstance(as_of, str) else None,
            )
        except (ValueError, KeyError, AttributeError) as exc:
            raise CreditUnavailable(f"unexpected answer: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()
