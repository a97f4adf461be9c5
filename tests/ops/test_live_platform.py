"""The platform with a real Prometheus scraping it: every metric the dashboards and alerts use is
on some service's live /metrics, and every dashboard panel returns data through the HTTP API.

Starts the five services as processes on the test stack (tests/support/ops_live.py: own databases,
groups and faust app id, accelerated clock), drives traffic (a case decided and rated, a case
left to go overdue and escalate, then signed in late, 404s, a malformed message).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ops_live, verify_ops

pytestmark = [pytest.mark.integration, pytest.mark.ops]

PANELS_DEADLINE_S = 180.0


@pytest.fixture(scope="module")
def platform(
    kafka_bootstrap: str, mongo_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ops_live.LivePlatform]:
    try:
        prometheus = verify_ops.find_prometheus()
    except verify_ops.ToolMissing as missing:
        pytest.skip(f"cannot install Prometheus here: {missing}")
    work_dir = Path(tmp_path_factory.mktemp("ops-live"))
    stack = {"EGOV_KAFKA_BOOTSTRAP": kafka_bootstrap, "EGOV_MONGO_URI": mongo_uri}
    live = ops_live.start(stack, work_dir, prometheus)
    try:
        ops_live.drive_traffic(live)
        yield live
    finally:
        ops_live.stop(live)


def test_every_metric_used_is_exposed_on_the_live_metrics(
    platform: ops_live.LivePlatform,
) -> None:
    exposed = verify_ops.exposed_metric_names(platform.metrics_urls())
    assert verify_ops.missing_metrics(exposed) == {}


def test_every_dashboard_panel_returns_data_through_prometheus(
    platform: ops_live.LivePlatform,
) -> None:
    deadline = time.monotonic() + PANELS_DEADLINE_S
    empty = verify_ops.empty_panels(platform.prometheus_url)
    while empty and time.monotonic() < deadline:
        time.sleep(2)
        empty = verify_ops.empty_panels(platform.prometheus_url)
    assert empty == [], "\n".join(empty)


def test_prometheus_loaded_the_platform_alert_rules(platform: ops_live.LivePlatform) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{platform.prometheus_url}/api/v1/rules", timeout=10) as r:
        groups = json.loads(r.read())["data"]["groups"]
    loaded = {rule["name"] for g in groups for rule in g["rules"]}
    assert loaded == set(verify_ops.alert_names())
    assert all(rule["health"] == "ok" for g in groups for rule in g["rules"])
