"""One Tedee account's cloud allowance, spent with restraint.

The Tedee API allows 700 requests per hour per account, shared with everything
else on that account (the Tedee app's integrations, the official integration,
scripts). Every client built on one Personal Access Key shares one budget: a
hard cap per rolling hour, well under the account's limit, and after a 429 no
request at all until the account's window is over.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
import math
import time

from ..errors import CloudRateLimitError

# At most this many requests in any rolling hour, for every lock on the account
# together (a seventh of the account's 700).
DEFAULT_HOURLY_CAP = 100
WINDOW = 3600.0


class CloudBudget:
    """Requests this integration may still send for one account."""

    def __init__(
        self,
        hourly_cap: int = DEFAULT_HOURLY_CAP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` is monotonic seconds (the loop's time in Home Assistant)."""
        self.hourly_cap = hourly_cap
        self._clock = clock
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self.total = 0  # every request sent through this budget
        self.withheld = 0  # requests refused here, never sent

    @property
    def used(self) -> int:
        """Requests sent in the last hour."""
        self._forget(self._clock())
        return len(self._sent)

    def take(self) -> None:
        """Spend one request, or raise CloudRateLimitError saying when to retry."""
        now = self._clock()
        self._forget(now)
        wait = self._blocked_until - now
        if wait <= 0 and len(self._sent) >= self.hourly_cap:
            wait = self._sent[0] + WINDOW - now
        if wait > 0:
            self.withheld += 1
            raise CloudRateLimitError(math.ceil(wait))
        self._sent.append(now)
        self.total += 1

    def refused(self, retry_after: int | None) -> None:
        """The cloud answered 429: the account's window is spent."""
        pause = WINDOW if retry_after is None else max(retry_after, 1)
        self._blocked_until = max(self._blocked_until, self._clock() + pause)

    def _forget(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()
