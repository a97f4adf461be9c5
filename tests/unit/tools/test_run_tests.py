"""The test runner's skip policy: with CI=true an unexplained skip fails the run."""

from __future__ import annotations

from pathlib import Path

from tests.support.run_tests import Counts, unexpected_skips

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3" skipped="2" failures="0" errors="0">
<testcase classname="tests.ops.test_ops" name="test_promtool"><skipped message="no promtool"/></testcase>
<testcase classname="tests.ops.test_ops" name="test_kubectl"><skipped message="no kubectl"/></testcase>
<testcase classname="tests.ops.test_ops" name="test_fine"/>
</testsuite></testsuites>"""


def test_skips_are_collected_and_only_explained_ones_are_allowed(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    counts = Counts()
    counts.add_junit(junit)
    assert (counts.passed, counts.skipped) == (1, 2)
    assert [t for t, _ in counts.skips] == [
        "tests.ops.test_ops::test_promtool",
        "tests.ops.test_ops::test_kubectl",
    ]
    allowed = {"tests.ops.test_ops::test_kubectl": "kubectl comes from Debian, optional here"}
    assert unexpected_skips(counts.skips, allowed) == [
        "tests.ops.test_ops::test_promtool: no promtool"
    ]
