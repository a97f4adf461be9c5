"""The monitor creates its tables' changelog topics before its worker joins the group
(services/monitor/faust_app.prepare_changelogs), named and shaped exactly as faust expects them:
a topic faust would not recognise (another name, another partition count) would not help."""

from __future__ import annotations

from datetime import UTC, datetime

from services.monitor.faust_app import changelog_specs
from services.monitor.settings import MonitorSettings
from services.monitor.stream import MonitorStream
from shared.clock import FixedClock


def test_the_changelog_topics_are_the_tables_own_compacted_with_their_partitions() -> None:
    stream = MonitorStream(MonitorSettings(), FixedClock(datetime(2026, 3, 2, tzinfo=UTC)))
    specs = changelog_specs([stream.cases, stream.stats])
    assert [s.name for s in specs] == [
        "egov-monitor-monitor-cases-changelog",
        "egov-monitor-monitor-stats-changelog",
    ]
    assert [s.name for s in specs] == [
        t.changelog_topic.get_topic_name() for t in (stream.cases, stream.stats)
    ]
    assert {s.partitions for s in specs} == {6}
    assert all(s.topic_config()["cleanup.policy"] == "compact" for s in specs)
    assert all(s.topic_config()["retention.ms"] == "-1" for s in specs)
