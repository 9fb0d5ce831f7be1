"""The logbook as a user reads it: Home Assistant's recorder and logbook, queried as the UI does.

An outage, a reload and a change at the lock, each followed by the lines they
leave. What Home Assistant itself writes around an unload (each entity
``unavailable`` and its value again) is pinned too, so that a change here or in
Home Assistant that adds a line shows up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.tedee_bluetooth.const import (
    CONF_CONNECTION_MODE,
    CONF_PERSONAL_KEY,
    CONF_READ_ACTIVITY_LOG,
    DOMAIN,
    MODE_ALWAYS,
    MODE_ON_DEMAND,
)
from custom_components.tedee_bluetooth.tedee.wire.logs import EventId

from .ha_fixtures import ACTIVITY, LOCK, STATUS, Sim, jump, settle, until_state
from .world import ACCOUNT

DOOR = "binary_sensor.front_door_door"

type Line = tuple[str, str]


@pytest.fixture
async def logbook(
    recorder_mock: Any,
    hass: HomeAssistant,
    hass_ws_client: Any,
    unused_tcp_port: int,
) -> Any:
    """The logbook's websocket, as the logbook panel and the device page use it.

    First in a test's arguments: the recorder starts before Home Assistant.
    The logbook brings the frontend, which starts the HTTP server: on a free
    port, not 8123, so that parallel runs do not take each other's.
    """
    assert await async_setup_component(
        hass, "http", {"http": {"server_port": unused_tcp_port}}
    )
    assert await async_setup_component(hass, "logbook", {})
    return hass_ws_client


async def _lines_since(
    hass: HomeAssistant, ws_client: Any, start: datetime
) -> list[Line]:
    """Each logbook line since ``start``: (entity, state) or ("activity", our line).

    A new connection for each question: the test's clock jumps past the idle
    timeouts of an open one.
    """
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    client = await ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            # State times are the real clock's; the test's clock runs ahead of it.
            "end_time": "2100-01-01T00:00:00+00:00",
        }
    )
    reply = await client.receive_json()
    assert reply["success"]
    return [
        ("activity", line["message"])
        if line.get("domain") == DOMAIN
        else (line["entity_id"], line["state"])
        for line in reply["result"]
        if line.get("domain") == DOMAIN
        or line.get("entity_id", "").startswith(
            ("lock.front_door", "binary_sensor.front_door", "event.front_door")
        )
    ]


def _now() -> datetime:
    return datetime.now(UTC)


async def _door_lock_with_a_past(sim: Sim, *, door_open: bool) -> MockConfigEntry:
    """A lock with a door sensor, set up; the door reported, one activity event."""
    sim.lock.config.has_door_sensor = True
    entry = await sim.setup()
    sim.lock.set_door(door_open=door_open)
    sim.lock.record_event(EventId.UNLOCKED_BUTTON)
    await settle(sim.hass, 2)
    return entry


async def test_an_outage_logs_the_outage_and_no_activity(
    logbook: Any, hass: HomeAssistant, sim: Sim
) -> None:
    """The lock goes and comes back; its activity entity says nothing meanwhile."""
    await _door_lock_with_a_past(sim, door_open=False)
    last_event = hass.states.get(ACTIVITY).state
    start = _now()
    await sim.out_of_range()
    await sim.back_in_range()
    await settle(hass, 5)
    lines = await _lines_since(hass, logbook, start)
    assert (ACTIVITY, "unavailable") not in lines
    assert [line for line in lines if line[0] == ACTIVITY] == []
    assert hass.states.get(ACTIVITY).state == last_event
    # The lock and the door went and came back: that did happen.
    assert [line for line in lines if line[0] == LOCK] == [
        (LOCK, "unavailable"),
        (LOCK, "locked"),
    ]
    assert [line for line in lines if line[0] == DOOR] == [
        (DOOR, "unavailable"),
        (DOOR, "off"),
    ]
    assert not [line for line in lines if line[0] == "activity"]


async def test_what_happened_out_of_range_is_logged_once_when_the_lock_is_back(
    logbook: Any, hass: HomeAssistant, sim: Sim
) -> None:
    """The gap is filled from the lock's own log: the event is late, not lost."""
    await sim.setup()
    await sim.out_of_range()
    start = _now()
    sim.lock.record_event(EventId.UNLOCKED_BUTTON)  # at the lock, out of reach
    await jump(hass, 30)
    assert hass.states.get(ACTIVITY).state != "unavailable"
    await sim.back_in_range()
    await settle(hass, 5)
    lines = await _lines_since(hass, logbook, start)
    assert [line for line in lines if line[0] == "activity"] == [
        ("activity", "Unlocked with the button")
    ]
    assert hass.states.get(ACTIVITY).attributes["event_type"] == "unlocked_button"


