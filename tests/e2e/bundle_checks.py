"""What the e2e day's bundle applicants (demo/bundles.py) must have seen on the whole platform:
each bundle finished and rated once as one thing (one case.rated under the bundle id, none
under its items' cases), and notify speaking of the bundle (received once, finished once)."""

from __future__ import annotations

from collections import Counter

from demo.bundles import BundleApplicants
from demo.bus import BusRecord


def check_bundles(bundles: BundleApplicants, records: list[BusRecord]) -> None:
    applied = [b for b in bundles.planned if b.bundle_id]
    assert applied and len(applied) == len(bundles.planned), "every bundle was accepted"
    assert all(b.finished and b.rated for b in applied), [(b.bundle_id, b.status) for b in applied]
    events = [r.envelope for r in records if r.envelope is not None]
    rated = Counter(e.data["case_id"] for e in events if e.type == "gov.egov.case.rated.v1")
    for b in applied:
        assert rated[b.bundle_id] == 1, f"bundle {b.bundle_id} rated {rated[b.bundle_id]} times"
        assert not any(rated[c] for c in b.case_ids), f"an item of {b.bundle_id} was rated alone"
    told = Counter(
        (e.data["template"], e.data["channel"])
        for e in events
        if e.type == "gov.egov.notification.delivered.v1"
        and e.data["case_id"] in bundles.case_ids
        and e.data["recipient_kind"] == "applicant"
    )
    assert told[("bundle_received", "inbox")] == len(applied), told
    assert told[("bundle_finished", "inbox")] == len(applied), told
    assert told[("case_received", "inbox")] == 0, "a bundle's item told as a lone case"
