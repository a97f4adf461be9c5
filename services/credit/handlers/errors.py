"""Refusals of the credit handlers: not found and forbidden answer as in every service
(shared/observability/errors.py); services/credit/api.py maps the others."""

from __future__ import annotations

from shared.observability.errors import Forbidden, NotFound


class InvalidSubject(ValueError):
    pass


class ConcurrencyExhausted(Exception):
    """The subject kept changing under us; the consumer retries the message later."""


__all__ = ["ConcurrencyExhausted", "Forbidden", "InvalidSubject", "NotFound"]
