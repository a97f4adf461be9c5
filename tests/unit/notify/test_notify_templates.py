"""Every shipped template renders for every channel and locale; broken ones raise PermanentError."""

from __future__ import annotations

import shutil
import typing
from datetime import UTC, datetime
from pathlib import Path

import pytest

import tests.unit.notify.notify_samples as s
from services.notify.domain import ChannelName, Recipient, RecipientKind
from services.notify.domain.bundles import bundle_context
from services.notify.handlers.notifier import _context
from services.notify.settings import NotifySettings
from services.notify.templates import JinjaRenderer
from shared.contracts import CaseDecided, EventData, StageClosed, SupervisionFinding
from shared.kafka import PermanentError

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TEMPLATES = Path(NotifySettings().templates_dir)

SAMPLES: dict[str, EventData] = {
    "case_received": s.case_submitted("C1", AT),
    "prereview_done": s.prereview_done("C1", AT),
    "task_assigned": s.stage_opened("C1", "S1", AT),
    "stage_warned": s.stage_warned("C1", "S1", AT),
    "stage_overdue": s.stage_overdue("C1", "S1", AT),
    "supervision_escalated": s.escalated("C1", "S1", AT, 2, ["section_chief"], "yellow"),
    "supervision_finding": s.finding("C1", AT),
    "case_decided": s.case_decided("C1", AT, "denied"),
    "rectification_opened": s.rectification_opened("C1", AT),
    "rectification_closed": s.rectification_closed("C1", AT),
    "credit_changed": s.credit_changed("X", AT),
    "rating_invited": s.rating_invited("C1", AT),
    "deadline_changed": s.deadline_changed("C1", "S1", AT),
    "bundle_received": s.case_submitted("C1", AT),
    "bundle_progress": s.case_decided("C1", AT, "denied"),
    "bundle_finished": StageClosed(
        case_id="YJS-C1",
        stage_id="YJS-C1:case_promised",
        stage="case_promised",
        outcome="failed",
        department=s.DEPT,
        closed_at=AT,
    ),
}
# What the bundle templates read besides the event (services/notify/domain/bundles.py).
BUNDLE = bundle_context(
    {"_id": "YJS-C1", "item_name": "开办企业一件事", "items": [{"item_name": "企业设立登记"}]}
)


def ctx(data: EventData, locale: str) -> dict[str, object]:
    who = Recipient("k", RecipientKind.APPLICANT, "张三", locale=locale)
    return _context(who, data, {"item_name": "食品经营许可"}, s.DEPT, BUNDLE)


def test_every_template_directory_has_a_sample() -> None:
    assert sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir()) == sorted(SAMPLES)


@pytest.mark.parametrize("template", sorted(SAMPLES))
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("channel", [ChannelName.EMAIL, ChannelName.SMS, ChannelName.INBOX])
def test_shipped_templates_render(template: str, locale: str, channel: ChannelName) -> None:
    out = JinjaRenderer(TEMPLATES).render(template, channel, locale, ctx(SAMPLES[template], locale))
    assert "C1" in out.body or template == "credit_changed"
    if channel is not ChannelName.SMS:
        assert out.subject
    if locale == "en":
        assert "办件" not in out.body and "您好" not in out.body
    if channel is ChannelName.SMS:
        assert len(out.body) <= 140


def test_dates_are_shown_in_beijing_time() -> None:
    out = JinjaRenderer(TEMPLATES).render(
        "task_assigned", ChannelName.EMAIL, "zh-CN", ctx(SAMPLES["task_assigned"], "zh-CN")
    )
    assert "2026-03-13 10:00" in out.body  # due 3 days after 02:00 UTC = 10:00 Beijing


def test_unknown_locale_falls_back_to_the_default() -> None:
    out = JinjaRenderer(TEMPLATES).render(
        "rating_invited", ChannelName.SMS, "fr", ctx(SAMPLES["rating_invited"], "zh-CN")
    )
    assert "评价" in out.body


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    shutil.copytree(TEMPLATES, tmp_path / "t")
    (tmp_path / "t" / "rating_invited" / "sms.zh-CN.j2").write_text(
        "{% block body %}请评价 {{ event.case_id }} {{ event.no_such_field }}{% endblock %}"
    )
    (tmp_path / "t" / "case_decided" / "sms.zh-CN.j2").write_text(
        "{% block body %}{{ oops {% endblock %}"
    )
    return tmp_path / "t"


