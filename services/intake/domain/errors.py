"""Refusals the intake rules raise: the shared kinds (shared/errors.py, pure), each answered with
its status, message and field-level errors by the one shared handler
(shared/observability/errors.py ``refused``)."""

from __future__ import annotations

from shared.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unavailable,
)

__all__ = [
    "Conflict",
    "FieldError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "TooManyAttempts",
    "Unavailable",
]
