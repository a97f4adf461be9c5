"""The acceptance notice of a case accepted with gaps (容缺受理) says what is still owed, by
when, and what follows if it does not come; within the SMS length on every locale."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName
from services.notify.templates import JinjaRenderer
from shared.calendar import Limit
from shared.clock import SHANGHAI
from shared.contracts import OwedMaterial, OwedMaterials
from tests.unit.notify.test_notify_templates import TEMPLATES, ctx

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
OWED = OwedMaterials(
    materials=[OwedMaterial(code="premises", name="住所（经营场所）使用证明")],
    limit=Limit(value=10),
    accepted_at=AT,
    due_at=datetime(2026, 3, 24, 23, 59, 59, tzinfo=SHANGHAI),
    on_lapse="refused",
    credit_incident=True,
)


def render(channel: ChannelName, locale: str, owed: OwedMaterials | None = OWED) -> str:
    data = s.case_submitted("C1", AT).model_copy(update={"owed": owed})
    return JinjaRenderer(TEMPLATES).render("case_received", channel, locale, ctx(data, locale)).body


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("channel", [ChannelName.EMAIL, ChannelName.SMS, ChannelName.INBOX])
def test_the_notice_names_what_is_owed_and_the_deadline(locale: str, channel: ChannelName) -> None:
    body = render(channel, locale)
    assert "住所（经营场所）使用证明" in body and "2026-03-24 23:59" in body
    assert "住所" not in render(channel, locale, owed=None)
    if channel is ChannelName.SMS:
        assert len(body) <= 140


def test_the_mail_says_what_follows_a_missed_deadline() -> None:
    assert "将不予受理，并记入信用记录" in render(ChannelName.EMAIL, "zh-CN")
    assert "the application is refused and a credit record is filed" in render(
        ChannelName.EMAIL, "en"
    )
    lapsing = OWED.model_copy(update={"on_lapse": "lapsed", "credit_incident": False})
    body = render(ChannelName.EMAIL, "zh-CN", lapsing)
    assert "申请将终止办理。" in body and "信用" not in body
