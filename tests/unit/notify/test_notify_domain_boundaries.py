"""Rules of docs/notify.md that the mutation run left unpinned (docs/mutation/
services-notify-domain.md): the boundaries of the answer tables and the error each answer
carries into `notification.failed`, the directory file's error naming the bad entry, where a
subject's notices may go, which subscriptions receive anything, webhook secrets, and masking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.notify.domain import (
    AfterFailure,
    InvalidDirectory,
    Officer,
    Recipient,
    RecipientKind,
    SendResult,
    WebhookScope,
    address_error,
    after_failure,
    classify_sms_answer,
    classify_smtp_code,
    classify_webhook_status,
    is_newer,
    mask_personal,
    mask_value,
    minimised_event,
    officer_recipient,
    parse_directory,
    scope_of,
    secret_error,
    subscription_scope,
    unique_recipients,
    url_error,
    version_key,
)
from services.notify.domain.subjects import subject_contact, subject_update

NOW = datetime(2026, 3, 10, 4, tzinfo=UTC)


def retry(error: str) -> SendResult:
    return SendResult(ok=False, retryable=True, error=error)


def give_up(error: str) -> SendResult:
    return SendResult(ok=False, retryable=False, error=error)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (200, None, SendResult.sent()),
        (299, "OK", SendResult.sent()),
        (300, None, retry("sms gateway HTTP 300")),  # not 2xx, not 4xx: may recover
        (200, "WHATEVER", retry("sms gateway HTTP 200 WHATEVER")),  # 2xx, unknown code
        (500, None, retry("sms gateway HTTP 500")),
        (501, None, retry("sms gateway HTTP 501")),
        (499, None, give_up("sms gateway HTTP 499")),
        (408, None, retry("sms gateway HTTP 408")),
        (409, None, give_up("sms gateway HTTP 409")),
        (425, None, retry("sms gateway HTTP 425")),
        (426, None, give_up("sms gateway HTTP 426")),
        (400, None, give_up("sms gateway HTTP 400")),
        (401, None, give_up("sms gateway HTTP 401")),
        (500, "INVALID_PHONE", give_up("sms gateway HTTP 500 INVALID_PHONE")),  # code first
        (400, "THROTTLED", retry("sms gateway HTTP 400 THROTTLED")),
    ],
)
def test_sms_gateway_answers_and_the_error_they_carry(
    status: int, code: str | None, expected: SendResult
) -> None:
    assert classify_sms_answer(status, code) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, SendResult.sent()),
        (201, SendResult.sent()),
        (299, SendResult.sent()),
        (300, give_up("webhook HTTP 300")),
        (199, give_up("webhook HTTP 199")),
        (408, retry("webhook HTTP 408")),
        (409, give_up("webhook HTTP 409")),
        (425, retry("webhook HTTP 425")),
        (426, give_up("webhook HTTP 426")),
        (429, retry("webhook HTTP 429")),
        (430, give_up("webhook HTTP 430")),
        (499, give_up("webhook HTTP 499")),
        (500, retry("webhook HTTP 500")),
        (501, retry("webhook HTTP 501")),
    ],
)
def test_webhook_answers_and_the_error_they_carry(status: int, expected: SendResult) -> None:
    assert classify_webhook_status(status) == expected


@pytest.mark.parametrize(
    ("code", "retryable"),
    [(400, True), (401, True), (451, True), (499, True), (500, False), (550, False), (-1, True)],
)
def test_smtp_4xx_is_retried_and_5xx_given_up(code: int, retryable: bool) -> None:
    result = classify_smtp_code(code, "try later")
    assert result == SendResult(ok=False, retryable=retryable, error=f"smtp {code} try later")


def test_a_long_smtp_reply_is_cut_to_300_characters() -> None:
    result = classify_smtp_code(550, "x" * 400)
    assert result.error == ("smtp 550 " + "x" * 400)[:300]
    assert len(result.error) == 300


def test_a_retry_is_a_decision_not_to_give_up() -> None:
    decision = after_failure(
        SendResult.retry("busy"), attempts=2, max_attempts=3, now=NOW, base_s=5, max_s=60
    )
    assert decision == AfterFailure(give_up=False, retry_at=NOW + timedelta(seconds=10))


def test_a_bad_directory_entry_is_named_by_its_id_or_code_and_field() -> None:
    data: dict[str, Any] = {
        "version": "2026.1",
        "sections": [{"code": "500000-SCJ-DJ", "department": "500000-SCJ"}],
        "officers": [
            {"id": "cq-1", "name": "王芳", "department": "500000-SCJ", "roles": []},
        ],
    }
    with pytest.raises(InvalidDirectory) as refused:
        parse_directory(data, "directory.yaml")
    assert str(refused.value) == (
        "directory.yaml: 2 invalid entries: "
        "section '500000-SCJ-DJ' (entry 1) name: Field required; "
        "officer 'cq-1' (entry 1) roles: List should have at least 1 item after validation, "
        "not 0"
    )


def test_a_directory_error_outside_an_entry_names_its_place() -> None:
    with pytest.raises(InvalidDirectory) as refused:
        parse_directory({"officers": "none"}, "d.yaml")
    assert str(refused.value) == (
        "d.yaml: 2 invalid entries: version: Field required; officers: Input should be a valid list"
    )
    with pytest.raises(InvalidDirectory) as refused:
        parse_directory(["not", "a", "mapping"], "d.yaml")
    assert str(refused.value).startswith("d.yaml: 1 invalid entry: file: Input should be")
    # an entry that is not a mapping, and one past the end of what the file lists
    with pytest.raises(InvalidDirectory) as refused:
        parse_directory({"version": "1", "officers": ["cq-1"]}, "d.yaml")
    assert str(refused.value).startswith("d.yaml: 1 invalid entry: officer None (entry 1) entry: ")


def test_an_officer_is_told_under_their_name_and_in_their_language() -> None:
    officer = Officer(
        id="cq-1", name="王芳", department="500000-SCJ", roles=["handler"], locale="en"
    )
    recipient = officer_recipient(officer)
    assert (recipient.key, recipient.kind, recipient.name, recipient.locale) == (
        "cq-1",
        RecipientKind.OFFICER,
        "王芳",
        "en",
    )


@pytest.mark.parametrize(
    "verified",
    [{"verified_phone": "13800000101"}, {"verified_email": "zs@example.cn"}],
)
def test_a_subject_with_one_verified_contact_is_told_there(verified: dict[str, str]) -> None:
    subject = {"name": "张三", "locale": "en", **verified}
    assert subject_contact("S1", subject) == {
        "applicant_id": "S1",
        "applicant_name": "张三",
        "locale": "en",
        "phone": verified.get("verified_phone"),
        "email": verified.get("verified_email"),
    }


def test_a_subject_without_a_verified_contact_is_not_told() -> None:
    assert subject_contact("S1", {"name": "张三", "phone": "13800000101"}) is None
    assert subject_contact("S1", None) is None


INTEGRATOR = {"_id": "tax", "event_types": ["a", "b"], "regions": ["500000"], "active": True}
SUBSCRIPTION = {"owner": "tax", "event_types": ["a"], "regions": ["500000"]}


def test_a_subscription_receives_its_scope_while_it_and_its_integrator_are_active() -> None:
    wanted = WebhookScope(event_types=("a",), regions=("500000",))
    assert subscription_scope(SUBSCRIPTION, INTEGRATOR) == wanted
    # documents written before `active` existed count as active
    no_flags = {k: v for k, v in INTEGRATOR.items() if k != "active"}
    assert subscription_scope(SUBSCRIPTION, no_flags) == wanted
    assert subscription_scope(SUBSCRIPTION | {"active": False}, INTEGRATOR) is None
    assert subscription_scope(SUBSCRIPTION, INTEGRATOR | {"active": False}) is None
    assert subscription_scope(SUBSCRIPTION | {"owner": "bank"}, INTEGRATOR) is None
    assert subscription_scope(SUBSCRIPTION, None) is None
    # an integrator without a grant, or a subscription without a scope: nothing
    grantless = {"_id": "tax", "active": True}
    assert subscription_scope(SUBSCRIPTION, grantless) is None
    assert subscription_scope({"owner": "tax"}, INTEGRATOR) is None


def test_a_grant_of_every_region_keeps_the_regions_asked_for_and_a_narrow_one_cuts_them() -> None:
    wanted = WebhookScope(event_types=("a",), regions=("500000", "510000"))
    every = WebhookScope(event_types=("a",), regions=("*",))
    assert wanted.narrowed_to(every).regions == ("500000", "510000")
    narrow = WebhookScope(event_types=("a",), regions=("510000",))
    assert wanted.narrowed_to(narrow).regions == ("510000",)


def test_a_scope_beyond_the_grant_names_what_is_not_granted() -> None:
    grant = WebhookScope(event_types=("a",), regions=("500000",))
    wanted = WebhookScope(event_types=("a", "c"), regions=("510000",), personal_data=True)
    assert wanted.beyond(grant) == {
        "event_types": "not granted: ['c']; granted: ['a']",
        "regions": "not granted: ['510000']; granted: ['500000']",
        "personal_data": "personal data is not granted to this integrator",
    }


def test_webhook_secrets_are_whsec_and_the_base64_of_24_to_64_bytes() -> None:
    import base64

    def secret(n: int) -> str:
        return "whsec_" + base64.b64encode(bytes(range(n))).decode()

    assert secret_error(secret(24)) is None
    assert secret_error(secret(64)) is None
    assert secret_error(secret(23)) == "must encode 24 to 64 bytes, not 23"
    assert secret_error(secret(65)) == "must encode 24 to 64 bytes, not 65"
    assert secret_error(secret(32)[len("whsec_") :]) == "must start with 'whsec_'"
    # characters outside the base64 alphabet are refused, not skipped
    assert secret_error(secret(32) + "!!!!") == "must be 'whsec_' followed by base64"


def test_only_a_persons_id_is_masked_as_credit_subject() -> None:
    event = {
        "subject": "91500000000007077L",
        "data": {"subject_kind": "entity", "subject_id": "91500000000007077L"},
    }
    out = minimised_event(event, personal_data=False)
    assert out["subject"] == "91500000000007077L"
    assert out["data"]["subject_id"] == "91500000000007077L"


def test_a_value_inside_another_is_masked_after_it() -> None:
    """Longest first: a phone number that is also the mail's local part does not leave the mail
    address half masked and unrecognisable to the longer rule."""
    masked = mask_personal(
        "13912345678@163.com / 13912345678", ["13912345678", "13912345678@163.com"]
    )
    assert masked == "1***@163.com / 139****5678"


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("0.0.0.0", "0.0.0.0 is an unspecified address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
        ("fe80::1%eth0", "fe80::1 is a link-local address"),  # the zone is not part of it
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a reserved address"),
        ("10.0.0.1", "10.0.0.1 is a private address"),
        ("100.64.0.1", "100.64.0.1 is not a public address"),  # shared (CGNAT)
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::ffff:10.0.0.1", "::ffff:a00:1 (for 10.0.0.1 is a private address)"),
        ("hooks.example.cn", "'hooks.example.cn' is not an IP address"),
        ("203.0.114.1", None),
    ],
)
def test_a_destination_address_is_refused_saying_what_it_is(
    address: str, error: str | None
) -> None:
    assert address_error(address) == error


def test_loopback_allowed_for_the_tests_holds_inside_ipv6_too() -> None:
    assert address_error("127.0.0.1", allow_loopback=True) is None
    assert address_error("::ffff:127.0.0.1", allow_loopback=True) is None
    assert (
        address_error("::ffff:127.0.0.1") == "::ffff:7f00:1 (for 127.0.0.1 is a loopback address)"
    )


def test_a_url_with_port_0_or_out_of_range_is_refused() -> None:
    assert url_error("https://hooks.example.cn:0/x", allow_insecure=False) == (
        "port 0 is not a destination"
    )
    assert url_error("https://hooks.example.cn:99999/x", allow_insecure=False) == (
        "not a usable URL: Port out of range 0-65535"
    )
    assert url_error("https://hooks.example.cn:8443/x", allow_insecure=False) is None


def test_a_case_teaches_its_subject_only_the_contacts_verified_as_its_own() -> None:
    case = {
        "applicant_name": "张三",
        "applicant_kind": "person",
        "locale": "en",
        "submitted_at": NOW,
        "phone": "13800000101",
        "phone_verified": True,
        "email": "zs@example.cn",
        "email_verified": False,
    }
    assert subject_update(case) == {
        "name": "张三",
        "kind": "person",
        "locale": "en",
        "updated_at": NOW,
        "verified_phone": "13800000101",
    }
    flipped = case | {"phone_verified": False, "email_verified": True, "locale": None}
    assert subject_update(flipped) == {
        "name": "张三",
        "kind": "person",
        "locale": "zh-CN",
        "updated_at": NOW,
        "verified_email": "zs@example.cn",
    }
    # verified, but nothing given: nothing learned
    empty = case | {"phone": None, "email": "", "email_verified": True}
    assert "verified_phone" not in subject_update(empty)
    assert "verified_email" not in subject_update(empty)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("", "*"),
        ("王", "*"),
        ("张三", "张*"),
        ("欧阳娜", "欧**"),
        ("zs@example.cn", "z***@example.cn"),
        ("13912345678", "139****5678"),
        ("500103199005170079", "5001**********0079"),
        ("91500000000007077L", "9150**********077L"),
        ("1234567", "123****"),  # under 8: nothing kept at the end
        ("12345678", "123*5678"),
        ("12345678901234", "123*******1234"),  # 14: three kept at the start
        ("123456789012345", "1234*******2345"),  # 15: four
    ],
)
def test_a_personal_value_is_masked_keeping_only_its_edges(value: str, masked: str) -> None:
    assert mask_value(value) == masked


def test_a_stored_scope_is_read_only_when_whole() -> None:
    assert scope_of({"event_types": ["a"], "regions": ["*"], "personal_data": 1}) == WebhookScope(
        event_types=("a",), regions=("*",), personal_data=True
    )
    assert scope_of({"event_types": ["a"], "regions": ["*"]}) == WebhookScope(
        event_types=("a",), regions=("*",), personal_data=False
    )
    assert scope_of({"event_types": ["a"]}) is None
    assert scope_of({"regions": ["*"]}) is None
    assert scope_of({"event_types": None, "regions": ["*"]}) is None


def test_recipients_are_told_once_in_the_order_first_found() -> None:
    a, b = Recipient("a", RecipientKind.OFFICER, "A"), Recipient("b", RecipientKind.OFFICER, "B")
    again = Recipient("a", RecipientKind.OFFICER, "A again")
    assert unique_recipients([b, a, again, b]) == [b, a]


def test_directory_versions_compare_by_their_numbers_and_text_as_text() -> None:
    assert version_key("2026.10.a") == (2026, 10, "a")
    assert is_newer("2026.10", "2026.9") and not is_newer("2026.9", "2026.10")
    assert is_newer("2026.b", "2026.a") and not is_newer("2026.a", "2026.b")
    assert is_newer("2026.a", "2026.1")  # text against a number: plain comparison
    assert not is_newer("2026.1", "2026.a")


@pytest.mark.parametrize(
    ("url", "insecure", "error"),
    [
        ("http://hooks.example.cn/x", False, "must be an https URL"),
        ("ftp://hooks.example.cn/x", True, "must be an http(s) URL"),
        ("http://hooks.example.cn/x", True, None),
        ("https:///x", False, "has no host"),
        ("https://user@hooks.example.cn/x", False, "must not carry a user name or password"),
        ("https://:secret@hooks.example.cn/x", False, "must not carry a user name or password"),
        ("https://user:secret@hooks.example.cn/x", False, "must not carry a user name or password"),
    ],
)
def test_a_destination_url_is_refused_saying_why(
    url: str, insecure: bool, error: str | None
) -> None:
    assert url_error(url, allow_insecure=insecure) == error


def test_a_name_inside_a_longer_value_is_masked_after_it_whatever_their_alphabetical_order() -> (
    None
):
    """An individual business named after its owner: the business name goes first, or masking
    the owner's name inside it would leave the business name unmatched and half shown."""
    text = "万州区张三小吃店（经营者张三）"
    assert mask_personal(text, ["张三", "万州区张三小吃店"]) == "万州区*三小吃店（经营者张*）"


def test_a_bad_value_inside_an_entrys_list_is_named_with_its_place() -> None:
    data = {
        "version": "2026.1",
        "officers": [{"id": "cq-1", "name": "王芳", "department": "500000-SCJ", "roles": [1]}],
    }
    with pytest.raises(InvalidDirectory) as refused:
        parse_directory(data, "d.yaml")
    assert str(refused.value) == (
        "d.yaml: 1 invalid entry: officer 'cq-1' (entry 1) roles.0: Input should be a valid string"
    )
