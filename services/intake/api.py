"""HTTP API of the intake service (thin: validates input, calls handlers)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["intake"])
