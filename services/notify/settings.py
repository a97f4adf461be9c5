"""Settings of the notify service (environment prefix EGOV_)."""

from __future__ import annotations

from shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8004
