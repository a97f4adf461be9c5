"""How many wrong verification codes a case number takes before code attempts pause.

The code (8 characters from 31) is the only secret between a case number, which is printed on
receipts and guessable, and the applicant's personal data; so guesses are counted per case
number, whether or not such a case exists (a pause only for real cases would tell which exist).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta


def code_locked_until(
    earlier_failures: Sequence[datetime],
    *,
    now: datetime,
    max_failures: int,
    window: timedelta,
) -> datetime | None:
    """When the next code attempt on a case number may be made, or None when it may be now.

    ``max_failures`` wrong codes within any ``window`` pause the attempts until the oldest of
    them leaves the window. A failure recorded after ``now`` counts too: a concurrent request
    (or another replica, its clock a little ahead) read its time later but recorded it first.
    """
    recent = sorted(t for t in earlier_failures if t > now - window)
    if len(recent) < max_failures:
        return None
    return recent[-max_failures] + window


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """The Retry-After value: whole seconds, at least 1."""
    return max(1, math.ceil((until - now).total_seconds()))
