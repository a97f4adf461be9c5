"""Event handlers of the credit service and their routing table (event type -> handler)."""

from __future__ import annotations

from shared.kafka import Handler

# Filled in by the credit issue: one async function per incoming event type.
HANDLERS: dict[str, Handler] = {}
