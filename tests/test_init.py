"""Setup, entities, commands and the session, through HA's Bluetooth stack."""

from __future__ import annotations

import logging

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_HOMEASSISTANT_STOP,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest

from custom_components.tedee_bluetooth.const import (
    CONF_CONNECTION_MODE,
    CONF_PULL_ON_UNLOCK,
    CONF_REFRESH_INTERVAL,
    DOMAIN,
    MODE_ON_DEMAND,
)
from custom_components.tedee_bluetooth.tedee import LockState
from custom_components.tedee_bluetooth.tedee.wire.const import Command, ResultCode

from .ha_fixtures import (
    BATTERY,
    CHARGING,
    LOCK,
    STATUS,
    Sim,
    jump,
    settle,
    until_state,
    watch_states,
)
from .world import ACCOUNT


def motor(sim: Sim) -> list[tuple[int, bytes]]:
    """Commands that move the lock, in the order the lock ran them."""
    moving = (Command.LOCK, Command.UNLOCK, Command.PULL_SPRING)
    return [(op, p) for op, p in sim.lock.executed if op in moving]


async def call(
    hass: HomeAssistant, service: str, entity_id: str = LOCK, domain: str = LOCK_DOMAIN
) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_setup_creates_device_and_entities(
    hass: HomeAssistant,
    sim: Sim,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = await sim.setup()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(LOCK).state == "locked"
    assert hass.states.get(BATTERY).state == "87"
    assert hass.states.get(CHARGING).state == "off"
    assert hass.states.get(STATUS).state == "connected"
    rssi = entity_registry.async_get("sensor.front_door_signal_strength")
    assert rssi is not None
    assert rssi.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    (device,) = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert device.identifiers == {(DOMAIN, sim.lock.config.serial)}
    assert device.model == "Tedee GO"
    assert device.manufacturer == "Tedee"
    assert device.serial_number == sim.lock.config.serial
    assert device.sw_version == "2.4.1234"
    assert ("bluetooth", "D0:7E:DE:00:8B:D8") in device.connections
    assert hass.states.get("binary_sensor.front_door_door") is None  # no door sensor


async def test_unlock_lock_open_from_the_entity(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    states = watch_states(hass, LOCK, changes_only=True)
    await call(hass, "unlock")
    await settle(hass)
    assert states == ["unlocking", "unlocked"]
    await call(hass, "lock")
    await settle(hass)
    assert states[-2:] == ["locking", "locked"]
    await call(hass, "open")  # from locked: unlocked first, then pulled
    await settle(hass, 0.2)
    assert states[-5:] == ["unlocking", "unlocked", "opening", "open", "unlocked"]
    assert motor(sim) == [
        (Command.UNLOCK, bytes([0x00])),
        (Command.LOCK, bytes([0x00])),
        (Command.UNLOCK, bytes([0x00])),
        (Command.PULL_SPRING, b""),
    ]
    await call(hass, "open")  # from unlocked: pulled at once
    assert motor(sim)[-1] == (Command.PULL_SPRING, b"")
    assert len(motor(sim)) == 5


async def test_unlock_without_pulling_option(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup({CONF_PULL_ON_UNLOCK: False})
    await call(hass, "unlock")
    assert motor(sim) == [(Command.UNLOCK, bytes([0x03]))]


async def _set_options(hass: HomeAssistant, entry_id: str, **options: object) -> None:
    """Save the options dialog with these values (the others at their defaults)."""
    result = await hass.config_entries.options.async_init(entry_id)
    await hass.config_entries.options.async_configure(result["flow_id"], options)
    await settle(hass, 2)


async def test_an_option_read_at_use_keeps_the_link(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Pulling the spring on unlock needs no reload: the link stays, the entities
    do not go through "unavailable" (the logbook would show that), and the next
    unlock follows the new option."""
    entry = await sim.setup()
    coordinator, link = entry.runtime_data, sim.lock.connections[0]
    seen = watch_states(hass, LOCK)
    # The poll interval too, while always connected: it is used only on demand.
    await _set_options(
        hass, entry.entry_id, **{CONF_PULL_ON_UNLOCK: False, CONF_REFRESH_INTERVAL: 900}
    )
    assert entry.runtime_data is coordinator
    assert sim.lock.connections == [link]
    assert seen == []
    await call(hass, "unlock")
    assert motor(sim) == [(Command.UNLOCK, bytes([0x03]))]  # no pull


async def test_a_new_poll_interval_on_demand_keeps_the_entry_and_applies_now(
    hass: HomeAssistant, sim: Sim
) -> None:
    """No reload (no "unavailable" lines): the lock is read now, then at the new pace."""
    entry = await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    coordinator = entry.runtime_data
    seen = watch_states(hass, LOCK, changes_only=True)
    attempts = sim.lock.connect_attempts
    await _set_options(
        hass,
        entry.entry_id,
        **{CONF_CONNECTION_MODE: MODE_ON_DEMAND, CONF_REFRESH_INTERVAL: 60},
    )
    assert entry.runtime_data is coordinator
    assert sim.lock.connect_attempts == attempts + 1  # read once, now
    assert sim.lock.connections == []  # and let go
    sim.lock.press_button()
    await settle(hass, 5)
    assert seen == []  # nobody connected: not known yet
    await jump(hass, 60)
    await settle(hass, 1)
    assert seen == ["unlocked"]  # within the new 60 s, not the old 300 s
    # Saving the same interval again reads nothing more.
    attempts = sim.lock.connect_attempts
    await _set_options(
        hass,
        entry.entry_id,
        **{CONF_CONNECTION_MODE: MODE_ON_DEMAND, CONF_REFRESH_INTERVAL: 60},
    )
    assert sim.lock.connect_attempts == attempts


async def test_force_actions(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    await call(hass, "force_unlock", domain=DOMAIN)
    await settle(hass)
    await call(hass, "force_lock", domain=DOMAIN)
    assert motor(sim) == [
        (Command.UNLOCK, bytes([0x02])),
        (Command.LOCK, bytes([0x02])),
    ]


@pytest.mark.parametrize(
    ("setup_fault", "service", "key"),
    [
        ("uncalibrated", "lock", "result_not_calibrated"),
        ("dismounted", "unlock", "result_dismounted"),
        ("no_pull", "open", "result_not_configured"),
        ("no_permission", "unlock", "result_no_permission"),
    ],
)
async def test_command_errors_are_translated(
    hass: HomeAssistant, sim: Sim, setup_fault: str, service: str, key: str
) -> None:
    await sim.setup()
    if setup_fault == "uncalibrated":
        sim.lock.calibrated = False
    elif setup_fault == "dismounted":
        sim.lock.dismounted = True
    elif setup_fault == "no_pull":
        sim.lock.config.pull_spring_enabled = False
    else:
        sim.lock.faults.next_result[Command.UNLOCK] = ResultCode.NO_PERMISSION
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, service)
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN


async def test_busy_is_retried_briefly(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    sim.lock.faults.next_result[Command.UNLOCK] = ResultCode.BUSY
    await call(hass, "unlock")
    unlocks = [op for op, _ in sim.lock.executed if op == Command.UNLOCK]
    assert len(unlocks) == 2  # the BUSY one, then the one that ran


async def test_uncalibrated_state_is_unknown_not_unlocked(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.state = LockState.UNCALIBRATED
    await sim.setup()
    assert hass.states.get(LOCK).state == "unknown"


async def test_jam_is_shown(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    sim.lock.jam_next = True
    with pytest.raises(HomeAssistantError) as err:  # the action says so
        await call(hass, "unlock")
    assert err.value.translation_key == "jammed_unlocking"
    assert str(err.value).startswith("Front door jammed while unlocking.")
    await settle(hass)
    assert hass.states.get(LOCK).state == "jammed"


async def test_battery_and_charging_notifications(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.set_battery(41)
    sim.lock.set_charging(True)
    await settle(hass, 0.02)
    assert hass.states.get(BATTERY).state == "41"
    assert hass.states.get(CHARGING).state == "on"


async def test_door_sensor_appears_when_reported(hass: HomeAssistant, sim: Sim) -> None:
    sim.lock.config.has_door_sensor = True
    await sim.setup()
    assert hass.states.get("binary_sensor.front_door_door") is None
    sim.lock.set_door(door_open=True)
    await settle(hass, 0.02)
    assert hass.states.get("binary_sensor.front_door_door").state == "on"
    sim.lock.set_door(door_open=False)
    await settle(hass, 0.02)
    assert hass.states.get("binary_sensor.front_door_door").state == "off"


async def test_unload_drops_the_link(hass: HomeAssistant, sim: Sim) -> None:
    entry = await sim.setup()
    assert len(sim.lock.connections) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert sim.lock.connections == []


async def test_remove_deletes_the_mobile_registration(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    mobiles = sim.world.cloud.accounts[ACCOUNT].mobiles
    assert entry.data["mobile_id"] in mobiles
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data["mobile_id"] not in mobiles


async def test_remove_with_cloud_down_still_removes(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await sim.setup()
    sim.world.cloud.fail_next(500)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert "Could not delete" in caplog.text


async def test_setup_retries_when_lock_is_out_of_range(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.go_out_of_range()
    entry = sim.entry()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert sim.lock.connections == []


async def test_drop_reconnects_and_stays_available(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    states = watch_states(hass, LOCK, changes_only=True)
    (conn,) = sim.lock.connections
    conn.drop("radio glitch")
    await hass.async_block_till_done()
    await jump(hass, 1)
    await settle(hass, 0.05)
    assert hass.states.get(STATUS).state == "connected"
    assert len(sim.lock.connections) == 1
    assert sim.lock.connections[0] is not conn
    assert STATE_UNAVAILABLE not in states


async def test_out_of_range_goes_unavailable_after_grace_and_comes_back(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await sim.setup()
    sim.lock.go_out_of_range()
    await settle(hass, 0.02)
    assert hass.states.get(LOCK).state == "locked"  # grace period
    await jump(hass, 31)
    await settle(hass, 0.02)
    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE
    assert caplog.text.count("is unavailable") == 1
    await jump(hass, 120)
    await settle(hass, 0.02)
    assert caplog.text.count("is unavailable") == 1  # said once
    sim.lock.in_range = True
    sim.advertise()
    # Home Assistant does not pass on an unchanged advertisement, but its history
    # shows it: the lock is connected at once, not at the next back-off attempt.
    await until_state(hass, LOCK, "locked", limit=2)
    assert hass.states.get(STATUS).state == "connected"
    assert "is available again" in caplog.text


async def test_command_without_session_is_refused_not_queued(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.go_out_of_range()
    await settle(hass, 0.02)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "unlock")
    # The connect fails at once (the proxy cannot reach it): told now, not in 10 s.
    assert err.value.translation_key == "cannot_connect"
    assert str(err.value) == (
        "Could not connect to Front door over Bluetooth. Nothing was sent to the lock"
    )
    sim.lock.in_range = True
    sim.advertise()
    await jump(hass, 60)
    await settle(hass, 0.1)
    assert hass.states.get(STATUS).state == "connected"
    assert Command.UNLOCK not in [op for op, _ in sim.lock.executed]


async def test_drop_during_a_command(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    sim.lock.faults.drop_link_at = "0x51"
    with pytest.raises(HomeAssistantError):
        await call(hass, "unlock")
    assert sim.lock.state == LockState.LOCKED
    await jump(hass, 1)
    await settle(hass, 0.05)
    assert hass.states.get(STATUS).state == "connected"


async def test_keepalive_keeps_the_session(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    before = len(sim.lock.executed)
    await jump(hass, 16)
    await settle(hass, 0.05)
    assert sim.lock.executed[before:] == [(Command.GET_STATE, b"")]


async def test_on_demand_mode(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    assert sim.lock.connections == []  # let go after the first read
    assert hass.states.get(LOCK).state == "locked"
    await call(hass, "unlock")
    await settle(hass)
    assert hass.states.get(LOCK).state == "unlocked"
    assert len(sim.lock.connections) == 1  # lingers to see the motor finish
    await jump(hass, 21)
    await settle(hass, 0.05)
    assert sim.lock.connections == []
    sim.lock.press_button()
    await settle(hass)
    await jump(hass, 301)
    await settle(hass, 0.1)
    assert hass.states.get(LOCK).state == "locked"
    assert sim.lock.connections == []


async def test_door_sensor_survives_a_reload(hass: HomeAssistant, sim: Sim) -> None:
    """The lock reports the door only when it moves: keep it across a reload."""
    sim.lock.config.has_door_sensor = True
    sim.lock.set_door(False)
    entry = await sim.setup()
    door = "binary_sensor.front_door_door"
    assert hass.states.get(door) is None  # not reported yet: nothing to show
    sim.lock.set_door(True)
    await until_state(hass, door, "on")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(door).state == "on"  # not unavailable, not unknown
    sim.lock.set_door(False)
    await until_state(hass, door, "off")


async def test_home_assistant_stop_closes_the_link(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    (conn,) = sim.lock.connections
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not conn.is_connected
    assert sim.lock.connections == []
    await jump(hass, 60)
    assert sim.lock.connections == []  # and nothing reconnects
