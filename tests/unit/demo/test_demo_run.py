"""`make demo` runs `demo.run`, which starts the day with a command that must exist: the demo is
its own package (`python -m demo`), not an `egov` command (it was, before the layout of issue
16, and `make demo` kept calling `egov demo` after it moved)."""

from __future__ import annotations

import subprocess

from demo.run import REPO, demo_command


def test_the_command_make_demo_runs_exists_and_takes_its_options() -> None:
    command = demo_command(cases=3, seed=11)
    assert command[-4:] == ["--cases", "3", "--seed", "11"]
    done = subprocess.run(  # noqa: S603
        [*command, "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--cases" in done.stdout and "--seed" in done.stdout
