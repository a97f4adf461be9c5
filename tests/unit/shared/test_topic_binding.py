"""The one rule binding event types to topics (``may_arrive_on``), which every consumer applies
before it routes an event by its type."""

from __future__ import annotations

import pytest

from shared.contracts import (
    DEAD_LETTER_TOPIC,
    EVENT_TYPES,
    T_CALENDAR,
    T_CASES,
    T_CREDIT_CHANGES,
    T_CREDIT_INCIDENTS,
    T_INTAKE_IN,
    T_STAGES,
    T_SUPERVISION,
    CalendarPublished,
    CaseDecided,
    CaseSubmissionReceived,
    CreditChanged,
    CreditIncident,
    RectificationOpened,
    StageOpened,
    StageOverdue,
    UnknownEventType,
    may_arrive_on,
    topic_for,
    wrong_topic_error,
)
from shared.contracts.registry import MONITOR_TIMERS_TOPIC


@pytest.mark.parametrize(
    ("event_type", "topic", "may"),
    [
        # topics other systems may write: only their own type is taken from them
        (CaseSubmissionReceived.event_type, T_INTAKE_IN, True),
        (CaseDecided.event_type, T_INTAKE_IN, False),
        (StageOpened.event_type, T_INTAKE_IN, False),
        (CreditIncident.event_type, T_CREDIT_INCIDENTS, True),
        (CreditChanged.event_type, T_CREDIT_INCIDENTS, False),
        # topics that carry several types carry each on its own
        (CaseDecided.event_type, T_STAGES, True),
        (StageOpened.event_type, T_STAGES, True),
        (StageOpened.event_type, T_CASES, False),
        (RectificationOpened.event_type, T_CASES, True),
        (RectificationOpened.event_type, T_STAGES, False),
        (StageOverdue.event_type, T_SUPERVISION, True),
        (StageOverdue.event_type, T_STAGES, False),
        (CreditChanged.event_type, T_CREDIT_CHANGES, True),
        # the calendar carries schedules only, the timers topic firings (no envelopes)
        (CalendarPublished.event_type, T_CALENDAR, True),
        (CalendarPublished.event_type, T_STAGES, False),
        (StageOpened.event_type, T_CALENDAR, False),
        (StageOpened.event_type, MONITOR_TIMERS_TOPIC, False),
        # dead letters keep any type's original bytes
        (CaseDecided.event_type, DEAD_LETTER_TOPIC, True),
        # a topic the registry does not know carries nothing
        (StageOpened.event_type, "egov.stages.mirror", False),
    ],
)
def test_a_type_may_arrive_on_its_own_topic_only(event_type: str, topic: str, may: bool) -> None:
    assert may_arrive_on(event_type, topic) is may


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_registered_type_may_arrive_where_it_is_published(event_type: str) -> None:
    assert may_arrive_on(event_type, topic_for(event_type))


def test_an_unknown_type_is_not_judged() -> None:
    with pytest.raises(UnknownEventType):
        may_arrive_on("gov.egov.stage.opened.v9", T_STAGES)


def test_the_error_names_where_the_type_belongs() -> None:
    assert wrong_topic_error(CaseDecided.event_type, T_INTAKE_IN) == (
        "gov.egov.case.decided.v1 belongs on egov.stages, not on egov.intake.submissions"
    )
