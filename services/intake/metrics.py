"""Intake's own Prometheus metrics (bounded labels only: never case or subject ids)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SUBMISSIONS = Counter(
    "egov_intake_submissions_total",
    "Case submissions by item, channel and outcome (accepted, replayed, duplicate, invalid, "
    "unknown_item, closed, credit_refused)",
    ["item_code", "channel", "outcome"],
)
BUNDLES = Counter(
    "egov_intake_bundles_total",
    "Bundle (一件事) applications and their steps by bundle and outcome (accepted, replayed, "
    "invalid, released, cancelled, completed, not_completed)",
    ["bundle_code", "outcome"],
)
IDEMPOTENT_REPLAYS = Counter(
    "egov_intake_idempotent_replays_total",
    "Submissions answered from an earlier request with the same Idempotency-Key",
    ["channel"],
)
CREDIT_CHECKS = Counter(
    "egov_intake_credit_checks_total",
    "Credit eligibility checks by outcome (answered, skipped_unavailable, last_known, not_needed)",
    ["outcome"],
)
RATINGS = Counter(
    "egov_intake_ratings_total", "Ratings (好差评) by department and level", ["department", "level"]
)
RECTIFICATIONS = Counter(
    "egov_intake_rectifications_total",
    "Rectifications opened and closed, by department",
    ["department", "transition"],
)
RATING_INVITATIONS = Counter(
    "egov_intake_rating_invitations_total", "Rating invitations sent to unrated decided cases"
)
CODE_ATTEMPTS = Counter(
    "egov_intake_code_attempts_total",
    "Verification-code attempts on a case number by outcome (accepted, wrong, paused)",
    ["outcome"],
)
UPLOADS = Counter(
    "egov_intake_uploads_total",
    "Uploads by outcome (slot, verified, rejected, unavailable, expired) and file type",
    ["outcome", "file_type"],
)
UPLOADED_BYTES = Counter(
    "egov_intake_uploaded_bytes_total", "Bytes of uploads intake read and verified"
)
LICENCE_DOCUMENTS_OWED = Gauge(
    "egov_intake_licence_documents_owed",
    "Issued e-licences whose PDF is not stored yet (the object store did not answer), as the last "
    "sweep found them",
)
LICENCE_DOCUMENT_OWED_AGE = Gauge(
    "egov_intake_licence_document_owed_oldest_seconds",
    "Seconds since the longest-owed e-licence PDF's licence was issued (0: none owed)",
)
