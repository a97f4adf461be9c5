"""The real-name claims of an applicant's token (shared/identity.py): what checks out is kept,
what does not is dropped, never trusted half-way."""

from __future__ import annotations

from datetime import date

import pytest

from shared.auth import TokenVerifier
from shared.contracts import ApplicantKind
from shared.identifiers import make_resident_id, make_uscc
from shared.identity import real_name_from_claims, verified_email, verified_phone
from shared.roles import Assurance
from shared.settings import ServiceSettings
from tests.support.tokens import applicant_token

PERSON = make_resident_id("500103", date(1990, 5, 17), 12)


@pytest.mark.parametrize(
    ("acr", "level"),
    [
        ("real_person", Assurance.REAL_PERSON),
        ("REAL_NAME", Assurance.REAL_NAME),
        ("1", Assurance.BASIC),
        (3, Assurance.REAL_PERSON),
        (7, Assurance.NONE),
        (True, Assurance.NONE),
        ("loa-high", Assurance.NONE),
        (None, Assurance.NONE),
    ],
)
def test_assurance_from_acr(acr: object, level: Assurance) -> None:
    assert Assurance.parse(acr) is level


def test_real_name_needs_a_valid_identifier_of_its_kind() -> None:
    person = real_name_from_claims({"id_number": PERSON.lower(), "name": "张三", "acr": 3})
    assert person is not None and person.id_number == PERSON and person.kind is ApplicantKind.PERSON
    bad = PERSON[:17] + ("0" if PERSON[17] != "0" else "1")
    assert real_name_from_claims({"id_number": bad, "acr": 3}) is None
    company = make_uscc(5)
    assert real_name_from_claims({"id_number": company, "id_kind": "person"}) is None
    entity = real_name_from_claims({"id_number": company, "id_kind": "entity"})
    assert entity is not None and entity.kind is ApplicantKind.ENTITY
    assert entity.assurance is Assurance.NONE
    assert real_name_from_claims({"id_number": company, "id_kind": "department"}) is None
    assert real_name_from_claims({"name": "张三"}) is None


def test_contacts_count_only_when_the_provider_verified_them() -> None:
    assert verified_phone({"phone_number": "138 0013 8000", "phone_number_verified": True}) == (
        "+8613800138000"
    )
    assert verified_phone({"phone_number": "13800138000"}) is None
    assert verified_phone({"phone_number": "13800138000", "phone_number_verified": "true"}) is None
    assert verified_phone({"phone_number": "02363881234", "phone_number_verified": True}) is None
    assert verified_email({"email": "Zs@Example.CN", "email_verified": True}) == "zs@example.cn"
    assert verified_email({"email": "not-an-email", "email_verified": True}) is None


def test_a_verified_token_carries_the_identity() -> None:
    settings = ServiceSettings(service_name="t")
    token = applicant_token(
        settings, id_number=PERSON, name="张三", phone="13800138000", email="zs@example.cn"
    )
    principal = TokenVerifier(settings).verify(token)
    assert principal.real_name is not None and principal.real_name.id_number == PERSON
    assert principal.real_name.name == "张三"
    assert principal.verified_phone == "+8613800138000"
    assert principal.verified_email == "zs@example.cn"
