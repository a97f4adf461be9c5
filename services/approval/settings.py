"""Settings of the approval service (environment prefix EGOV_)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class ApprovalSettings(ServiceSettings):
    service_name: str = "approval"
    http_port: int = 8002
