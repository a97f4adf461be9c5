"""Pure rules: quiet hours, rate limit, backoff, answer classification, masking, signing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain import (
    ChannelName,
    QuietHours,
    Recipient,
    RecipientKind,
    SendResult,
    after_failure,
    backoff_delay,
    channels_for,
    classify_sms_answer,
    classify_smtp_code,
    classify_webhook_status,
    delivery_id,
    escalation_queries,
    is_newer,
    mask_personal,
    quiet_hours_apply,
    rate_limited_until,
)
from services.notify.signing import sign, signed_headers, verify

QH = QuietHours.parse("22:00", "08:00", "Asia/Shanghai")


def shanghai(hh: int, mm: int = 0, day: int = 10) -> datetime:
    # Shanghai is UTC+8 all year.
    return datetime(2026, 3, day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("local", "expected_end"),
    [
        (shanghai(23, 30), shanghai(8, 0, day=11)),
        (shanghai(22, 0), shanghai(8, 0, day=11)),
        (shanghai(3, 15), shanghai(8, 0)),
        (shanghai(7, 59), shanghai(8, 0)),
    ],
)
def test_quiet_hours_defer_until_the_morning(local: datetime, expected_end: datetime) -> None:
    assert QH.deferred_until(local) == expected_end


@pytest.mark.parametrize("local", [shanghai(8, 0), shanghai(12, 0), shanghai(21, 59)])
def test_outside_quiet_hours_nothing_is_deferred(local: datetime) -> None:
    assert QH.deferred_until(local) is None


def test_daytime_quiet_window_and_disabled_window() -> None:
    lunch = QuietHours.parse("12:00", "13:30", "Asia/Shanghai")
    assert lunch.deferred_until(shanghai(12, 10)) == shanghai(13, 30)
    assert lunch.deferred_until(shanghai(13, 30)) is None
    assert QuietHours.parse("00:00", "00:00", "Asia/Shanghai").deferred_until(shanghai(3)) is None


def test_quiet_hours_only_for_non_urgent_sms_to_applicants() -> None:
    assert quiet_hours_apply(ChannelName.SMS, RecipientKind.APPLICANT, urgent=False)
    assert not quiet_hours_apply(ChannelName.SMS, RecipientKind.APPLICANT, urgent=True)
    assert not quiet_hours_apply(ChannelName.EMAIL, RecipientKind.APPLICANT, urgent=False)
    assert not quiet_hours_apply(ChannelName.SMS, RecipientKind.OFFICER, urgent=False)


def test_rate_limit_waits_for_the_oldest_message_in_the_window_to_age_out() -> None:
    now = shanghai(12)
    window = timedelta(hours=1)
    sent = [now - timedelta(minutes=50), now - timedelta(minutes=20), now - timedelta(minutes=5)]
    assert rate_limited_until(sent[1:], now=now, limit=3, window=window) is None
    assert rate_limited_until(sent, now=now, limit=3, window=window) == sent[0] + window
    old = [now - timedelta(hours=2)] * 10
    assert rate_limited_until(old, now=now, limit=3, window=window) is None


def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [backoff_delay(n, base_s=2, max_s=20) for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 16, 20]


def test_after_failure_retries_transient_errors_until_the_last_attempt() -> None:
    now = shanghai(12)
    retry = SendResult.retry("busy")
    first = after_failure(retry, attempts=1, max_attempts=3, now=now, base_s=5, max_s=60)
    assert not first.give_up and first.retry_at == now + timedelta(seconds=5)
    assert after_failure(retry, attempts=3, max_attempts=3, now=now, base_s=5, max_s=60).give_up
    permanent = SendResult.permanent("bad phone")
    assert after_failure(permanent, attempts=1, max_attempts=3, now=now, base_s=5, max_s=60).give_up


@pytest.mark.parametrize(
    ("status", "code", "ok", "retryable"),
    [
        (200, "OK", True, False),
        (200, None, True, False),
        (200, "THROTTLED", False, True),
        (503, "GATEWAY_BUSY", False, True),
        (500, None, False, True),
        (429, None, False, True),
        (400, "INVALID_PHONE", False, False),
        (200, "UNSUBSCRIBED", False, False),
        (401, "SIGNATURE_INVALID", False, False),
        (404, None, False, False),
    ],
)
def test_sms_gateway_answers_map_to_retry_or_give_up(
    status: int, code: str | None, ok: bool, retryable: bool
) -> None:
    result = classify_sms_answer(status, code)
    assert (result.ok, result.retryable) == (ok, retryable)


def test_webhook_and_smtp_answers() -> None:
    assert classify_webhook_status(204).ok
    assert classify_webhook_status(503).retryable
    assert not classify_webhook_status(410).retryable
    assert classify_smtp_code(451, "try later").retryable
    assert not classify_smtp_code(550, "no such user").retryable


def test_channels_per_recipient_kind() -> None:
    applicant = Recipient("ID", RecipientKind.APPLICANT, "张三", phone="139", email="a@b.cn")
    officer = Recipient("o1", RecipientKind.OFFICER, "王芳", phone="138", email="w@gov.cn")
    assert [c for c, _ in channels_for(applicant, urgent=False)] == ["inbox", "sms", "email"]
    assert [c for c, _ in channels_for(officer, urgent=False)] == ["inbox", "email"]
    assert [c for c, _ in channels_for(officer, urgent=True)] == ["inbox", "email", "sms"]


def test_escalation_roles_become_directory_queries() -> None:
    queries = escalation_queries(
        ["section_chief", "department_head", "inspection_office"],
        department="500000-SCJ",
        region="500000",
        section="500000-SCJ-DJ",
    )
    assert [(q.role, q.department, q.region, q.section) for q in queries] == [
        ("section_chief", "500000-SCJ", None, "500000-SCJ-DJ"),
        ("department_head", "500000-SCJ", None, None),
        ("inspector", None, "500000", None),
    ]


def test_delivery_id_is_one_per_event_recipient_channel() -> None:
    assert delivery_id("e1", "r1", "sms") == delivery_id("e1", "r1", "sms")
    assert (
        len(
            {
                delivery_id("e1", "r1", "sms"),
                delivery_id("e1", "r1", "email"),
                delivery_id("e2", "r1", "sms"),
                delivery_id("e1", "r2", "sms"),
            }
        )
        == 4
    )


def test_directory_versions_compare_numerically() -> None:
    assert is_newer("2026.10", "2026.9")
    assert not is_newer("2026.1", "2026.1")
    assert is_newer("2026.1", None)


def test_personal_values_are_masked_in_text() -> None:
    text = "申请人张三（500103199005170079，13912345678，zs@example.cn）"
    masked = mask_personal(text, ["张三", "500103199005170079", "13912345678", "zs@example.cn"])
    assert "张三" not in masked and "13912345678" not in masked
    assert "500103199005170079" not in masked and "zs@example.cn" not in masked
    assert "张*" in masked and "139****5678" in masked and "z***@example.cn" in masked


def test_hmac_signature_round_trip_and_tampering() -> None:
    body = b'{"hello":"world"}'
    now = int(datetime(2026, 3, 2, 4, 0, tzinfo=UTC).timestamp())  # the receiver's clock
    headers = signed_headers("s3cret", now, body, "d1")
    sig, ts = headers["X-Egov-Signature"], headers["X-Egov-Timestamp"]
    assert sig == sign("s3cret", ts, body) and sig.startswith("sha256=")
    assert verify("s3cret", ts, body, sig, now=now)
    assert not verify("s3cret", ts, body + b" ", sig, now=now)
    assert not verify("other", ts, body, sig, now=now)
    assert not verify("s3cret", ts, body, sig, now=now + 3600)  # replayed an hour later
    assert not verify("s3cret", "not-a-number", body, sig, now=now)
