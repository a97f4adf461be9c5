from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Self

import pytest

from shared.clock import SHANGHAI, Clock, FixedClock, SimulatedClock, SystemClock

REAL_EPOCH = datetime(2025, 11, 1, 0, 0, tzinfo=UTC)
SIM_ORIGIN = datetime(2025, 9, 29, 9, 0, tzinfo=SHANGHAI)


def test_shanghai_is_utc_plus_8() -> None:
    assert datetime(2025, 7, 1, tzinfo=SHANGHAI).utcoffset() == timedelta(hours=8)


def test_system_clock_asks_the_system_for_the_time_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tzinfo | None] = []

    class SystemTime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Self:
            asked.append(tz)
            return cls.fromtimestamp(REAL_EPOCH.timestamp(), tz)

    monkeypatch.setattr("shared.clock.datetime", SystemTime)
    now = SystemClock().now()
    assert (now, now.utcoffset(), asked) == (REAL_EPOCH, timedelta(0), [UTC])


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(REAL_EPOCH)
    assert clock.now() == clock.now() == REAL_EPOCH
    assert clock.advance(timedelta(minutes=1)) == REAL_EPOCH + timedelta(minutes=1)
    assert clock.advance(30) == REAL_EPOCH + timedelta(seconds=90)
    assert clock.advance(0.5) == REAL_EPOCH + timedelta(seconds=90.5)
    clock.set(SIM_ORIGIN)
    assert clock.now() == SIM_ORIGIN


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(REAL_EPOCH).set(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2025, 1, 1), SIM_ORIGIN, 1.0)


def test_simulated_clock_runs_speed_times_faster() -> None:
    real = FixedClock(REAL_EPOCH)
    clock: Clock = SimulatedClock(REAL_EPOCH, SIM_ORIGIN, speed=60, real=real)
    assert clock.now() == SIM_ORIGIN
    real.advance(10)
    assert clock.now() == SIM_ORIGIN + timedelta(minutes=10)
    real.advance(timedelta(hours=1))
    assert clock.now() == SIM_ORIGIN + timedelta(minutes=10, hours=60)


def test_processes_with_the_same_configuration_agree() -> None:
    # Two processes each reading their own real clock, given in different zones.
    real_now = REAL_EPOCH + timedelta(seconds=123)
    real_a = FixedClock(real_now)
    real_b = FixedClock(real_now.astimezone(timezone(-timedelta(hours=5))))
    a = SimulatedClock(REAL_EPOCH, SIM_ORIGIN, speed=120, real=real_a)
    b = SimulatedClock(REAL_EPOCH.astimezone(SHANGHAI), SIM_ORIGIN, speed=120, real=real_b)
    assert a.now() == b.now() == SIM_ORIGIN + timedelta(seconds=123 * 120)


def test_speed_one_is_real_time_shifted() -> None:
    real = FixedClock(REAL_EPOCH + timedelta(days=2))
    assert SimulatedClock(REAL_EPOCH, SIM_ORIGIN, 1.0, real).now() == SIM_ORIGIN + timedelta(days=2)


def test_real_seconds_to_wait_for_simulated_time() -> None:
    real = FixedClock(REAL_EPOCH)
    clock = SimulatedClock(REAL_EPOCH, SIM_ORIGIN, speed=60, real=real)
    assert clock.real_seconds(timedelta(hours=1)) == 60.0
    assert clock.real_seconds(90) == 1.5
    assert clock.sleep_for_sim(3600) == 60.0
    assert clock.real_seconds_until(SIM_ORIGIN + timedelta(hours=2)) == 120.0
    real.advance(60)  # one simulated hour later
    assert clock.real_seconds_until(SIM_ORIGIN + timedelta(hours=2)) == 60.0
    assert clock.real_seconds_until(SIM_ORIGIN) == 0.0


@pytest.mark.parametrize("speed", [0, -1.0, float("nan")])
def test_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        SimulatedClock(REAL_EPOCH, SIM_ORIGIN, speed)
