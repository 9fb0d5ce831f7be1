"""The activity feed's memory: bounded, and nothing left armed after stop."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from custom_components.tedee_bluetooth.activity import ActivityFeed
from custom_components.tedee_bluetooth.models import ActivityEvent, TedeeLockData
from custom_components.tedee_bluetooth.tedee import LockState, LockStatusChange
from custom_components.tedee_bluetooth.tedee.wire.notifications import (
    NotificationCode,
    Trigger,
)

UNLOCKING = TedeeLockData(state=LockState.UNLOCKING)


def _remote_unlock() -> LockStatusChange:
    return LockStatusChange(
        NotificationCode.LOCK_STATUS_CHANGE, LockState.UNLOCKED, 0, Trigger.REMOTE
    )


async def test_a_waiting_operation_pushed_out_of_memory_fires_at_once(
    hass: HomeAssistant,
) -> None:
    feed = ActivityFeed(hass, lambda _user: None)
    fired: list[ActivityEvent] = []
    feed.add_listener(fired.append)
    for _ in range(32):  # remote operations wait for their log record
        feed.status_changed(_remote_unlock(), UNLOCKING)
    assert fired == []
    feed.status_changed(_remote_unlock(), UNLOCKING)  # the 33rd
    assert [e.event_type for e in fired] == ["unlocked_remote"]
    assert fired[0].attributes["user_id"] is None
    feed.async_stop()  # every other wait is cancelled: no timer outlives the feed
    feed.status_changed(_remote_unlock(), UNLOCKING)  # after stop: nothing
    assert len(fired) == 1
