"""Tedee Bluetooth: Tedee smart locks over Bluetooth, without a bridge."""

from __future__ import annotations

from homeassistant.components import bluetooth
from homeassistant.config_entries import (
    EVENT_FLOW_DISCOVERED,
    SOURCE_BLUETOOTH,
    ConfigEntry,
)
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .cloud_api import tedee_cloud
from .const import CONF_MOBILE_ID, CONF_PERSONAL_KEY, DOMAIN, LOGGER
from .coordinator import TedeeBluetoothCoordinator
from .pairing import async_find_lock_address
from .services import async_setup_services
from .tedee import CloudError

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.LOCK,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.UPDATE,
]

type TedeeConfigEntry = ConfigEntry[TedeeBluetoothCoordinator]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TedeeConfigEntry) -> bool:
    """Connect to the lock (test before setup) and set up its entities."""
    coordinator = TedeeBluetoothCoordinator(hass, entry)
    try:
        await coordinator.async_start()
    except Exception:
        await coordinator.async_shutdown()
        raise
    entry.runtime_data = coordinator
    entry.async_on_unload(coordinator.async_shutdown)

    async def _async_stop(_event: Event) -> None:
        # Home Assistant stopping does not unload entries: let go of the lock's
        # link (and the proxy's slot) now, not when the process dies.
        await coordinator.async_shutdown()

    # Not listen_once: its remover must not be called after it fired, and
    # unloading after Home Assistant's stop would do just that.
    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _async_stop))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    # Creating this entry ended the other setup dialogs of this lock (a
    # "Discovered" card among them). The 2025 frontends refresh that list only
    # on this event, so say it, or the card stays and its Add fails.
    hass.bus.async_fire(EVENT_FLOW_DISCOVERED)
    _async_discover_again(hass, entry)
    return True


@callback
def _async_discover_again(hass: HomeAssistant, entry: TedeeConfigEntry) -> None:
    """Discovery dialogs opened before an account was known: ask them again.

    They name the lock as it advertises ("Lock-8BD9") and ask for a key. Now a
    key is known, so the next advertisement opens them anew, with the lock's
    Tedee name ("Back door") and only a confirmation.
    """
    for flow in hass.config_entries.flow.async_progress_by_handler(
        DOMAIN, match_context={"source": SOURCE_BLUETOOTH}
    ):
        serial = flow["context"].get("unique_id")
        if flow.get("step_id") != "bluetooth_confirm" or serial == entry.unique_id:
            continue
        address = async_find_lock_address(hass, serial) if serial else None
        hass.config_entries.flow.async_abort(flow["flow_id"])
        if address is not None:
            bluetooth.async_rediscover_address(hass, address)


async def _async_entry_updated(hass: HomeAssistant, entry: TedeeConfigEntry) -> None:
    """A new key (reauth, reconfigure), the options and the entry's data, in place.

    Nothing here reloads: a reload would take every entity through
    "unavailable", and the logbook shows each of those.
    """
    coordinator = entry.runtime_data
    if entry.data[CONF_PERSONAL_KEY] != coordinator.personal_key_snapshot:
        coordinator.use_key(entry.data[CONF_PERSONAL_KEY])
    await coordinator.async_apply_options(entry.options)
    # What the entry says is shown: settings read-only or changeable, a door
    # sensor's or the spring's settings (entities come and go in place).
    coordinator.async_update_listeners()


async def async_unload_entry(hass: HomeAssistant, entry: TedeeConfigEntry) -> bool:
    """Unload the platforms; the coordinator drops the link on unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: TedeeConfigEntry) -> None:
    """Delete our mobile registration from the Tedee cloud (best effort)."""
    cloud = tedee_cloud(hass, entry.data[CONF_PERSONAL_KEY])
    try:
        await cloud.delete_mobile(entry.data[CONF_MOBILE_ID])
    except CloudError as err:
        LOGGER.warning(
            "Could not delete the Home Assistant key of %s from the Tedee cloud: %s",
            entry.title,
            err,
        )
    else:
        LOGGER.info(
            "Deleted the Home Assistant key of %s from the Tedee cloud", entry.title
        )
