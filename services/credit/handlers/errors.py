"""Refusals of the credit handlers; services/credit/api.py maps each to its HTTP status."""

from __future__ import annotations


class NotFound(Exception):
    pass


class Forbidden(Exception):
    pass


class InvalidSubject(ValueError):
    pass


class ConcurrencyExhausted(Exception):
    """The subject kept changing under us; the consumer retries the message later."""
