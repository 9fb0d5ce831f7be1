"""Device triggers, as the automation editor lists, attaches and fires them.

Each real operation fires exactly one; a reload, a reconnect or a return into
range fires none (the entities do come back from "unavailable" then).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
)

from custom_components.tedee_bluetooth.const import CONF_HAS_DOOR_SENSOR, DOMAIN
from custom_components.tedee_bluetooth.device_trigger import (
    LOCK_TRIGGERS,
    TRIGGER_TYPES,
)
from custom_components.tedee_bluetooth.tedee.wire.const import Command

from .ha_fixtures import LOCK, STATUS, Sim, jump, settle, until_state


def _device_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    return device.id


async def _automations(
    hass: HomeAssistant, device_id: str, types: tuple[str, ...]
) -> list[str]:
    """One automation per trigger type; returns the types as they fire."""
    fired: list[str] = []

    @callback
    def _record(call: ServiceCall) -> None:
        fired.append(call.data["type"])

    hass.services.async_register("test", "record", _record)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device_id,
                        "type": trigger_type,
                    },
                    "action": {
                        "service": "test.record",
                        "data": {"type": trigger_type},
                    },
                }
                for trigger_type in types
            ]
        },
    )
    return fired


async def test_the_editor_lists_the_triggers(hass: HomeAssistant, sim: Sim) -> None:
    entry = await sim.setup()
    device_id = _device_id(hass, entry)
    listed: list[dict[str, Any]] = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device_id
    )
    ours = {t["type"] for t in listed if t["domain"] == DOMAIN}
    assert ours == set(LOCK_TRIGGERS)  # no door triggers without a door sensor
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HAS_DOOR_SENSOR: True}
    )
    listed = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device_id
    )
    assert {t["type"] for t in listed if t["domain"] == DOMAIN} == set(TRIGGER_TYPES)


async def test_each_real_event_fires_once_and_nothing_else_does(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.config.has_door_sensor = True
    entry = await sim.setup()
    sim.lock.set_door(door_open=False)  # the door is known to be closed
    await settle(hass, 1)
    fired = await _automations(hass, _device_id(hass, entry), TRIGGER_TYPES)

    sim.lock.set_door(door_open=True)
    await settle(hass, 1)
    sim.lock.set_door(door_open=False)
    await settle(hass, 1)
    sim.lock.press_button()  # unlocks (it was locked)
    await settle(hass, 2)
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 12)  # the remote operation waits for its log record
    assert fired == ["door_opened", "door_closed", "unlocked_button", "locked_remote"]

    # A reload, a reconnect and a return into range: the entities come back
    # from unavailable, and nothing fires.
    await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass, 2)
    sim.lock.connections[0].drop("a blip")
    await until_state(hass, STATUS, "connected", limit=5)
    await jump(hass, 31)  # a session that lives: the next drop is tried at once
    await sim.out_of_range()
    await sim.back_in_range()
    await until_state(hass, LOCK, "locked", limit=10)
    await settle(hass, 12)
    assert fired == ["door_opened", "door_closed", "unlocked_button", "locked_remote"]
    # And after all that, a real door movement still fires once.
    sim.lock.set_door(door_open=True)
    await settle(hass, 1)
    assert fired[-1] == "door_opened"
    assert len(fired) == 5
    assert Command.LOCK in [op for op, _ in sim.lock.executed]


async def test_the_first_door_movement_after_pairing_fires(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Nothing known about the door yet: the sensor's own report still counts."""
    sim.lock.config.has_door_sensor = True
    entry = await sim.setup()
    fired = await _automations(hass, _device_id(hass, entry), TRIGGER_TYPES)
    sim.lock.set_door(door_open=True)
    await settle(hass, 1)
    assert fired == ["door_opened"]
