"""What the rules record of each action, before the handlers link it into the case's audit
chain (shared/audit: keyed, with the key outside the domain and the database)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditRecord(BaseModel):
    """One action as the rules describe it, before it is chained."""

    model_config = ConfigDict(frozen=True)

    action: str
    actor: str
    stage_id: str | None = None
    detail: dict[str, Any] = {}
