"""Who may put in a submission, and in whose name (docs/security.md "Applicants").

- The applicant's own real-name token, on any channel, at the deployment's assurance level
  (``EGOV_APPLICANT_MIN_ASSURANCE``, real-person by default): the body's applicant must be the
  identity the provider verified, name included.
- A registered agent of the applicant (a company's authorised person, or anyone a person
  authorised through ``/v1/agents``), with their own real-name token at the same level.
- A window officer (帮办代办), on the window and bank-branch channels, for the region they work
  in: the officer checked the ID in person and is recorded as the one who submitted.
- A hall terminal (kiosk, bank-branch machine: ID-card reader and face match), on its channels.
- Another system with a service token, recorded as such.

Contact details are verified only when the provider verified them for the applicant's own
token; a registered outside system may vouch for the ones it sends. Notify tells a subject of
credit changes only at verified contacts.
"""

from __future__ import annotations

from services.intake.domain.errors import FieldError, Forbidden, Invalid
from shared.contracts.common import Applicant, Channel, Contact, SubmittedBy, SubmitterKind
from shared.errors import Refusal
from shared.identity import Principal
from shared.roles import Assurance, Role

ASSISTED_CHANNELS = frozenset({Channel.WINDOW, Channel.BANK_BRANCH})
TERMINAL_CHANNELS = frozenset({Channel.KIOSK, Channel.BANK_BRANCH})
AUTH_FIELD = "Authorization"


class Unauthenticated(Refusal):
    status_code = 401


def needs_agent_check(principal: Principal | None, applicant: Applicant) -> bool:
    """Whether the submitter might be a registered agent (the handler then looks the grant up)."""
    if principal is None or principal.real_name is None:
        return False
    return principal.real_name.id_number != applicant.id_number


def submitter(
    principal: Principal | None,
    *,
    applicant: Applicant,
    channel: Channel,
    receiving_region: str,
    agent_granted: bool,
    min_assurance: Assurance,
) -> SubmittedBy:
    """Who submits, or the refusal naming what is missing."""
    if principal is None:
        raise Unauthenticated(
            "sign in: a submission needs the applicant's real-name token, a registered agent's, "
            "a window officer's or a hall terminal's",
            [FieldError(AUTH_FIELD, "missing bearer token")],
        )
    real = principal.real_name
    if real is not None and (real.id_number == applicant.id_number or agent_granted):
        check_assurance(real.assurance, min_assurance)
        if real.id_number != applicant.id_number:
            return _as(SubmitterKind.AGENT, principal)
        _check_same_person(real.name, real.kind.value, applicant)
        return _as(SubmitterKind.APPLICANT, principal)
    if principal.has_any(Role.HANDLER) and channel in ASSISTED_CHANNELS:
        _check_region(principal, receiving_region)
        return _as(SubmitterKind.OFFICER, principal, department=principal.department)
    if principal.has_any(Role.TERMINAL) and channel in TERMINAL_CHANNELS:
        _check_region(principal, receiving_region)
        return _as(SubmitterKind.TERMINAL, principal)
    if principal.has_any(Role.SYSTEM):
        return _as(SubmitterKind.SYSTEM, principal)
    raise Forbidden(
        f"this token may not submit for {applicant.kind.value} applicant on channel "
        f"{channel.value}: it is neither the applicant's real-name token, nor a registered "
        "agent's, nor a window officer's or terminal's on their channel",
        [FieldError("applicant.id_number", "not the token's identity nor one it may act for")],
    )


def _as(kind: SubmitterKind, p: Principal, *, department: str | None = None) -> SubmittedBy:
    assurance = p.real_name.assurance if p.real_name is not None else Assurance.NONE
    return SubmittedBy(
        kind=kind, subject=p.subject, assurance=int(assurance), department=department
    )


def check_assurance(have: Assurance, need: Assurance) -> None:
    if have < need:
        raise Forbidden(
            f"this service needs identity assurance {need.name.lower()}; the token has "
            f"{have.name.lower()}: sign in again with face verification (实人认证)",
            [FieldError(AUTH_FIELD, f"assurance {have.name.lower()} < {need.name.lower()}")],
        )


def _check_same_person(name: str, kind: str, applicant: Applicant) -> None:
    errors = []
    if kind != applicant.kind.value:
        errors.append(FieldError("applicant.kind", f"the verified identity is a {kind}"))
    if name and name.strip() != applicant.name.strip():
        errors.append(FieldError("applicant.name", "not the name the identity provider verified"))
    if errors:
        raise Invalid("the applicant is not the signed-in identity", errors)


def _check_region(principal: Principal, receiving_region: str) -> None:
    if principal.region is not None and principal.region != receiving_region:
        raise Forbidden(
            f"a hall of region {principal.region} receives for that region only",
            [FieldError("receiving_region", f"not the submitter's region {principal.region}")],
        )


def verified_contact(contact: Contact, principal: Principal | None, by: SubmittedBy) -> Contact:
    """The contact with what is verified marked: the applicant's own token vouches for the phone
    and email its provider verified; a registered system for what it sends; nobody else."""
    if by.kind is SubmitterKind.SYSTEM:
        return contact
    phone = email = False
    if by.kind is SubmitterKind.APPLICANT and principal is not None:
        phone = contact.phone is not None and contact.phone == principal.verified_phone
        email = contact.email is not None and contact.email.lower() == principal.verified_email
    return contact.model_copy(update={"phone_verified": phone, "email_verified": email})
