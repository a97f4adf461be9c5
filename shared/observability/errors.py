"""One way to turn a service's refusals into HTTP answers.

Every service's ``api.py`` lists which of its exceptions answer with which status
(:func:`map_errors`); the body is always ``{"detail": ...}``, with field-level ``errors`` on a
422 (the shape :func:`shared.observability.http.create_app` gives validation errors) and
extra keys where a refusal carries more (the earliest date of a repair, a missing year).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

# The refusal kinds are pure (a domain raises them): defined in shared/errors.py, answered here.
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

# An exception -> the answer; a plain status answers with {"detail": str(exc)}.
ErrorAnswer = Callable[[Exception], JSONResponse]


class InvalidRequest(BaseModel):
    """The 422 body every service returns: field-level messages."""

    detail: str
    errors: list[FieldError] = []


class ErrorBody(BaseModel):
    """The body of every other refusal."""

    detail: str


def error_response(
    status_code: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}) or None)


def invalid_field(field: str, message: str) -> JSONResponse:
    """A 422 naming one field, as a validation error of the request would."""
    return error_response(422, "invalid request", errors=[{"field": field, "message": message}])


def map_errors(app: FastAPI, table: Mapping[type[Exception], int | ErrorAnswer]) -> None:
    """Answer each exception type of ``table`` with its status (body: the exception's text) or
    with what its function builds."""
    for exc_type, answer in table.items():
        app.add_exception_handler(exc_type, _handler(answer))


def refused(exc: Exception) -> JSONResponse:
    """A refusal's answer: its status and message, its field-level errors, Retry-After when
    it says when to try again, and the scheme to authenticate with on a 401."""
    assert isinstance(exc, Refusal)
    headers = None
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    elif exc.status_code == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    errors = [_field_error(e) for e in exc.errors] or None
    return error_response(exc.status_code, exc.message, headers=headers, errors=errors)


def _field_error(error: FieldError) -> dict[str, str]:
    body = {"field": error.field, "message": error.message}
    if error.type is not None:
        body["type"] = error.type
    return body


def _handler(answer: int | ErrorAnswer) -> Callable[[Request, Exception], Any]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(answer, int):
            return error_response(answer, str(exc))
        return answer(exc)

    return handle


__all__ = [
    "Conflict",
    "ErrorAnswer",
    "ErrorBody",
    "FieldError",
    "Forbidden",
    "Invalid",
    "InvalidRequest",
    "NotFound",
    "Refusal",
    "TooManyAttempts",
    "Unavailable",
    "error_response",
    "invalid_field",
    "map_errors",
    "refused",
]
