"""Event handlers of the intake service and their routing table (event type -> handler)."""

from __future__ import annotations

from shared.kafka import Handler

# Filled in by the intake issue: one async function per incoming event type.
HANDLERS: dict[str, Handler] = {}
