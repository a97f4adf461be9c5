"""Metric label values that come from publishers, bounded by the contracts registry.

A label value is a time series for as long as the process lives: a publisher that invents event
types or system names (by mistake or on purpose) must not grow a service's memory and its
Prometheus storage without bound. Values outside the registry's known set are counted as
``other``; the dead letter itself keeps the exact value for the operator (``dlq.event_type``).
"""

from __future__ import annotations

from shared.contracts.access import SERVICES, principal
from shared.contracts.publishers import PUBLISHERS
from shared.contracts.registry import EVENT_TYPES

OTHER = "other"
NO_TYPE = "unknown"  # the message could not be read far enough to have a type

# Registered outside publishers by id, and the platform's services by principal (egov-monitor).
KNOWN_SOURCE_SYSTEMS = frozenset({*PUBLISHERS, *(principal(s) for s in SERVICES)})


def event_type_label(event_type: object) -> str:
    """A registered event type as itself; ``unknown`` for none, ``other`` for anything else."""
    if event_type is None:
        return NO_TYPE
    return event_type if isinstance(event_type, str) and event_type in EVENT_TYPES else OTHER


def source_system_label(system: str) -> str:
    """A registered publisher or platform service as itself, anything else ``other``."""
    return system if system in KNOWN_SOURCE_SYSTEMS else OTHER
