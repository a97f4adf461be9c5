"""Refusals the intake rules raise; the API maps each to its HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class IntakeError(Exception):
    status_code = 422

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        details = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        return f"{self.message}: {details}"


class Invalid(IntakeError):
    status_code = 422


class NotFound(IntakeError):
    status_code = 404


class Conflict(IntakeError):
    status_code = 409


class Forbidden(IntakeError):
    status_code = 403


class TooManyAttempts(IntakeError):
    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(IntakeError):
    """A store the request needs does not answer (the object store for uploads)."""

    status_code = 503

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
