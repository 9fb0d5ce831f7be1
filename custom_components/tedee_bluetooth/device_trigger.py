"""Device triggers that mean what they say: real operations at the lock.

Each fires on the integration's activity event, which fires once per operation
the lock reports (live or from its log) and once per door movement the door
sensor reports. A reload, a reconnect or a return into range fires none of them
(unlike a state trigger on an entity that comes back from "unavailable").
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import CONF_HAS_DOOR_SENSOR, DOMAIN, EVENT_ACTIVITY

DOOR_TRIGGERS = ("door_opened", "door_closed")
LOCK_TRIGGERS = (
    "unlocked_remote",
    "locked_remote",
    "opened_remote",
    "unlocked_button",
    "locked_button",
    "unlocked_keypad",
    "locked_keypad",
    "opened_keypad",
    "unlocked_manual",
    "locked_manual",
    "locked_auto",
    "jammed",
)
TRIGGER_TYPES = (*LOCK_TRIGGERS, *DOOR_TRIGGERS)

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES)}
)


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, Any]]:
    """The lock's triggers; the door's only where a door sensor is known."""
    device = dr.async_get(hass).async_get(device_id)
    door = False
    if device is not None:
        for entry_id in device.config_entries:
            entry = hass.config_entries.async_get_entry(entry_id)
            if entry is not None and entry.domain == DOMAIN:
                door = door or bool(entry.data.get(CONF_HAS_DOOR_SENSOR))
    types = TRIGGER_TYPES if door else LOCK_TRIGGERS
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in types
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for this device's activity event of this type."""
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_ACTIVITY,
            CONF_EVENT_DATA: {
                CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                CONF_TYPE: config[CONF_TYPE],
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
