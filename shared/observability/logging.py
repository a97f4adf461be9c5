"""JSON logs with correlation ids; resident ID numbers and phone numbers are masked."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from asgi_correlation_id import correlation_id

from shared.identifiers import mask_text

# One context variable for the correlation id: asgi-correlation-id's, which its middleware sets
# for every HTTP request (shared/observability/http.py); the consumers set it from each event's
# `correlationid` (shared/kafka/consumer.py), and make_envelope reads it for the events a request
# or an event causes.
__all__ = ["JsonFormatter", "MaskingFormatter", "configure_logging", "correlation_id"]

_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": mask_text(record.getMessage()),
        }
        cid = correlation_id.get()
        if cid:
            doc["correlation_id"] = cid
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                doc[key] = mask_text(value) if isinstance(value, str) else value
        if record.exc_info:
            doc["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(doc, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def configure_logging(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka", "pymongo", "faust", "mode", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
