"""The errors every service shares, defined once: the refusals a request can meet (each with its
HTTP status) and the two conflicts of a write (a stale version, a duplicate key).

Pure (standard library only), so a service's domain may raise them; the HTTP answer to a refusal
is built in shared/observability/errors.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


# One field-level message of a refusal (the ``errors`` of a 422 body). No docstring: it would
# become the description of the FieldError schema in every service's OpenAPI document.
@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    type: str | None = None


class Refusal(Exception):
    """A request the service refuses: answered with ``status_code``, the message as ``detail``
    and, when given, field-level ``errors``."""

    status_code = 400

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        details = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        return f"{self.message}: {details}"


class NotFound(Refusal):
    status_code = 404


class Forbidden(Refusal):
    status_code = 403


class Conflict(Refusal):
    status_code = 409


class Invalid(Refusal):
    status_code = 422


class TooManyAttempts(Refusal):
    """Answered with Retry-After: when the next attempt may be made."""

    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s: int | None = retry_after_s


class Unavailable(Refusal):
    """A store or service the request needs does not answer (with Retry-After when known)."""

    status_code = 503

    def __init__(self, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StaleVersion(Exception):
    """Another change to the same record was saved first (optimistic concurrency): read it
    again and retry, or tell the caller which version is current."""

    def __init__(
        self, what: str, *, expected: int | None = None, current: int | None = None
    ) -> None:
        text = what
        if expected is not None:
            text = f"{what} was changed: version {expected} is stale, current is {current}"
        super().__init__(text)
        self.expected = expected
        self.current = current


class DuplicateKey(Exception):
    """A record with the same unique key (a code, an idempotency key, an origin) exists
    already."""
