"""Diagnostics with every secret redacted."""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import TedeeConfigEntry
from .const import (
    CONF_CERTIFICATE,
    CONF_DEVICE_PUBLIC_KEY,
    CONF_MOBILE_ID,
    CONF_PERSONAL_KEY,
    CONF_PRIVATE_KEY,
)

TO_REDACT = {
    CONF_PERSONAL_KEY,
    CONF_PRIVATE_KEY,
    CONF_CERTIFICATE,
    CONF_DEVICE_PUBLIC_KEY,
    CONF_MOBILE_ID,
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TedeeConfigEntry
) -> dict[str, Any]:
    """Entry, options and live session facts; no key, certificate or session key."""
    coordinator = entry.runtime_data
    return {
        "entry": async_redact_data(dict(entry.data), TO_REDACT),
        "options": dict(entry.options),
        "session": {
            "connection_status": coordinator.connection_status.value,
            "session_up": coordinator.session.established,
            "always_connected": coordinator.always_connected,
            "address": coordinator.tracker.address,
            "rssi": coordinator.tracker.rssi,
            # What the radio did to this session's frames (reordered, duplicated,
            # missed, late, failed authentication).
            "link": coordinator.link_counts,
        },
        "lock": {k: _readable(v) for k, v in asdict(coordinator.data).items()},
    }


def _readable(value: object) -> object:
    """Enums by name (``locked``, ``closed``), so a report needs no code table."""
    if isinstance(value, Enum):
        return value.name.lower()
    return value
