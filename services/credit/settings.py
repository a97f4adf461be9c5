"""Settings of the credit service (environment prefix EGOV_)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class CreditSettings(ServiceSettings):
    service_name: str = "credit"
    http_port: int = 8005