@pytest.mark.parametrize("in_place", [False, True], ids=["at setup", "changed"])
async def test_without_log_reading_an_outage_loses_events_and_says_so(
    hass: HomeAssistant, sim: Sim, in_place: bool
) -> None:
    """Nothing fills the gap then: the activity entity is unavailable with the lock."""
    off = {CONF_READ_ACTIVITY_LOG: False}
    await (sim.setup_then_change(off) if in_place else sim.setup(off))
    await sim.out_of_range()
    assert hass.states.get(ACTIVITY).state == "unavailable"


async def test_a_reload_logs_home_assistants_pair_and_nothing_else(
    logbook: Any, hass: HomeAssistant, sim: Sim
) -> None:
    """No ``unknown``, no activity, no value other than the one before.

    Home Assistant writes each entity ``unavailable`` when its entry unloads and
    the value when it is back (``RegistryEntry.write_unavailable_state``). Its
    only alternative, taking the state out, reaches automations as a state with
    no new value and, when put back, as one with no old value: the documented
    ``not_from: unavailable`` guard lets both through, and the README's keypad
    automation would run again on each reload (tried; see the README).
    """
    entry = await _door_lock_with_a_past(sim, door_open=True)
    before = {
        entity_id: hass.states.get(entity_id).state
        for entity_id in (LOCK, DOOR, ACTIVITY)
    }
    start = _now()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass, 5)
    lines = await _lines_since(hass, logbook, start)
    for entity_id, value in before.items():
        assert [line for line in lines if line[0] == entity_id] == [
            (entity_id, "unavailable"),
            (entity_id, value),
        ]
    assert not [line for line in lines if line[0] == "activity"]
    assert not [line for line in lines if line[1] == "unknown"]


async def test_a_change_at_the_lock_is_one_line(
    logbook: Any, hass: HomeAssistant, sim: Sim
) -> None:
    """A door opened: the door entity's line and our activity line, nothing more."""
    await _door_lock_with_a_past(sim, door_open=False)
    start = _now()
    sim.lock.set_door(door_open=True)
    await settle(hass, 2)
    assert await _lines_since(hass, logbook, start) == [
        (DOOR, "on"),
        ("activity", "Door opened (door sensor)"),
    ]


async def test_options_and_a_new_key_leave_no_line(
    logbook: Any, hass: HomeAssistant, sim: Sim
) -> None:
    """Neither switching the connection mode both ways nor a new key reloads."""
    entry = await _door_lock_with_a_past(sim, door_open=False)
    start = _now()
    sim.change_options(entry, **{CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    await settle(hass, 5)
    sim.change_options(entry, **{CONF_CONNECTION_MODE: MODE_ALWAYS})
    await until_state(hass, STATUS, "connected", limit=10)
    sim.world.cloud.add_key("new-key", ACCOUNT)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PERSONAL_KEY: "new-key"}
    )
    assert result["reason"] == "reconfigure_successful"
    await settle(hass, 5)
    assert await _lines_since(hass, logbook, start) == []
