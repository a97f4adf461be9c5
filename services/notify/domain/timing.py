"""When a message may go: quiet hours, the per-recipient rate limit, retries with backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notify.domain.answers import SendResult
from services.notify.domain.model import ChannelName, RecipientKind


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    tz: str = "Asia/Shanghai"

    @classmethod
    def parse(cls, start: str, end: str, tz: str) -> QuietHours:
        return cls(time.fromisoformat(start), time.fromisoformat(end), tz)

    def deferred_until(self, now: datetime) -> datetime | None:
        """The end of the quiet period ``now`` falls in, or None outside quiet hours."""
        if self.start == self.end:
            return None
        local = now.astimezone(ZoneInfo(self.tz))
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= t < self.end
        else:  # spans midnight, e.g. 22:00-08:00
            inside = t >= self.start or t < self.end
        if not inside:
            return None
        end_day = local.date()
        if t >= self.end:
            end_day += timedelta(days=1)
        end = datetime.combine(end_day, self.end, tzinfo=ZoneInfo(self.tz))
        return end.astimezone(now.tzinfo)


def quiet_hours_apply(channel: ChannelName, kind: RecipientKind, *, urgent: bool) -> bool:
    return channel is ChannelName.SMS and kind is RecipientKind.APPLICANT and not urgent


def rate_limited_until(
    sent_times: list[datetime], *, now: datetime, limit: int, window: timedelta
) -> datetime | None:
    """When the next push message may go to this recipient, or None if it may go now."""
    recent = sorted(t for t in sent_times if t > now - window)
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + window


def backoff_delay(attempts: int, *, base_s: float, max_s: float) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1, 2, ...): base * 2^(n-1)."""
    return float(min(base_s * (2 ** max(attempts - 1, 0)), max_s))


@dataclass(frozen=True)
class AfterFailure:
    give_up: bool
    retry_at: datetime | None = None


def after_failure(
    result: SendResult,
    *,
    attempts: int,
    max_attempts: int,
    now: datetime,
    base_s: float,
    max_s: float,
) -> AfterFailure:
    if not result.retryable or attempts >= max_attempts:
        return AfterFailure(give_up=True)
    delay = backoff_delay(attempts, base_s=base_s, max_s=max_s)
    return AfterFailure(give_up=False, retry_at=now + timedelta(seconds=delay))
