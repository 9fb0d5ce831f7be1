"""Activity events: one per operation, naming who did it where the lock says.

The lock logs every operation, including the ones we see happen live. "Who" has
one documented source: the log's USER_ID, the Tedee user id the cloud's activity
list names too. (The live notification's 4-byte id is undocumented, so it is not
shown as a user.) So:

- a live operation that has no user (button, knob, auto-lock, a jam) fires at once;
- a live *remote* operation (an app, a bridge, Home Assistant, the keypad,
  HomeKit: all reach the lock over a link and carry the same trigger) waits up
  to ``WHO_WAIT`` for its log record and fires once, as the record says how and
  who (``unlocked_keypad`` by Anna), or as seen live, without a user, when the
  record does not come in time;
- a logged operation that was not seen live fires with its user;
- a logged operation already fired live within ``LIVE_EVENT_MEMORY`` is not
  fired twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .models import ActivityEvent, TedeeLockData, event_from_log, event_from_status
from .tedee import LockStatusChange
from .tedee.wire.logs import LogRecord
from .tedee.wire.notifications import Trigger

LIVE_EVENT_MEMORY = 30.0  # seconds a live event suppresses the same logged event
# The lock announces a new record at once and every 5 s until it is fetched.
WHO_WAIT = 10.0

Names = Callable[[int], str | None]


@dataclass(slots=True)
class _Live:
    """An operation seen live; ``waiting`` while it waits to learn who did it."""

    event: ActivityEvent
    seen: float
    waiting: CALLBACK_TYPE | None = None


class ActivityFeed:
    """Listeners of one lock's activity, and the memory that keeps events single."""

    def __init__(
        self,
        hass: HomeAssistant,
        names: Names,
        *,
        wait_for_records: Callable[[], bool] = lambda: True,
    ) -> None:
        """No listeners yet; ``names`` gives a user id's name if it is known.

        ``wait_for_records``: False when the log is not read; then a remote
        operation fires at once, as seen live. Asked each time: the option
        changes in place.
        """
        self._hass = hass
        self._wait_for_records = wait_for_records
        self._names = names
        self._recent_live: deque[_Live] = deque(maxlen=32)
        self._listeners: list[Callable[[ActivityEvent], None]] = []
        self._stopped = False

    @callback
    def add_listener(self, listener: Callable[[ActivityEvent], None]) -> CALLBACK_TYPE:
        """Receive activity events; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def status_changed(self, change: LockStatusChange, previous: TedeeLockData) -> None:
        """A live state change; fire the operation it completes, if any."""
        event = event_from_status(change, previous, dt_util.utcnow())
        if event is None or self._stopped:
            return
        live = _Live(event, self._hass.loop.time())
        if len(self._recent_live) == self._recent_live.maxlen:
            oldest = self._recent_live[0]
            if oldest.waiting is not None:  # leaving memory: fire it now, once
                oldest.waiting()
                self._fire_waiting(oldest, None)
        self._recent_live.append(live)
        if (
            change.trigger == Trigger.REMOTE
            and not change.jammed
            and self._wait_for_records()
        ):

            @callback
            def _no_record_in_time(_now: datetime) -> None:
                self._fire_waiting(live, None)

            live.waiting = async_call_later(self._hass, WHO_WAIT, _no_record_in_time)
        else:
            self._fire(event.by(None, None))

    @callback
    def logged(self, records: list[LogRecord]) -> None:
        """Records from the lock's log; those already fired live are skipped."""
        now = self._hass.loop.time()
        for record in records:
            event = event_from_log(record)
            user_id = record.user_id or None  # 0: the lock does not know
            live = self._consume_live(event.event_type, now)
            if live is None:
                self._fire(event.by(user_id, self._name(user_id)))
            elif live.waiting is not None:
                live.waiting()
                # The record knows how (the keypad, HomeKit or an app) and
                # which PIN.
                live.event = ActivityEvent(
                    event.event_type,
                    {**live.event.attributes, **_pin_of(event)},
                )
                self._fire_waiting(live, user_id)

    @callback
    def async_stop(self) -> None:
        """Forget waiting operations and arm no more timers (the entry unloads)."""
        self._stopped = True
        for live in self._recent_live:
            if live.waiting is not None:
                live.waiting()
                live.waiting = None
        self._recent_live.clear()

    def _fire_waiting(self, live: _Live, user_id: int | None) -> None:
        """The remote operation, now that its record came or the wait is over."""
        live.waiting = None
        self._fire(live.event.by(user_id, self._name(user_id)))

    def _name(self, user_id: int | None) -> str | None:
        return None if user_id is None else self._names(user_id)

    def _consume_live(self, logged_type: str, now: float) -> _Live | None:
        """The oldest remembered live operation this record logs, taken from memory."""
        for live in self._recent_live:
            recent = now - live.seen < LIVE_EVENT_MEMORY
            if recent and same_operation(live.event.event_type, logged_type):
                self._recent_live.remove(live)
                return live
        return None

    def _fire(self, event: ActivityEvent) -> None:
        for listener in list(self._listeners):
            listener(event)


# How the log names an operation that arrived over a link; live they are all
# "remote" (an auto-unlock is an UNLOCK command with the AUTO parameter; a
# bridge and an access link reach the lock over Bluetooth too).
_OVER_A_LINK = frozenset({"remote", "keypad", "homekit", "auto", "link", "bridge"})


def _pin_of(event: ActivityEvent) -> dict[str, Any]:
    return {k: v for k, v in event.attributes.items() if k == "pin_name"}


def same_operation(live_type: str, logged_type: str) -> bool:
    """Whether a log record is the operation seen live as ``live_type``."""
    if live_type == logged_type:
        return True
    verb, _, how = live_type.rpartition("_")
    logged_verb, _, logged_how = logged_type.rpartition("_")
    return how == "remote" and logged_verb == verb and logged_how in _OVER_A_LINK
