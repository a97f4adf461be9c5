"""FastAPI app factory: /healthz, /readyz, /metrics, request metrics, body-size limit and
field-level error bodies. Every service builds its app through :func:`create_app`."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypedDict

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.calendar import CalendarCoverageError
from shared.observability.errors import InvalidRequest, Refusal, map_errors, refused
from shared.observability.logging import correlation_id
from shared.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def acceptable_correlation_id(value: str) -> bool:
    """Another system's id is kept when it is a plain token; anything else (spaces, control
    characters, over 128 characters) is replaced by a new one, so logs cannot be forged."""
    return _CORRELATION_ID.fullmatch(value) is not None


ReadinessCheck = Callable[[], Awaitable[Any]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413 before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(send, self.max_bytes)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = JSONResponse({"detail": f"request body larger than {limit} bytes"}, status_code=413).body
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def validation_error_body(exc: RequestValidationError) -> dict[str, Any]:
    errors = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            errors.append(_json_error(err, exc.body))
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        errors.append(
            {
                "field": ".".join(loc) or "body",
                "message": err.get("msg", ""),
                "type": err.get("type"),
            }
        )
    return {"detail": "invalid request", "errors": errors}


def _json_error(err: Any, document: Any) -> dict[str, Any]:
    """A body that is no JSON: the field is ``body`` and the message says where it breaks.
    FastAPI reports the character position as the last part of ``loc`` (``("body", 5)``), which
    would otherwise read as a field named ``5``."""
    loc = err.get("loc", ())
    position = loc[-1] if loc and isinstance(loc[-1], int) else None
    reason = (err.get("ctx") or {}).get("error") or "not valid JSON"
    where = ""
    if position is not None:
        where = f" at character {position}"
        if isinstance(document, str | bytes):
            text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
            where = f" at line {line} column {column} (character {position})"
    return {
        "field": "body",
        "message": f"the body is not valid JSON: {reason}{where}",
        "type": "json_invalid",
    }


def _document_422(app: FastAPI) -> None:
    """Make the OpenAPI document describe the 422 body this app really sends (FastAPI's
    default schema describes its own, which schema checkers would rightly flag)."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = default_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["HTTPValidationError"] = InvalidRequest.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        defs = components["HTTPValidationError"].pop("$defs", {})
        components.update(defs)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class PublicSurface(TypedDict):
    metrics_route: bool
    api_docs: bool


def public_surface(settings: ServiceSettings) -> PublicSurface:
    """What the public HTTP port shows besides the API: /metrics unless a metrics port of its
    own is set (shared/observability/metrics.py, serve_metrics), the interactive API docs
    (/docs, /redoc, /openapi.json) except in production (docs/contracts has the API)."""
    return {
        "metrics_route": settings.metrics_port is None,
        "api_docs": settings.environment != "prod",
    }


def create_app(
    *,
    service: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    readiness: dict[str, ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
    max_body_bytes: int = 1_048_576,
    description: str = "",
    metrics_route: bool = True,
    api_docs: bool = True,
) -> FastAPI:
    docs: dict[str, Any] = {} if api_docs else {"docs_url": None, "redoc_url": None}
    if not api_docs:
        docs["openapi_url"] = None
    app = FastAPI(
        title=f"egov {service}",
        version=version,
        lifespan=lifespan,
        description=description,
        **docs,
    )
    _handle_errors(app)
    _measure_requests(app, service)
    _ops_routes(app, service, readiness or {}, metrics_route=metrics_route)
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    # Outermost, so every answer (a 413, a 422, a 500) carries the id its log lines carry.
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=CORRELATION_HEADER,
        validator=acceptable_correlation_id,
    )
    _document_422(app)
    return app


def _handle_errors(app: FastAPI) -> None:
    """The error answers every service shares: a bad request 422 with field-level messages, a
    refusal its status (shared/observability/errors.py), an uncovered year 503, a bug a clean 500
    carrying the correlation id."""

    @app.exception_handler(RequestValidationError)
    async def _on_validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_error_body(exc), status_code=422)

    map_errors(app, {Refusal: refused})

    @app.exception_handler(CalendarCoverageError)
    async def _on_calendar_gap(_: Request, exc: CalendarCoverageError) -> JSONResponse:
        # A deadline falls in a year whose official holiday schedule is not loaded: no deadline
        # may be guessed (DOMAIN.md), so the request cannot be served until the operator loads it
        # (docs/operations.md, "Load next year's holiday calendar").
        return JSONResponse({"detail": str(exc), "missing_year": exc.year}, status_code=503)

    @app.exception_handler(Exception)
    async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not the caller's fault: log it with the correlation id; still a clean JSON body.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        cid = correlation_id.get()
        return JSONResponse(
            {"detail": "internal error", "correlation_id": cid},
            500,
            headers={CORRELATION_HEADER: cid} if cid else None,
        )


def _measure_requests(app: FastAPI, service: str) -> None:
    """Request counts and latencies by route template (not the raw path: bounded series)."""

    @app.middleware("http")
    async def _metrics(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response: Response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            if path not in ("/metrics", "/healthz", "/readyz"):
                HTTP_REQUESTS.labels(service, request.method, path, str(status)).inc()
                HTTP_LATENCY.labels(service, request.method, path).observe(
                    time.perf_counter() - started
                )


def _ops_routes(
    app: FastAPI, service: str, checks: dict[str, ReadinessCheck], *, metrics_route: bool
) -> None:
    """/healthz (alive), /readyz (broker and database reachable), /metrics unless served apart."""

    @app.get("/healthz", tags=["ops"], summary="process alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["ops"], summary="broker and database reachable")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        ok = True
        for name, check in checks.items():
            try:
                answer = await check()
                results[name] = answer if isinstance(answer, str) else "ok"
            except Exception as exc:  # noqa: BLE001 - readiness reports any failure
                # The port is public: exception text names hosts, ports, users and versions.
                # The reason goes to the log (with the correlation id), the caller sees a word.
                ok = False
                results[name] = "unavailable"
                log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": results},
            status_code=200 if ok else 503,
        )

    if metrics_route:

        @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
