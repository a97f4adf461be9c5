"""Events as tests build them: the contract's example (shared/contracts/examples.py) with what a
test cares about changed. Only the example's required fields are taken: an optional field (a
required role, an officer, the case's limits) stays at its default unless the test names it, so
a test never depends on a value it did not write."""

from __future__ import annotations

from typing import Any, TypeVar

from shared.contracts import EventData, PreReviewDone, StageClosed, StageKind, StageOpened
from shared.contracts.examples import EXAMPLES

E = TypeVar("E", bound=EventData)


def from_example(model: type[E], **fields: Any) -> E:
    """``model``'s example, its optional fields left out, with ``fields`` changed."""
    required = {
        name: value
        for name, value in EXAMPLES[model.event_type].items()
        if name in model.model_fields and model.model_fields[name].is_required()
    }
    return model.model_validate({**required, **fields})


def stage_opened(case_id: str, *, stage: str = "review", **fields: Any) -> StageOpened:
    """Stage ``stage`` of ``case_id`` opened (id ``<case>:<stage>``), as in the example: 审查 at
    500000-SCJ for item 500000-SCJ-001 in 500000, one working day, unless ``fields`` say other."""
    kind = StageKind(stage)
    return from_example(
        StageOpened,
        **{"case_id": case_id, "stage_id": f"{case_id}:{kind}", "stage": kind, **fields},
    )


def stage_closed(case_id: str, *, stage: str = "review", **fields: Any) -> StageClosed:
    """Stage ``stage`` of ``case_id`` closed (id ``<case>:<stage>``), passed at 500000-SCJ, unless
    ``fields`` say other."""
    kind = StageKind(stage)
    return from_example(
        StageClosed,
        **{"case_id": case_id, "stage_id": f"{case_id}:{kind}", "stage": kind, **fields},
    )


def prereview_done(case_id: str, **fields: Any) -> PreReviewDone:
    """Pre-review of ``case_id`` asked for supplements at 500000-SCJ, as in the example (reasons
    and materials empty unless given), unless ``fields`` say other."""
    return from_example(PreReviewDone, **{"case_id": case_id, **fields})
