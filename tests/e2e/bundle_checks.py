"""What the e2e day's bundle applicants (demo/bundles.py) must have seen on the whole platform:
each bundle finished and rated once as one thing (one case.rated under the bundle id, none
under its items' cases), and notify speaking of the bundle (received once, each item's decision
as its progress, finished once).

The bus delivers at least once: a relay that published and had not yet marked it sent publishes
an event again, under the same id (the invariant check's first rule holds every copy of an id to
one meaning). So events are counted by id, never by copy."""

from __future__ import annotations

from collections import Counter

from demo.bundles import BundleApplicants, PlannedBundle
from demo.bus import BusRecord
from shared.contracts import Envelope


def _events(records: list[BusRecord]) -> list[Envelope]:
    """Each event once, whatever the number of its copies on the bus."""
    by_id = {r.envelope.id: r.envelope for r in records if r.envelope is not None}
    return list(by_id.values())


def _told(b: PlannedBundle, events: list[Envelope]) -> Counter[tuple[str, str]]:
    """What notify told the bundle's applicant, of the bundle or of its items' cases."""
    ids = {b.bundle_id, *b.case_ids}
    return Counter(
        (e.data["template"], e.data["channel"])
        for e in events
        if e.type == "gov.egov.notification.delivered.v1"
        and e.data["case_id"] in ids
        and e.data["recipient_kind"] == "applicant"
    )


def check_bundles(bundles: BundleApplicants, records: list[BusRecord]) -> None:
    applied = [b for b in bundles.planned if b.bundle_id]
    assert applied and len(applied) == len(bundles.planned), "every bundle was accepted"
    assert all(b.finished and b.rated for b in applied), [(b.bundle_id, b.status) for b in applied]
    events = _events(records)
    rated = Counter(e.data["case_id"] for e in events if e.type == "gov.egov.case.rated.v1")
    for b in applied:
        assert rated[b.bundle_id] == 1, f"bundle {b.bundle_id} rated {rated[b.bundle_id]} times"
        assert not any(rated[c] for c in b.case_ids), f"an item of {b.bundle_id} was rated alone"
        told = _told(b, events)
        assert told[("bundle_received", "inbox")] == 1, (b.bundle_id, told)
        assert told[("bundle_finished", "inbox")] == 1, (b.bundle_id, told)
        assert told[("case_received", "inbox")] == 0, f"an item of {b.bundle_id} told alone"
        if b.status == "completed":  # every item decided: each decision told as progress
            progress = told[("bundle_progress", "inbox")]
            assert progress == len(b.case_ids), (b.bundle_id, told)


def bundles_told_finished(bundles: BundleApplicants, records: list[BusRecord]) -> bool:
    """Whether every applied bundle's applicant has been told it finished (in the inbox)."""
    told = {
        e.data["case_id"]
        for e in (r.envelope for r in records)
        if e is not None
        and e.type == "gov.egov.notification.delivered.v1"
        and e.data["template"] == "bundle_finished"
        and e.data["channel"] == "inbox"
    }
    return all(b.bundle_id in told for b in bundles.planned if b.bundle_id)
