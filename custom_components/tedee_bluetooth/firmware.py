"""The lock's firmware version, cached in the entry: one read a day, not per setup."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from .const import CONF_FIRMWARE, CONF_FIRMWARE_READ, DOMAIN, FIRMWARE_MAX_AGE
from .tedee.wire.logs import EventId

if TYPE_CHECKING:
    from . import TedeeConfigEntry

# Log records that say the lock's firmware changed.
FIRMWARE_UPDATE_EVENTS = frozenset(
    {EventId.FIRMWARE_UPDATE_BY_BRIDGE, EventId.FIRMWARE_UPDATE_BY_MOBILE}
)


def firmware_stale(entry: TedeeConfigEntry) -> bool:
    """Never read, or read more than a day ago."""
    read = entry.data.get(CONF_FIRMWARE_READ)
    if entry.data.get(CONF_FIRMWARE) is None or read is None:
        return True
    return dt_util.utcnow() - datetime.fromisoformat(read) > FIRMWARE_MAX_AGE


def store_firmware(
    hass: HomeAssistant, entry: TedeeConfigEntry, serial: str, firmware: str
) -> None:
    """Keep the version in the entry and show it on the device."""
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_FIRMWARE: firmware,
            CONF_FIRMWARE_READ: dt_util.utcnow().isoformat(),
        },
    )
    # Looked up through the entry's devices: async_get_device(identifiers=...)
    # is deprecated from Home Assistant 2026.9; this works in every release.
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if (DOMAIN, serial) in device.identifiers:
            registry.async_update_device(device.id, sw_version=firmware)
