"""Fixtures of the operations checks: the real tools, installed on first use."""

from __future__ import annotations

import pytest

from tests.support import verify_ops


@pytest.fixture(scope="session")
def tools() -> verify_ops.Tools:
    try:
        return verify_ops.ensure_tools()
    except verify_ops.ToolMissing as missing:
        pytest.skip(f"operations tool cannot be installed here: {missing}")


@pytest.fixture(scope="session")
def rendered(tools: verify_ops.Tools) -> dict[str, str]:
    """overlay name -> `kubectl kustomize` output."""
    return {o: verify_ops.render_overlay(tools.kubectl, o) for o in verify_ops.OVERLAYS}
