"""The firmware update entity: installed, offered by Tedee, installing, updated."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tedee_bluetooth.const import CONF_LOCK_RECORD_READ, DOMAIN
from simulator.cloud import CloudLockRecord

from .ha_fixtures import LOCK, STATUS, Sim, jump, settle, until_state
from .world import ACCOUNT

FIRMWARE = "update.front_door_firmware"
DAY = 24 * 3600


def _record(sim: Sim) -> CloudLockRecord:
    return sim.world.cloud.accounts[ACCOUNT].locks[sim.lock.config.device_id]


def _lock_reads(sim: Sim, since: int = 0) -> int:
    """GETs of the lock's record (one lock: GET /my/lock/{id})."""
    return sum(
        method == "GET" and "/my/lock" in path
        for method, path in sim.world.cloud.request_log[since:]
    )


async def test_the_installed_version_and_no_offer(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == "off"
    assert state.attributes["installed_version"] == "2.4.1234"
    assert state.attributes["latest_version"] == "2.4.1234"
    assert state.attributes["release_summary"] is None
    assert state.attributes["in_progress"] is False


def _read_ago(hass: HomeAssistant, entry: MockConfigEntry, hours: float) -> None:
    """Pretend the lock record was last read this long ago (a day of keep-alives
    is too slow to simulate frame by frame)."""
    read = dt_util.utcnow() - timedelta(hours=hours)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_LOCK_RECORD_READ: read.isoformat()}
    )


async def test_an_offer_is_read_daily_and_sends_the_user_to_the_app(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    since = len(sim.world.cloud.request_log)
    _record(sim).update_available = True  # Tedee releases new firmware
    _read_ago(hass, entry, 22.5)
    await jump(hass, 3600 + 60)  # the hourly check: 23.5 h old, not read
    assert hass.states.get(FIRMWARE).state == "off"
    assert _lock_reads(sim, since) == 0
    await jump(hass, 3600)  # 24.5 h old: read once
    state = hass.states.get(FIRMWARE)
    assert state.state == "on"
    assert state.attributes["latest_version"] == "newer than 2.4.1234"
    assert state.attributes["release_summary"].startswith(
        "Tedee offers newer firmware for this lock. Update it in the Tedee app"
    )
    assert state.attributes["supported_features"] == 4  # progress; no install
    assert _lock_reads(sim, since) == 1
    await jump(hass, 3 * 3600)
    assert _lock_reads(sim, since) == 1  # at most daily


async def test_skipping_an_offer_skips_only_that_one(
    hass: HomeAssistant, sim: Sim
) -> None:
    assert await async_setup_component(hass, "update", {})
    entry = await sim.setup()
    _record(sim).update_available = True
    await entry.runtime_data.lock_record.async_read()
    await hass.services.async_call(
        "update", "skip", {"entity_id": FIRMWARE}, blocking=True
    )
    state = hass.states.get(FIRMWARE)
    assert state.state == "off"
    assert state.attributes["skipped_version"] == "newer than 2.4.1234"


async def test_installing_in_the_app_then_the_new_version(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    _record(sim).update_available = True
    await entry.runtime_data.lock_record.async_read()
    assert hass.states.get(FIRMWARE).state == "on"
    sim.lock.install_firmware((2, 5, 30123), duration=60)
    await settle(hass, 1)
    state = hass.states.get(FIRMWARE)
    assert state.attributes["in_progress"] is True
    assert hass.states.get(LOCK).state == "unknown"  # no claim while it installs
    # The cloud learns of the update from the app; the lock reboots on it.
    record = _record(sim)
    record.firmware, record.update_available = "2.5.30123", False
    since = len(sim.world.cloud.request_log)
    await jump(hass, 60)
    await until_state(hass, STATUS, "connected", limit=60)
    await settle(hass, 2)
    state = hass.states.get(FIRMWARE)
    assert state.attributes["installed_version"] == "2.5.30123"
    assert state.state == "off"  # the changed version had the record read again
    assert state.attributes["in_progress"] is False
    assert _lock_reads(sim, since) == 1
    device = dr.async_get(hass).async_get_device(
        identifiers={(DOMAIN, "10000000-000001")}
    )
    assert device is not None
    assert device.sw_version == "2.5.30123"
    assert hass.states.get(LOCK).state == "locked"


async def test_no_reads_after_unload(hass: HomeAssistant, sim: Sim) -> None:
    entry = await sim.setup()
    assert await hass.config_entries.async_unload(entry.entry_id)
    since = len(sim.world.cloud.request_log)
    await jump(hass, 2 * DAY)
    assert _lock_reads(sim, since) == 0


async def test_a_failing_cloud_keeps_what_is_known(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    _record(sim).update_available = True
    sim.world.cloud.fail_next(500, method="GET")
    await entry.runtime_data.lock_record.async_read()
    assert hass.states.get(FIRMWARE).state == "off"  # not read: nothing claimed
    _read_ago(hass, entry, 24.5)
    await jump(hass, 3600 + 60)  # tried again at the next hourly check
    assert hass.states.get(FIRMWARE).state == "on"


async def test_checking_now_reads_the_record_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The update_entity action asks the cloud now (one request), not the lock."""
    assert await async_setup_component(hass, "homeassistant", {})
    await sim.setup()
    _record(sim).update_available = True
    since, executed = len(sim.world.cloud.request_log), len(sim.lock.executed)
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": FIRMWARE}, blocking=True
    )
    assert hass.states.get(FIRMWARE).state == "on"
    assert _lock_reads(sim, since) == 1
    assert len(sim.lock.executed) == executed  # the lock's battery is spared


async def test_a_setup_reads_a_record_older_than_an_hour(
    hass: HomeAssistant, sim: Sim
) -> None:
    """A restart after a while sees today's offer and settings; a quick reload does not ask."""
    entry = sim.entry()
    _read_ago(hass, entry, 2)
    _record(sim).update_available = True
    since = len(sim.world.cloud.request_log)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, 1)
    assert _lock_reads(sim, since) == 1
    assert hass.states.get(FIRMWARE).state == "on"
    assert await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass, 1)
    assert _lock_reads(sim, since) == 1  # read minutes ago: not again
