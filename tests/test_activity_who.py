"""Who did it: activity events name the Tedee user the lock's log names, once.

The lock's live notification says how (button, remote, auto-lock) at once; only
its log says who, as the Tedee user id the cloud's activity list names too.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest

from custom_components.tedee_bluetooth.activity import WHO_WAIT
from custom_components.tedee_bluetooth.const import CONF_CONNECTION_MODE, MODE_ON_DEMAND
from custom_components.tedee_bluetooth.user_names import RETRY_AFTER
from simulator import cloud_activity
from simulator.cloud import ALL_SCOPES
from simulator.lock import Actor
from simulator.wire import Op, Result

from .ha_fixtures import ACTIVITY, LOCK, Sim, jump, settle
from .world import ACCOUNT, KEY

OWNER = (1001, "Acct User")  # the test account's Tedee user (the simulated cloud's)
GUEST_ACCESS = 0x0BADCAFE  # what the guest's phone shows up as in live notifications


def watch_events(hass: HomeAssistant) -> list[dict[str, Any]]:
    """The attributes of every activity event from now on, as it fires."""
    events: list[dict[str, Any]] = []

    @callback
    def _fired(event: Event[EventStateChangedData]) -> None:
        new, old = event.data["new_state"], event.data["old_state"]
        if new is None or new.state == "unavailable":
            return
        if old is not None and old.state == "unavailable":
            return  # back after a dropout: no new event
        if new.attributes.get("event_type"):
            events.append(dict(new.attributes))

    async_track_state_change_event(hass, [ACTIVITY], _fired)
    return events


async def set_up_and_watch(hass: HomeAssistant, sim: Sim) -> list[dict[str, Any]]:
    """The lock set up and its first reads done; its activity events from now on."""
    await sim.setup()
    await settle(hass, 0.1)
    return watch_events(hass)


def who(attributes: dict[str, Any]) -> tuple[int | None, str | None]:
    return attributes["user_id"], attributes["user_name"]


def activity_lookups(sim: Sim) -> int:
    return sum(
        path.endswith("/my/deviceactivity")
        for _method, path in sim.world.cloud.request_log
    )


def add_guest(sim: Sim) -> int:
    """A second Tedee user with access to the lock; their user id."""
    sim.world.cloud.add_key("guest-key", "guest")
    return sim.world.cloud.accounts["guest"].user_id


async def test_own_unlock_names_the_user_and_fires_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    events = await set_up_and_watch(hass, sim)
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 1)
    assert [e["event_type"] for e in events] == ["unlocked_remote"]
    assert who(events[0]) == OWNER
    assert "access_id" not in events[0]
    assert sim.lock.logs == []  # its record was fetched and not fired again
    await jump(hass, 60)
    assert len(events) == 1


async def test_a_guest_phone_is_named_not_shown_as_its_access_id(
    hass: HomeAssistant, sim: Sim
) -> None:
    guest = add_guest(sim)
    device = sim.lock.config.device_id
    # The guest's phone uploaded an earlier unlock: the cloud knows their name.
    sim.world.cloud.add_activity(device, "guest", cloud_activity.UNLOCKED_REMOTE)
    events = await set_up_and_watch(hass, sim)
    assert (
        sim.lock.operated_elsewhere(Op.UNLOCK, Actor(GUEST_ACCESS, guest))
        == Result.SUCCESS
    )
    await settle(hass, 1)
    assert [e["event_type"] for e in events] == ["unlocked_remote"]
    assert who(events[0]) == (guest, "Guest User")
    assert GUEST_ACCESS not in events[0].values()


async def test_a_remote_operation_waits_for_its_record_no_longer_than_the_bound(
    hass: HomeAssistant, sim: Sim
) -> None:
    events = await set_up_and_watch(hass, sim)
    sim.lock.faults.logs_busy = 10**6  # the log cannot be read for now
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, WHO_WAIT - 1)
    assert hass.states.get(LOCK).state == "unlocked"  # the lock itself is not held
    assert events == []  # still waiting to learn who
    await settle(hass, 1.5)
    assert [e["event_type"] for e in events] == ["unlocked_remote"]
    assert who(events[0]) == (None, None)  # the bound passed: fired without who
    sim.lock.faults.logs_busy = 0  # the record comes late ...
    await settle(hass, 2)
    assert sim.lock.logs == []
    assert len(events) == 1  # ... and does not fire a second time


async def test_a_keypad_unlock_fires_once_as_the_keypad_naming_the_pin_owner(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Live, a keypad unlock looks like any remote one; its record says keypad, and whose PIN."""
    guest = add_guest(sim)
    # The guest's PIN unlocked the lock before, so the cloud's list names them.
    sim.world.cloud.add_activity(
        sim.lock.config.device_id, "guest", cloud_activity.UNLOCK_BY_PIN
    )
    events = await set_up_and_watch(hass, sim)
    sim.lock.keypad_unlock(guest, "Back door PIN")
    await settle(hass, WHO_WAIT + 5)
    assert [e["event_type"] for e in events] == ["unlocked_keypad"]
    assert who(events[0]) == (guest, "Guest User")
    assert events[0]["pin_name"] == "Back door PIN"  # the log's PIN alias
    assert sim.lock.logs == []


