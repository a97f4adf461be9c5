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
    Refusal,
    TooManyAttempts,
    Unavailable,
)

IntakeError = Refusal  # any refusal of the intake rules

__all__ = [
    "Conflict",
    "FieldError",
    "Forbidden",
    "IntakeError",
    "Invalid",
    "NotFound",
    "TooManyAttempts",
    "Unavailable",
]
