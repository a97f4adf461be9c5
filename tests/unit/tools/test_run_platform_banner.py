"""`make run`'s table of URLs names each port by what it speaks."""

from __future__ import annotations

from dev import run_platform


def test_the_banner_calls_the_smtp_port_smtp_and_the_http_ones_http() -> None:
    urls = {spec.name: spec.url for spec in run_platform.PROCESSES}
    assert urls["smtp"] == "smtp://127.0.0.1:8025"
    assert urls["sms"] == "http://127.0.0.1:8026"
    assert urls["intake"] == "http://127.0.0.1:8001"
