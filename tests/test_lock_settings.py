"""Lock settings as entities: read from the cloud, changed with PATCH, synced by the lock.

A change shows at once and says the lock has yet to apply it; a conflict is
read again and tried once more; a key that may not change settings shows
them read-only, saying why.
"""

from __future__ import annotations

from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest

from simulator.cloud import ALL_SCOPES, CloudLockRecord

from .ha_fixtures import Sim, jump, settle, watch_states
from .world import ACCOUNT, KEY

AUTO_LOCK = "switch.front_door_auto_lock"
AUTO_LOCK_DELAY = "number.front_door_auto_lock_delay"
AUTO_PULL = "switch.front_door_pull_spring_on_unlock"
PULL_DURATION = "number.front_door_pull_spring_duration"
READ_ONLY_AUTO_LOCK = "binary_sensor.front_door_auto_lock"
READ_ONLY_DELAY = "sensor.front_door_auto_lock_delay"

# Most settings are disabled by default; these tests use them all.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def _record(sim: Sim) -> CloudLockRecord:
    return sim.world.cloud.accounts[ACCOUNT].locks[sim.lock.config.device_id]


def _requests(sim: Sim, since: int) -> list[tuple[str, str]]:
    return [
        (method, path.removeprefix("/api/v37"))
        for method, path in sim.world.cloud.request_log[since:]
        if "/my/lock" in path
    ]


