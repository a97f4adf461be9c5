"""Injected time.

Rules never read the wall clock; they receive a :class:`Clock` (or an instant taken from one).
``SimulatedClock`` lets a whole platform run faster than real time: every process configured
with the same ``real_epoch``, ``sim_origin`` and ``speed`` agrees on the simulated instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, always timezone-aware."""
        ...


def require_aware(dt: datetime, name: str = "datetime") -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return dt


def _as_timedelta(delta: timedelta | float) -> timedelta:
    return delta if isinstance(delta, timedelta) else timedelta(seconds=delta)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "start")

    def now(self) -> datetime:
        return self._now

    def set(self, dt: datetime) -> None:
        self._now = require_aware(dt)

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds) and return the new instant."""
        self._now = self._now + _as_timedelta(delta)
        return self._now


class SimulatedClock:
    """``sim_now = sim_origin + (real.now() - real_epoch) * speed``."""

    def __init__(
        self,
        real_epoch: datetime,
        sim_origin: datetime,
        speed: float,
        real: Clock = SystemClock(),
    ) -> None:
        if not speed > 0:
            raise ValueError(
                f"speed must be positive (simulated seconds per real second), got {speed}"
            )
        self.real_epoch = require_aware(real_epoch, "real_epoch")
        self.sim_origin = require_aware(sim_origin, "sim_origin")
        self.speed = speed
        self._real = real

    def now(self) -> datetime:
        return self.sim_origin + (self._real.now() - self.real_epoch) * self.speed

    def real_seconds(self, sim_delta: timedelta | float) -> float:
        """Real seconds during which ``sim_delta`` (timedelta or seconds) of simulated time pass."""
        return _as_timedelta(sim_delta).total_seconds() / self.speed

    def sleep_for_sim(self, sim_seconds: float) -> float:
        """Real seconds to sleep so that ``sim_seconds`` of simulated time pass."""
        return self.real_seconds(sim_seconds)

    def real_seconds_until(self, sim_instant: datetime) -> float:
        """Real seconds to wait until the simulated clock reaches ``sim_instant`` (0 if past)."""
        remaining = require_aware(sim_instant, "sim_instant") - self.now()
        return max(0.0, self.real_seconds(remaining))
