"""Credit that matters at intake (issue 19; services/intake/domain/credit.py): level C/D loses
written commitments and gets the extra review, the black list loses both facilitations and gets
it too; the path and the standing it used are recorded on the case and its event."""

from __future__ import annotations

from services.intake.domain.credit import CreditPath, credit_path
from services.intake.handlers.tracking import on_credit_changed
from services.intake.ports import CreditStatus
from shared.contracts import CaseSubmitted, CreditChanged, CreditCheck, make_envelope
from tests.unit.intake.intake_fakes import T0, Wiring
from tests.unit.intake.test_intake_submission import PERSON, business_licence, with_commitment


def test_paths_by_level_and_list() -> None:
    assert credit_path(CreditCheck(level="A")) is CreditPath.TRUSTED
    assert credit_path(CreditCheck(level="B", red_list=True)) is CreditPath.TRUSTED
    assert credit_path(CreditCheck(level="B")) is CreditPath.STANDARD
    assert credit_path(CreditCheck(skipped=True)) is CreditPath.STANDARD
    assert credit_path(CreditCheck(level="C")) is CreditPath.WATCHED
    assert credit_path(CreditCheck(level="D")) is CreditPath.WATCHED
    assert credit_path(CreditCheck(level="A", black_list=True)) is CreditPath.BLACK_LISTED


def last_event(w: Wiring) -> CaseSubmitted:
    return CaseSubmitted.model_validate(w.store.events_of(CaseSubmitted.event_type)[-1].data)


async def test_level_c_loses_commitments_keeps_gaps_and_gets_the_extra_review() -> None:
    w = Wiring()
    w.credit.answers[PERSON] = CreditStatus(level="C", red_list=False, black_list=False, as_of=T0)
    gaps = business_licence(accept_with_gaps=True)
    gaps["materials"] = gaps["materials"][:3]
    async with w.client() as c:
        r = await c.post("/v1/cases", json=with_commitment())
        assert r.status_code == 422 and "levels A and B only" in r.json()["detail"]
        assert r.json()["errors"][0]["field"] == "materials"
        r = await c.post("/v1/cases", json=gaps)
        assert r.status_code == 201, r.text
    data = last_event(w)
    assert data.extra_review and data.credit_check.path == "watched"
    assert data.credit_check.level == "C" and data.credit_check.as_of == T0


async def test_a_trusted_applicant_keeps_the_facilitations_and_no_extra_review() -> None:
    w = Wiring()
    w.credit.answers[PERSON] = CreditStatus(level="B", red_list=True, black_list=False)
    async with w.client() as c:
        assert (await c.post("/v1/cases", json=with_commitment())).status_code == 201
    data = last_event(w)
    assert not data.extra_review and data.credit_check.path == "trusted"
    assert data.credit_check.as_of == w.clock.now()  # an answer without as_of: when it came


async def test_without_a_facilitation_the_last_known_status_decides_the_review_without_a_call() -> (
    None
):
    w = Wiring()
    async with w.client() as c:
        assert (await c.post("/v1/cases", json=business_licence())).status_code == 201
        assert not last_event(w).extra_review  # nothing known: standard
        changed = CreditChanged(
            subject_id=PERSON,
            subject_kind="person",
            previous_level="B",
            level="D",
            red_list=False,
            black_list=False,
            reason="承诺不实",
            changed_at=T0,
        )
        envelope = make_envelope(changed, source="/egov/credit", time=T0)
        await on_credit_changed(w.deps, envelope, changed)
        assert (await c.post("/v1/cases", json=business_licence())).status_code == 201
    data = last_event(w)
    assert data.extra_review and data.credit_check.path == "watched"
    assert data.credit_check.skipped and "last known status" in (data.credit_check.reason or "")
    assert w.credit.calls == []  # the credit service was never asked