async def test_a_keypad_record_after_the_bound_does_not_fire_a_second_time(
    hass: HomeAssistant, sim: Sim
) -> None:
    events = await set_up_and_watch(hass, sim)
    sim.lock.faults.logs_busy = 10**6
    sim.lock.keypad_unlock(1001, "Owner")
    await settle(hass, WHO_WAIT + 1)
    assert [e["event_type"] for e in events] == ["unlocked_remote"]  # how, as seen live
    sim.lock.faults.logs_busy = 0
    await settle(hass, 2)
    assert sim.lock.logs == []
    assert len(events) == 1


async def test_button_and_auto_lock_fire_at_once_without_a_user(
    hass: HomeAssistant, sim: Sim
) -> None:
    events = await set_up_and_watch(hass, sim)
    sim.lock.press_button()
    await settle(hass, 0.05)  # the move (30 ms) is over; the log is not read yet
    assert [e["event_type"] for e in events] == ["unlocked_button"]
    sim.lock.auto_lock()
    await settle(hass, 1)
    assert [e["event_type"] for e in events] == ["unlocked_button", "locked_auto"]
    assert [who(e) for e in events] == [(None, None), (None, None)]
    assert sim.lock.logs == []  # both records fetched, neither fired again


async def test_operations_from_the_log_name_their_user(
    hass: HomeAssistant, sim: Sim
) -> None:
    guest = add_guest(sim)
    sim.world.cloud.add_activity(
        sim.lock.config.device_id, "guest", cloud_activity.UNLOCKED_REMOTE
    )
    await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    await settle(hass, 1)
    assert sim.lock.connections == []
    events = watch_events(hass)
    # While nobody is connected: the guest's phone unlocks, the owner locks.
    assert (
        sim.lock.operated_elsewhere(Op.UNLOCK, Actor(GUEST_ACCESS, guest))
        == Result.SUCCESS
    )
    await settle(hass, 0.1)
    assert (
        sim.lock.operated_elsewhere(Op.LOCK, Actor(GUEST_ACCESS + 1, OWNER[0]))
        == Result.SUCCESS
    )
    await jump(hass, 301)  # the next poll reads the log
    await settle(hass, 1)
    assert [(e["event_type"], who(e), e["source"]) for e in events] == [
        ("unlocked_remote", (guest, "Guest User"), "activity_log"),
        ("locked_remote", OWNER, "activity_log"),
    ]


