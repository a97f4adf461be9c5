"""Prometheus metrics common to every service. Labels are bounded: never case or subject ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:
    from shared.calendar import WorkingCalendar

EVENTS_CONSUMED = Counter(
    "egov_events_consumed_total",
    "Events taken from the bus, by outcome (handled, duplicate, ignored, dead_lettered)",
    ["service", "event_type", "outcome"],
)
EVENTS_PRODUCED = Counter(
    "egov_events_produced_total", "Events published to the bus", ["service", "event_type"]
)
EVENTS_FAILED = Counter(
    "egov_events_failed_total",
    "Handler attempts that raised (each retry counts)",
    ["service", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "egov_events_dead_lettered_total",
    "Messages sent to the dead-letter topic, by reason",
    ["service", "topic", "reason"],
)
HANDLER_LATENCY = Histogram(
    "egov_handler_latency_seconds",
    "Time a handler took for one event",
    ["service", "event_type"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CONSUMER_LAG = Gauge(
    "egov_consumer_lag_messages",
    "Messages between the consumer's position and the partition's high watermark",
    ["service", "topic", "partition"],
)
OUTBOX_PENDING = Gauge(
    "egov_outbox_pending", "Outbox events written but not yet published", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "egov_outbox_published_total", "Outbox events published by the relay", ["service"]
)
HTTP_REQUESTS = Counter(
    "egov_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "egov_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SERVICE_INFO = Gauge("egov_service_up", "1 while the service process runs", ["service", "version"])
CALENDAR_VERSION = Gauge(
    "egov_calendar_version_info",
    "1 for the holiday-calendar version a service runs (swapped when a year is published)",
    ["service", "version"],
)


CALENDAR_REJECTED = Counter(
    "egov_calendar_rejected_total",
    "Messages on egov.calendar that are not a valid schedule (skipped, never applied)",
    ["service"],
)
_calendar_version: dict[str, str] = {}


def calendar_in_force(service: str, calendar: WorkingCalendar) -> None:
    """Export which calendar version runs; one series per service (the old version removed)."""
    previous = _calendar_version.get(service)
    if previous is not None and previous != calendar.version:
        CALENDAR_VERSION.remove(service, previous)
    _calendar_version[service] = calendar.version
    CALENDAR_VERSION.labels(service, calendar.version).set(1)


def serve_metrics(host: str, port: int | None) -> bool:
    """Serve /metrics on a port of its own (prometheus_client's server, in a thread), apart from
    the public HTTP port; nothing when no port is set. Every bootstrap's server start calls it."""
    if port is None:
        return False
    start_http_server(port, addr=host)
    return True
