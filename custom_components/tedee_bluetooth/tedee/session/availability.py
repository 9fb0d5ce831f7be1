"""Available, or not: a lost session counts only once it stays lost a while.

A drop that a reconnect mends within the grace period never shows as
"unavailable", and the log says so once per outage, not once per attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging

_LOGGER = logging.getLogger(__name__)


class Availability:
    """Whether the lock's entities should show as available."""

    def __init__(
        self,
        name: str,
        grace: float,
        why: Callable[[], str],
        on_change: Callable[[], None],
    ) -> None:
        """``why()`` names the reason when the lock becomes unavailable."""
        self.available = False
        self._name = name
        self._grace = grace
        self._why = why
        self._on_change = on_change
        self._timer: asyncio.TimerHandle | None = None
        self._logged = False

    def up(self) -> None:
        """A session is up."""
        self._cancel()
        if self._logged:
            _LOGGER.info("Tedee lock %s is available again", self._name)
            self._logged = False
        self._set(True)

    def down(self) -> None:
        """Unavailable at once (the lock will not talk to us)."""
        self._cancel()
        self._set(False)

    def lost(self) -> None:
        """The session is gone: unavailable unless it is back within the grace."""
        if self.available and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                self._grace, self._expired
            )

    def stop(self) -> None:
        """No more timers."""
        self._cancel()

    def _expired(self) -> None:
        self._timer = None
        if not self._logged:
            _LOGGER.info("Tedee lock %s is unavailable: %s", self._name, self._why())
            self._logged = True
        self._set(False)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _set(self, available: bool) -> None:
        if available is not self.available:
            self.available = available
            self._on_change()