async def test_an_unknown_user_is_named_after_the_next_lookup(
    hass: HomeAssistant, sim: Sim
) -> None:
    guest = add_guest(sim)  # nothing of the guest on the cloud's list yet
    await sim.setup()
    await settle(hass, 0.1)
    assert activity_lookups(sim) == 1  # at setup, so first events can be named
    events = watch_events(hass)
    assert (
        sim.lock.operated_elsewhere(Op.UNLOCK, Actor(GUEST_ACCESS, guest))
        == Result.SUCCESS
    )
    await settle(hass, 1)
    assert who(events[-1]) == (guest, None)  # named by id; the name is not known
    # The guest's phone uploads its log to the cloud, as phones do.
    sim.world.cloud.add_activity(
        sim.lock.config.device_id, "guest", cloud_activity.UNLOCKED_REMOTE
    )
    assert (
        sim.lock.operated_elsewhere(Op.LOCK, Actor(GUEST_ACCESS, guest))
        == Result.SUCCESS
    )
    await settle(hass, 1)
    assert who(events[-1]) == (guest, None)
    assert activity_lookups(sim) == 1  # no sooner than RETRY_AFTER
    await jump(hass, RETRY_AFTER)
    assert (
        sim.lock.operated_elsewhere(Op.UNLOCK, Actor(GUEST_ACCESS, guest))
        == Result.SUCCESS
    )
    await settle(hass, 1)
    assert activity_lookups(sim) == 2  # the unknown id asked again, in the background
    assert (
        sim.lock.operated_elsewhere(Op.LOCK, Actor(GUEST_ACCESS, guest))
        == Result.SUCCESS
    )
    await settle(hass, 1)
    assert who(events[-1]) == (guest, "Guest User")
    assert len(events) == 4


async def test_a_key_without_the_activity_scope_still_names_user_ids(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    sim.world.cloud.add_key(KEY, ACCOUNT, ALL_SCOPES - {cloud_activity.SCOPE})
    events = await set_up_and_watch(hass, sim)
    for _ in range(2):
        await hass.services.async_call(
            "lock", "unlock", {"entity_id": LOCK}, blocking=True
        )
        await settle(hass, 1)
        await jump(hass, RETRY_AFTER + 1)
    assert [who(e) for e in events] == [(OWNER[0], None)] * 2
    assert activity_lookups(sim) == 1  # refused once: never asked again this run
    assert "may not read device activity" in caplog.text
    assert hass.states.get(LOCK).state == "unlocked"  # nothing else is affected


async def test_a_failing_cloud_never_holds_an_event(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    await settle(hass, 0.1)
    sim.world.cloud.reject_key(KEY)  # every request now gets 401
    guest = add_guest(sim)
    await jump(hass, RETRY_AFTER + 1)
    events = watch_events(hass)
    assert (
        sim.lock.operated_elsewhere(Op.UNLOCK, Actor(GUEST_ACCESS, guest))
        == Result.SUCCESS
    )
    await settle(hass, 1)
    assert [(e["event_type"], who(e)) for e in events] == [
        ("unlocked_remote", (guest, None))
    ]
    assert activity_lookups(sim) == 2  # tried, refused, and the event went out


async def test_every_event_the_vendor_lists_has_its_own_type(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Bridge, access-link and firmware records are named; an unknown id keeps its number."""
    entry = await sim.setup()
    await settle(hass, 0.1)
    events = watch_events(hass)
    for event_id in (0xE5, 0xE2, 0xE1, 0x2E, 0x7F):
        sim.lock.record_event(event_id, OWNER[0])
    await settle(hass, 3)
    assert [e["event_type"] for e in events] == [
        "unlocked_bridge",
        "locked_link",
        "firmware_updated",
        "charging_started",
        "other",
    ]
    assert events[-1]["log_event"] == "event_0x7f"
    assert "pin_name" not in events[0]  # only where the log names a PIN
    # The firmware changed: the next session reads the version again.
    assert entry.runtime_data.session.read_version
