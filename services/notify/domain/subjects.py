"""What notify learns about an applicant as a subject (a person or company told of credit
changes and other news not about one case), and where such news may go.

A case's own notices go to the contact given with that case. A subject's go only to a contact
the identity provider verified as the subject's own (``phone_verified``, ``email_verified`` in
CaseSubmitted): a submission made in someone's name with another phone cannot reroute their
credit notices, and a later unverified contact never replaces a verified one.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


def subject_update(case: Doc) -> Doc:
    """The fields a case registration sets on its applicant's subject document."""
    update: Doc = {
        "name": case["applicant_name"],
        "kind": case["applicant_kind"],
        "locale": case.get("locale") or "zh-CN",
        "updated_at": case["submitted_at"],
    }
    if case.get("phone") and case.get("phone_verified"):
        update["verified_phone"] = case["phone"]
    if case.get("email") and case.get("email_verified"):
        update["verified_email"] = case["email"]
    return update


def subject_contact(subject_id: str, subject: Doc | None) -> Doc | None:
    """The subject as a case-shaped contact for its notices, or None when no verified contact
    is known (then the subject is not told: no guessed address)."""
    if subject is None or not (subject.get("verified_phone") or subject.get("verified_email")):
        return None
    return {
        "applicant_id": subject_id,
        "applicant_name": subject["name"],
        "locale": subject.get("locale"),
        "phone": subject.get("verified_phone"),
        "email": subject.get("verified_email"),
    }
