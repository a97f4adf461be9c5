"""Prometheus metrics common to every service. Labels are bounded: never case or subject ids."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
