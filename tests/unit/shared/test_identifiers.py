from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.identifiers import (
    ResidentId,
    Uscc,
    is_valid_resident_id,
    is_valid_uscc,
    make_resident_id,
    make_uscc,
    mask_phone,
    mask_resident_id,
    mask_text,
    resident_id_check_char,
    resident_id_error,
    uscc_check_char,
    uscc_error,
)

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# Independent formulations of the two check algorithms.
def iso7064_mod11_2(first17: str) -> str:
    # ISO 7064 MOD 11-2 computed the textbook way: weights 2^(i) mod 11 from the right.
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def gb32100(first17: str) -> str:
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, weights, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def test_independent_algorithms_agree_with_the_published_examples() -> None:
    assert iso7064_mod11_2("11010519491231002") == "X"
    assert gb32100("91350100M000100Y4") == "3"


# Resident ID --------------------------------------------------------------------------------


LEAP_DAY_BIRTH = "11010520000229001" + iso7064_mod11_2("11010520000229001")


@pytest.mark.parametrize("value", ["11010519491231002X", "11010519491231002x", LEAP_DAY_BIRTH])
def test_known_valid_resident_ids(value: str) -> None:
    assert resident_id_error(value) is None
    assert is_valid_resident_id(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("11010519491231002", "18 characters, got 17"),
        ("11010519491231002X1", "18 characters, got 19"),
        ("1101051949123100AX", "character 17 is 'A'"),
        ("11010519491231002Y", "check character must be a digit or X"),
        ("110105194913310021", "(19491331) are not a real birth date"),
        ("110105199902290011", "(19990229) are not a real birth date"),
        ("110105194912310021", "is '1' but should be 'X'"),
    ],
)
def test_invalid_resident_ids_say_why(value: str, reason: str) -> None:
    error = resident_id_error(value)
    assert error is not None and reason in error
    assert not is_valid_resident_id(value)


def test_check_char_needs_17_digits() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    with pytest.raises(ValueError):
        resident_id_check_char("1101051949123100")
    with pytest.raises(ValueError):
        resident_id_check_char("1101051949123100A")


regions = st.text(alphabet="0123456789", min_size=6, max_size=6)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@given(region=regions, birth=births, seq=sequences)
def test_made_resident_ids_validate(region: str, birth: date, seq: int) -> None:
    value = make_resident_id(region, birth, seq)
    assert value[:17] == f"{region}{birth:%Y%m%d}{seq:03d}"
    assert value[17] == iso7064_mod11_2(value[:17])
    assert is_valid_resident_id(value)


@given(
    region=regions,
    birth=births,
    seq=sequences,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789Xx"),
)
def test_any_single_change_of_a_resident_id_is_rejected(
    region: str, birth: date, seq: int, position: int, replacement: str
) -> None:
    value = make_resident_id(region, birth, seq)
    if value[position] == replacement.upper():
        replacement = "0" if value[position] != "0" else "1"
    changed = value[:position] + replacement + value[position + 1 :]
    assert resident_id_error(changed) is not None


def test_make_resident_id_checks_its_inputs() -> None:
    with pytest.raises(ValueError):
        make_resident_id("11010", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_resident_id("110105", date(1990, 1, 1), 1000)


# Unified social credit code -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91350100m000100y43"])
def test_known_valid_uscc(value: str) -> None:
    assert uscc_error(value) is None
    assert is_valid_uscc(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91350100M000100Y4", "18 characters, got 17"),
        ("91350100O000100Y43", "character 9 is 'O'"),
        ("9135010IM000100Y43", "never I, O, S, V, Z"),
        ("91350100M000100Y44", "is '4' but should be '3'"),
    ],
)
def test_invalid_uscc_say_why(value: str, reason: str) -> None:
    error = uscc_error(value)
    assert error is not None and reason in error
    assert not is_valid_uscc(value)


@given(st.integers(min_value=0, max_value=10**12))
def test_made_uscc_are_valid_and_deterministic(seed: int) -> None:
    value = make_uscc(seed)
    assert value == make_uscc(seed)
    assert value[17] == gb32100(value[:17])
    assert is_valid_uscc(value)


def test_make_uscc_gives_distinct_codes() -> None:
    assert len({make_uscc(seed) for seed in range(1000)}) == 1000


first17s = st.text(alphabet=USCC_CHARS, min_size=17, max_size=17)


@given(first17=first17s)
def test_uscc_check_char_matches_the_standard(first17: str) -> None:
    assert uscc_check_char(first17) == gb32100(first17)
    assert is_valid_uscc(first17 + uscc_check_char(first17))


@given(
    first17=first17s,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(USCC_CHARS + "IOSVZ-"),
)
def test_any_single_change_of_a_uscc_is_rejected(
    first17: str, position: int, replacement: str
) -> None:
    value = first17 + gb32100(first17)
    if value[position] == replacement:
        replacement = "I"
    changed = value[:position] + replacement + value[position + 1 :]
    assert uscc_error(changed) is not None


# Pydantic types -------------------------------------------------------------------------------


class Applicant(BaseModel):
    resident_id: ResidentId
    credit_code: Uscc


def test_pydantic_types_normalise_to_uppercase() -> None:
    applicant = Applicant(resident_id=" 11010519491231002x ", credit_code="91350100m000100y43")
    assert applicant.resident_id == "11010519491231002X"
    assert applicant.credit_code == "91350100M000100Y43"


def test_pydantic_types_report_the_reason() -> None:
    with pytest.raises(ValidationError, match="should be 'X'"):
        Applicant(resident_id="110105194912310021", credit_code="91350100M000100Y43")
    with pytest.raises(ValidationError, match="should be '3'"):
        Applicant(resident_id="11010519491231002X", credit_code="91350100M000100Y44")


# Masking --------------------------------------------------------------------------------------


def test_mask_resident_id_and_phone() -> None:
    assert mask_resident_id("11010519491231002X") == "1101**********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"


def test_mask_text_hides_ids_and_mobiles_in_free_text() -> None:
    text = (
        "申请人张三，身份证11010519491231002x，手机13812345678；"
        "联系人 +86 13912345678 / 8613712345678，座机010-62345678，订单号123456789012345678901"
    )
    assert mask_text(text) == (
        "申请人张三，身份证1101**********002x，手机138****5678；"
        "联系人 +86 139****5678 / 86137****5678，座机010-62345678，订单号123456789012345678901"
    )


@given(
    region=regions,
    birth=births,
    seq=sequences,
    mobile=st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
    prefix=st.text(alphabet="申请人电话：, abc", max_size=5),
)
def test_mask_text_leaves_no_full_id_or_mobile(
    region: str, birth: date, seq: int, mobile: str, prefix: str
) -> None:
    resident_id = make_resident_id(region, birth, seq)
    masked = mask_text(f"{prefix}{resident_id} {prefix}{mobile}")
    assert resident_id not in masked
    assert mobile not in masked
    assert mask_resident_id(resident_id) in masked
    assert mask_phone(mobile) in masked
