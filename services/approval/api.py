"""HTTP API of the approval service (thin: validates input, calls handlers)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["approval"])
