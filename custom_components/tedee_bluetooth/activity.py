"""Activity events: fired live from state changes and again from the lock's log.

The lock logs every operation, including the ones we saw happen live; a logged
event that matches a live one from the last half minute is not fired twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .models import ActivityEvent, event_from_log, event_from_status
from .tedee import LockState, LockStatusChange
from .tedee.logs import LogRecord

LIVE_EVENT_MEMORY = 30.0  # seconds a live event suppresses the same logged event


class ActivityFeed:
    """Listeners of one lock's activity, and the memory that keeps events single."""

    def __init__(self, hass: HomeAssistant) -> None:
        """No listeners yet."""
        self._hass = hass
        self._recent_live: deque[tuple[str, float]] = deque(maxlen=32)
        self._listeners: list[Callable[[ActivityEvent], None]] = []

    @callback
    def add_listener(self, listener: Callable[[ActivityEvent], None]) -> CALLBACK_TYPE:
        """Receive activity events; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def status_changed(
        self, change: LockStatusChange, previous: LockState | None
    ) -> None:
        """A live state change; fire the operation it completes, if any."""
        event = event_from_status(change, previous, dt_util.utcnow())
        if event is not None:
            self._recent_live.append((event.event_type, self._hass.loop.time()))
            self._fire(event)

    @callback
    def logged(self, records: list[LogRecord]) -> None:
        """Records from the lock's log; those already fired live are skipped."""
        now = self._hass.loop.time()
        for record in records:
            event = event_from_log(record)
            if event is None or self._consume_live(event.event_type, now):
                continue
            self._fire(event)

    def _consume_live(self, event_type: str, now: float) -> bool:
        for item in self._recent_live:
            kind, seen = item
            if kind == event_type and now - seen < LIVE_EVENT_MEMORY:
                self._recent_live.remove(item)
                return True
        return False

    def _fire(self, event: ActivityEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
