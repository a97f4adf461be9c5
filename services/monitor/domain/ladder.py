"""Lights and the escalation ladder: the warning, overdue and escalation rungs a stage reaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.monitor.domain.policy import Rung, Status, rung_time
from services.monitor.domain.stages import StageState, stop_ends
from shared.calendar.timing import (
    Calendar,
)
from shared.contracts.common import Light


@dataclass(frozen=True)
class Transition:
    """Something the stage reached: a colour, or rung ``number`` of the ladder."""

    kind: Literal["yellow", "red", "rung"]
    at: datetime
    number: int = 0
    rung: Rung | None = None


def advance(
    stage: StageState, now: datetime, ladder: tuple[Rung, ...], calendar: Calendar
) -> tuple[StageState, list[Transition]]:
    """Everything due by ``now`` that has not fired yet, in order; once per colour and rung.

    A stage found already past due skips yellow: the warning would come after the deadline.
    The parent of a parallel stage never fires: each department's sub-task is supervised on
    its own clock and only a late department is escalated.
    """
    if stage.status is not Status.OPEN or stage.parallel_parent:
        return stage, []
    fired: list[Transition] = []
    update: dict[str, object] = {}
    red_at = stage.red_at
    if stage.yellow_at is None and red_at is None and stage.warn_at <= now < stage.due_at:
        fired.append(Transition("yellow", stage.warn_at))
        update["yellow_at"] = stage.warn_at
    if red_at is None and now >= stage.due_at:
        red_at = stage.ladder_from
        fired.append(Transition("red", red_at))
        update["red_at"] = red_at
    rung = stage.rung
    if red_at is not None:
        while rung < len(ladder):
            at = rung_time(stage.ladder_from, ladder[rung], calendar)
            if at > now:
                break
            rung += 1
            fired.append(Transition("rung", at, rung, ladder[rung - 1]))
        update["rung"] = rung
    if not fired:
        return stage, []
    return stage.model_copy(update=update), fired


def next_due(stage: StageState, ladder: tuple[Rung, ...], calendar: Calendar) -> datetime | None:
    """When this stage next needs the timer, or None (closed, suspended, ladder exhausted, or
    the parent of a parallel stage)."""
    if stage.status is Status.SUSPENDED and not stage.parallel_parent:
        return stop_ends(stage, calendar)  # the suspension's maximum, if it has one
    if stage.status is not Status.OPEN or stage.parallel_parent:
        return None
    if stage.red_at is None:
        if stage.yellow_at is None and stage.warn_at < stage.due_at:
            return stage.warn_at
        return stage.due_at
    if stage.rung < len(ladder):
        return rung_time(stage.ladder_from, ladder[stage.rung], calendar)
    return None


def worst(lights: list[Light]) -> Light:
    """The light of a parallel stage: the worst of its open sub-tasks (green when none is open)."""
    for light in (Light.RED, Light.YELLOW):
        if light in lights:
            return light
    return Light.GREEN
