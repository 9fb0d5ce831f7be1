"""The session's one scheduler: the next connect attempt, in both modes.

One wake-up is pending at a time. After a failure the pause grows along the
back-off table (a longer one when no connection slot was free); a lock that is
not registered is looked at again every ten minutes; a lock out of range waits
for an advertisement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .config import SessionConfig
from .status import ConnectionStatus


class Scheduler:
    """When to try the lock again."""

    def __init__(
        self, config: Callable[[], SessionConfig], wake: Callable[[], None]
    ) -> None:
        """``config()`` is the session's current config; ``wake()`` is called on time."""
        self._config = config
        self._wake = wake
        self._handle: asyncio.TimerHandle | None = None
        self._failures = 0
        self._table: tuple[float, ...] = ()

    @property
    def pending(self) -> bool:
        """A wake-up is scheduled."""
        return self._handle is not None

    def at(self, delay: float, *, sooner: bool = False) -> None:
        """Wake after ``delay``; ``sooner`` replaces a later pending wake-up."""
        if self._handle is not None:
            if not sooner:
                return
            self._handle.cancel()
        self._handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def at_most(self, delay: float) -> None:
        """Wake no later than ``delay`` from now (a pending sooner wake-up stays)."""
        loop = asyncio.get_running_loop()
        if self._handle is not None and self._handle.when() <= loop.time() + delay:
            return
        self.at(delay, sooner=True)

    def retry_delay(self, status: ConnectionStatus) -> float | None:
        """After a failed attempt or a lost session; None: wait for something else."""
        config = self._config()
        if status is ConnectionStatus.NOT_REGISTERED:
            return config.not_registered_retry
        if not config.always_connected or status is ConnectionStatus.OUT_OF_RANGE:
            return None  # the next poll, command or advertisement tries again
        if status is ConnectionStatus.NO_CONNECTION_SLOT:
            table = config.no_slot_backoff
        elif status in (
            ConnectionStatus.INVALID_CERTIFICATE,
            ConnectionStatus.CLOCK_SKEW,
        ):
            table = config.refused_backoff
        else:
            table = config.reconnect_backoff
        if table is not self._table:  # another kind of failure: start its table
            self._table, self._failures = table, 0
        delay = table[min(self._failures, len(table) - 1)]
        self._failures += 1
        return delay

    def reset(self) -> None:
        """Connected, or the lock is back: the back-off starts from the beginning."""
        self._failures = 0

    def cancel(self) -> None:
        """Nothing pending."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        self._wake()