def test_unknown_variable_raises_permanent_error_with_the_reason(broken: Path) -> None:
    with pytest.raises(PermanentError, match="template error.*no_such_field"):
        JinjaRenderer(broken).render(
            "rating_invited", ChannelName.SMS, "zh-CN", ctx(SAMPLES["rating_invited"], "zh-CN")
        )


def test_syntax_error_raises_permanent_error(broken: Path) -> None:
    with pytest.raises(PermanentError, match="template error: syntax"):
        JinjaRenderer(broken).render(
            "case_decided", ChannelName.SMS, "zh-CN", ctx(SAMPLES["case_decided"], "zh-CN")
        )


def test_missing_template_raises_permanent_error() -> None:
    with pytest.raises(PermanentError, match="none of"):
        JinjaRenderer(TEMPLATES).render("no_such_template", ChannelName.EMAIL, "zh-CN", {})


@pytest.mark.parametrize(
    "kind", typing.get_args(SupervisionFinding.model_fields["kind"].annotation)
)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_kind_of_finding_renders(kind: str, locale: str) -> None:
    data = s.finding("C1", AT).model_copy(update={"kind": kind})
    for channel in (ChannelName.EMAIL, ChannelName.SMS):
        out = JinjaRenderer(TEMPLATES).render(
            "supervision_finding", channel, locale, ctx(data, locale)
        )
        assert "C1" in out.body


@pytest.mark.parametrize(
    "decision", typing.get_args(CaseDecided.model_fields["decision"].annotation)
)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_decision_renders(decision: str, locale: str) -> None:
    data = s.case_decided("C1", AT).model_copy(update={"decision": decision})
    for channel in (ChannelName.EMAIL, ChannelName.SMS):
        out = JinjaRenderer(TEMPLATES).render("case_decided", channel, locale, ctx(data, locale))
        assert "C1" in out.body


ESCAPES = {
    "class hierarchy": "{{ ''.__class__.__mro__ }}",
    "globals of a helper": "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "globals of the event": "{{ event.__class__.__init__.__globals__ }}",
    "subclasses": "{{ ().__class__.__base__.__subclasses__() }}",
    "mutating the context": "{{ event.reasons.append('x') }}{{ event.reasons }}",
}


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_a_template_cannot_reach_python_internals(escape: str, tmp_path: Path) -> None:
    """Departments edit templates: one that tries to climb out of its context fails like any
    broken template (PermanentError, so the event is dead-lettered) and runs nothing."""
    templates = tmp_path / "t"
    shutil.copytree(TEMPLATES, templates)
    marker = tmp_path / "escaped"
    source = ESCAPES[escape].replace("{marker}", str(marker))
    (templates / "prereview_done" / "sms.zh-CN.j2").write_text(
        "{% block body %}" + source + "{% endblock %}"
    )
    data = SAMPLES["prereview_done"]
    with pytest.raises(PermanentError, match="template error in prereview_done/sms.zh-CN.j2"):
        JinjaRenderer(templates).render(
            "prereview_done", ChannelName.SMS, "zh-CN", ctx(data, "zh-CN")
        )
    assert not marker.exists()
    assert data.reasons == ["营业执照复印件不清晰"]  # the event handed to the template is unchanged


def test_a_template_that_raises_anything_fails_as_a_template_error(tmp_path: Path) -> None:
    templates = tmp_path / "t"
    shutil.copytree(TEMPLATES, templates)
    (templates / "rating_invited" / "sms.zh-CN.j2").write_text(
        "{% block body %}{{ 1 / 0 }}{% endblock %}"
    )
    with pytest.raises(PermanentError, match="ZeroDivisionError"):
        JinjaRenderer(templates).render(
            "rating_invited", ChannelName.SMS, "zh-CN", ctx(SAMPLES["rating_invited"], "zh-CN")
        )
