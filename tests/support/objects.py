"""A real s3rver for integration tests, started the way the local stack starts its object
store (dev/devstack.py objects_launch), on a free port, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dev import devstack


@contextmanager
def running_s3rver(state_dir: Path) -> Iterator[str]:
    """The endpoint URL of an s3rver with the materials bucket, for as long as the block runs."""
    port = devstack.free_port()
    spec = devstack.objects_launch(state_dir, port)
    pid = devstack.launch(spec, state_dir)
    try:
        devstack.wait_ready(spec, pid, state_dir)
        yield f"http://127.0.0.1:{port}"
    finally:
        devstack.stop_processes(state_dir, [spec.name], log=lambda _: None)