async def _switch(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    await hass.services.async_call(
        "switch",
        "turn_on" if on else "turn_off",
        {"entity_id": entity_id},
        blocking=True,
    )


async def _number(hass: HomeAssistant, entity_id: str, value: float) -> None:
    await hass.services.async_call(
        "number", "set_value", {"entity_id": entity_id, "value": value}, blocking=True
    )


async def test_settings_show_the_clouds_values(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    state = hass.states.get(AUTO_LOCK)
    assert state.state == "off"
    assert state.attributes["waiting_for_lock_sync"] is False
    assert hass.states.get(AUTO_LOCK_DELAY).state == "10"
    assert hass.states.get(AUTO_LOCK_DELAY).attributes["unit_of_measurement"] == "s"
    assert hass.states.get(PULL_DURATION).state == "10"
    # No door sensor: no door-open alert, no auto-lock on closing.
    assert hass.states.get("switch.front_door_door_open_alert") is None
    entry = er.async_get(hass).async_get(AUTO_LOCK)
    assert entry.entity_category is EntityCategory.CONFIG


async def test_a_change_is_written_and_waits_for_the_lock(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    since = len(sim.world.cloud.request_log)
    await _switch(hass, AUTO_LOCK, True)
    await _number(hass, AUTO_LOCK_DELAY, 30)
    await settle(hass, 1)
    # Each change is written, then the record read to confirm what the cloud holds.
    write, read = ("PATCH", "/my/lock"), ("GET", "/my/lock/35800")
    assert _requests(sim, since) == [write, read, write, read]
    record = _record(sim)
    assert record.settings["autoLockEnabled"] is True
    assert record.settings["autoLockDelay"] == 30
    assert record.revision == 3
    state = hass.states.get(AUTO_LOCK)
    assert state.state == "on"
    assert state.attributes["waiting_for_lock_sync"] is True  # never claimed applied
    assert hass.states.get(AUTO_LOCK_DELAY).state == "30"
    # Waiting: read hourly, not daily; the lock has not synced after an hour.
    await jump(hass, 3600 + 60)
    assert _requests(sim, since)[4:] == [read]
    assert hass.states.get(AUTO_LOCK).attributes["waiting_for_lock_sync"] is True
    record.sync_lock()  # the Tedee app syncs the lock
    await jump(hass, 3600)
    assert hass.states.get(AUTO_LOCK).attributes["waiting_for_lock_sync"] is False
    await _switch(hass, AUTO_LOCK, False)  # and off again: waits anew
    assert record.settings["autoLockEnabled"] is False
    assert hass.states.get(AUTO_LOCK).attributes["waiting_for_lock_sync"] is True
    record.sync_lock()
    await jump(hass, 3600)
    reads = len(_requests(sim, since))
    await jump(hass, 3 * 3600)
    assert len(_requests(sim, since)) == reads  # synced: daily again


async def test_a_synced_setting_reaches_the_lock(hass: HomeAssistant, sim: Sim) -> None:
    """Pull spring on unlock, once the lock has it, pulls the spring on unlock."""
    await sim.setup()
    await _switch(hass, AUTO_PULL, True)
    assert sim.lock.config.auto_pull is False  # not yet: only the cloud has it
    _record(sim).sync_lock()
    assert sim.lock.config.auto_pull is True


async def test_a_conflict_is_read_again_and_tried_once_more(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    _record(sim).change_settings({"buttonLockEnabled": False})  # in the Tedee app
    since = len(sim.world.cloud.request_log)
    await _switch(hass, AUTO_LOCK, True)
    assert _requests(sim, since) == [
        ("PATCH", "/my/lock"),  # 409: our revision was stale
        ("GET", "/my/lock/35800"),
        ("PATCH", "/my/lock"),
    ]
    assert _record(sim).settings["autoLockEnabled"] is True
    assert _record(sim).settings["buttonLockEnabled"] is False  # theirs kept
    assert hass.states.get("switch.front_door_lock_with_the_button").state == "off"


async def test_a_second_conflict_changes_nothing(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    for _ in range(2):
        sim.world.cloud.fail_next(409, path="/my/lock", method="PATCH")
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, AUTO_LOCK, True)
    assert err.value.translation_key == "settings_conflict"
    assert str(err.value).startswith(
        "The settings of Front door were changed elsewhere at the same time"
    )
    assert hass.states.get(AUTO_LOCK).state == "off"
    assert _record(sim).settings["autoLockEnabled"] is False


@pytest.mark.parametrize(
    ("status", "key"),
    [
        (400, "settings_refused"),
        (500, "settings_refused"),
        (429, "cloud_busy"),
        (401, "auth_failed"),  # and Home Assistant asks for a new key
    ],
)
async def test_a_refusing_cloud_changes_nothing(
    hass: HomeAssistant, sim: Sim, status: int, key: str
) -> None:
    await sim.setup()
    sim.world.cloud.fail_next(status, path="/my/lock", method="PATCH", retry_after=60)
    with pytest.raises(HomeAssistantError) as err:
        await _number(hass, AUTO_LOCK_DELAY, 45)
    assert err.value.translation_key == key
    assert hass.states.get(AUTO_LOCK_DELAY).state == "10"
    assert _record(sim).settings["autoLockDelay"] == 10
    reauth = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == "reauth"
    ]
    assert len(reauth) == (1 if status == 401 else 0)


async def test_values_outside_the_range_are_not_sent(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    since = len(sim.world.cloud.request_log)
    with pytest.raises(ServiceValidationError):
        await _number(hass, PULL_DURATION, 61)
    assert _requests(sim, since) == []


async def test_a_key_without_the_write_scope_shows_settings_read_only(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.world.cloud.keys[KEY] = (ACCOUNT, ALL_SCOPES - {"Device.ReadWrite"})
    entry = await sim.setup()
    coordinator, link = entry.runtime_data, sim.lock.connections[0]
    lock_states = watch_states(hass, "lock.front_door")
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, AUTO_LOCK, True)
    assert err.value.translation_key == "settings_need_scope"
    assert "lacks the Device.ReadWrite scope" in str(err.value)
    await settle(hass, 1)  # the settings change kind, in place
    assert entry.runtime_data is coordinator  # no reload
    assert sim.lock.connections == [link]
    assert lock_states == []  # the lock never went unavailable
    assert hass.states.get(AUTO_LOCK) is None
    assert er.async_get(hass).async_get(AUTO_LOCK) is None  # nothing left behind
    state = hass.states.get(READ_ONLY_AUTO_LOCK)
    assert state.state == "off"
    assert state.attributes["read_only_reason"] == "scope"
    assert hass.states.get(READ_ONLY_DELAY).state == "10"
    registry = er.async_get(hass)
    assert registry.async_get(READ_ONLY_DELAY).entity_category is (
        EntityCategory.DIAGNOSTIC
    )


async def test_a_guest_sees_settings_read_only_until_made_admin(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    coordinator = entry.runtime_data
    lock_states = watch_states(hass, "lock.front_door")
    _record(sim).access_level = 0  # the owner made this account a guest
    await coordinator.lock_record.async_read()
    await settle(hass, 1)
    state = hass.states.get(READ_ONLY_AUTO_LOCK)
    assert state.attributes["read_only_reason"] == "access"
    assert hass.states.get(AUTO_LOCK) is None
    assert er.async_get(hass).async_get(AUTO_LOCK) is None
    _record(sim).access_level = 1  # admin again
    await coordinator.lock_record.async_read()
    await settle(hass, 1)
    assert hass.states.get(AUTO_LOCK).state == "off"
    assert hass.states.get(READ_ONLY_AUTO_LOCK) is None
    assert er.async_get(hass).async_get(READ_ONLY_AUTO_LOCK) is None
    assert entry.runtime_data is coordinator  # both ways in place
    assert lock_states == []


async def test_door_settings_exist_with_a_door_sensor(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.config.has_door_sensor = True
    entry = await sim.setup()
    assert hass.states.get("switch.front_door_door_open_alert") is None
    coordinator = entry.runtime_data
    sim.lock.set_door(door_open=False)  # the lock reports its door sensor
    await settle(hass, 1)  # its settings appear with it, without a reload
    assert entry.runtime_data is coordinator
    assert hass.states.get("switch.front_door_door_open_alert").state == "off"
    assert hass.states.get("number.front_door_door_open_alert_after").state == "300"


async def test_the_springs_settings_exist_only_with_a_spring(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    coordinator = entry.runtime_data
    assert hass.states.get(PULL_DURATION) is not None
    _record(sim).pull_spring_enabled = False  # turned off in the Tedee app
    await coordinator.lock_record.async_read()
    await settle(hass, 1)
    assert hass.states.get(PULL_DURATION) is None
    assert hass.states.get(AUTO_PULL) is None
    assert er.async_get(hass).async_get(PULL_DURATION) is None  # nothing lingers
    assert hass.states.get(AUTO_LOCK) is not None
    assert entry.runtime_data is coordinator  # no reload
    _record(sim).pull_spring_enabled = True  # and on again
    await coordinator.lock_record.async_read()
    await settle(hass, 1)
    assert hass.states.get(PULL_DURATION).state == "10"


async def test_a_change_under_way_when_the_entry_unloads_ends_cleanly(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The cloud answers after the unload: the change is kept, nothing else runs."""
    entry = await sim.setup()
    sim.world.cloud.slow_next(5, path="/my/lock", method="PATCH")
    task = hass.async_create_task(_switch(hass, AUTO_LOCK, True))
    await settle(hass, 1)
    assert not task.done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await jump(hass, 6)
    assert task.done()
    assert _record(sim).settings["autoLockEnabled"] is True  # the cloud took it
    since = len(sim.world.cloud.request_log)
    await jump(hass, 2 * 3600)  # no sync reads for an unloaded entry
    assert _requests(sim, since) == []
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, 1)
    state = hass.states.get(AUTO_LOCK)
    assert state.state == "on"
    assert state.attributes["waiting_for_lock_sync"] is True


async def test_settings_and_firmware_stay_shown_while_the_lock_is_away(
    hass: HomeAssistant, sim: Sim
) -> None:
    """They are the cloud's, not the radio's: no unavailable-and-back in the logbook."""
    await sim.setup()
    sim.lock.go_out_of_range()
    await jump(hass, 120)
    assert hass.states.get("lock.front_door").state == "unavailable"
    assert hass.states.get(AUTO_LOCK).state == "off"
    assert hass.states.get(AUTO_LOCK_DELAY).state == "10"
    assert hass.states.get("update.front_door_firmware").state == "off"
