"""What the public HTTP port shows besides the API: /metrics only without a metrics port of its
own, the interactive API docs never in production."""

from __future__ import annotations

import socket
import urllib.request

import httpx
import pytest

from shared.observability.http import create_app, public_surface
from shared.observability.metrics import serve_metrics
from shared.settings import ServiceSettings


async def get(app: object, path: str) -> int:
    transport = httpx.ASGITransport(app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        return (await client.get(path)).status_code


@pytest.mark.parametrize(
    ("settings", "metrics", "docs"),
    [
        (ServiceSettings(), 200, 200),
        (ServiceSettings(metrics_port=9090), 404, 200),
        (ServiceSettings.model_construct(environment="prod", metrics_port=9090), 404, 404),
    ],
)
async def test_the_public_port_shows_metrics_and_docs_only_where_they_belong(
    settings: ServiceSettings, metrics: int, docs: int
) -> None:
    app = create_app(service="t", **public_surface(settings))
    assert await get(app, "/metrics") == metrics
    for path in ("/docs", "/openapi.json", "/redoc"):
        assert await get(app, path) == docs, path
    assert await get(app, "/healthz") == 200


def test_metrics_are_served_on_their_own_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    assert serve_metrics("127.0.0.1", None) is False
    assert serve_metrics("127.0.0.1", port) is True
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        assert b"egov_http_requests_total" in answer.read()
