"""Property tests: the applicant validators accept every well-formed number and refuse every
single-character corruption; case numbers are readable and ordered."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.intake.domain import ApplicantIn, format_case_number
from services.intake.domain.submission import CASE_NUMBER_RE, is_case_number
from shared.identifiers import USCC_CHARSET, make_resident_id, make_uscc

regions = st.sampled_from(["500000", "500103", "510100", "510104", "110101"])
births = st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31))


@given(regions, births, st.integers(0, 999))
def test_every_valid_resident_id_is_accepted(region: str, birth: date, seq: int) -> None:
    number = make_resident_id(region, birth, seq)
    applicant = ApplicantIn(kind="person", id_number=number.lower(), name="张三")
    assert applicant.id_number == number


@given(regions, births, st.integers(0, 999), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_a_changed_resident_id_character_is_refused(
    region: str, birth: date, seq: int, position: int, replacement: str
) -> None:
    number = make_resident_id(region, birth, seq)
    if number[position] == replacement or (position < 17 and replacement == "X"):
        return  # not a change, or an X inside the digits (refused elsewhere)
    corrupted = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(ValidationError) as info:
        ApplicantIn(kind="person", id_number=corrupted, name="张三")
    assert info.value.errors()[0]["loc"] == ("id_number",)


@given(st.integers(0, 10**9))
def test_every_valid_uscc_is_accepted(seed: int) -> None:
    code = make_uscc(seed)
    assert ApplicantIn(kind="entity", id_number=code, name="某公司").id_number == code


@given(st.integers(0, 10**9), st.integers(0, 17), st.sampled_from(USCC_CHARSET + "IOSVZ"))
def test_a_changed_uscc_character_is_refused(seed: int, position: int, replacement: str) -> None:
    code = make_uscc(seed)
    if code[position] == replacement:
        return
    corrupted = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationError):
        ApplicantIn(kind="entity", id_number=corrupted, name="某公司")


def test_a_person_cannot_use_a_social_credit_code() -> None:
    with pytest.raises(ValidationError, match="resident ID"):
        ApplicantIn(kind="person", id_number=make_uscc(1), name="张三")


@given(
    st.sampled_from(["500000", "510100"]),
    st.dates(date(2025, 1, 1), date(2026, 12, 31)),
    st.integers(1, 999_999),
    st.integers(1, 999_999),
)
def test_case_numbers_are_readable_and_sort_by_sequence(
    region: str, day: date, a: int, b: int
) -> None:
    first, second = format_case_number(region, day, a), format_case_number(region, day, b)
    match = CASE_NUMBER_RE.match(first)
    assert match and match["region"] == region and match["day"] == f"{day:%Y%m%d}"
    assert is_case_number(second) and len(first) == 22
    assert (first < second) == (a < b)


@pytest.mark.parametrize("seq", [0, 1_000_000])
def test_case_number_sequence_out_of_range_is_refused(seq: int) -> None:
    with pytest.raises(ValueError):
        format_case_number("500000", date(2026, 3, 2), seq)
