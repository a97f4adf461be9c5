"""The messages the bad-input test publishes on purpose, for the end-to-end checker.

Fingerprints (sha256 of the exact bytes) are appended one hex per line to the file named by
EGOV_E2E_MEANT_BAD (set by the `meant_bad_file` fixture of tests/e2e/conftest.py), which the
scenario test reads as `Expectations.meant_bad`. A JSON copy (fingerprint -> topic, kind, key)
goes to $EGOV_E2E_STATE/bad_input.json when that directory is set, else next to the list.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tests.support.bad_input import Message

REGISTRY: dict[str, dict[str, str]] = {}


def _json_path() -> Path:
    state = os.environ.get("EGOV_E2E_STATE")
    if state:
        return Path(state) / "bad_input.json"
    listed = os.environ.get("EGOV_E2E_MEANT_BAD")
    base = Path(listed).parent if listed else Path(tempfile.gettempdir())
    return base / "bad_input.json"


def record(messages: Iterable[Message]) -> Path:
    """Register the bad ones among ``messages`` as meant-to-be-bad; returns the JSON path."""
    new = {
        m.fingerprint: {"topic": m.topic, "kind": m.kind, "key": m.key} for m in messages if m.bad
    }
    REGISTRY.update(new)
    listed = os.environ.get("EGOV_E2E_MEANT_BAD")
    if listed:
        with open(listed, "a") as fh:
            fh.writelines(fp + "\n" for fp in new)
    path = _json_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(REGISTRY, indent=1, sort_keys=True))
    return path
