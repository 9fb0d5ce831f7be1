"""The logbook tells the story: who did what at the lock, and how.

Each activity bus event (one per operation, one per door movement) becomes a
line such as "Front door: Unlocked remotely (Anna)" or "Front door: Locked with
the button", in the language Home Assistant is set to. Home Assistant's own
lock state lines stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN, EVENT_ACTIVITY

_KEY = f"component.{DOMAIN}.entity.event.activity.state_attributes.event_type.state."
_WHILE_KEY = (
    f"component.{DOMAIN}.entity.event.activity.state_attributes.jammed_while.state."
)


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the integration's activity events."""

    @callback
    def _describe(event: Event) -> dict[str, str]:
        data = event.data
        entry = {
            LOGBOOK_ENTRY_NAME: str(data.get("name") or "Tedee"),
            LOGBOOK_ENTRY_MESSAGE: describe(hass, data),
            LOGBOOK_ENTRY_ICON: icon(str(data.get("type", ""))),
        }
        if entity_id := data.get("entity_id"):
            entry[LOGBOOK_ENTRY_ENTITY_ID] = str(entity_id)
        return entry

    async_describe_event(DOMAIN, EVENT_ACTIVITY, _describe)


_ICONS = (
    ("door_opened", "mdi:door-open"),
    ("door_closed", "mdi:door-closed"),
    ("jammed", "mdi:lock-alert"),
    ("unlocked", "mdi:lock-open-variant"),
    ("locked", "mdi:lock"),
    ("opened", "mdi:door-open"),
)


def icon(kind: str) -> str:
    """An icon for the line: the door, the bolt, or the lock's activity."""
    return next((i for prefix, i in _ICONS if kind.startswith(prefix)), "mdi:history")


def describe(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """The message of one activity event, in Home Assistant's language."""
    kind = str(data.get("type", "other"))
    texts = async_get_cached_translations(hass, hass.config.language, "entity", DOMAIN)
    if not texts:  # not loaded in this language (yet): English, then the raw type
        texts = async_get_cached_translations(hass, "en", "entity", DOMAIN)
    # As translated: lowering the first letter would be wrong in German.
    message = texts.get(_KEY + kind, kind.replace("_", " "))
    # Which way it jammed; who, and with which PIN: "Jammed (while locking)",
    # "Unlocked with the keypad (Anna, PIN Garden gate)".
    details = []
    if moving := data.get("jammed_while"):
        details.append(texts.get(f"{_WHILE_KEY}{moving}", f"while {moving}"))
    if data.get("user_name"):
        details.append(str(data["user_name"]))
    if pin := data.get("pin_name"):
        details.append(f"PIN {pin}")
    if details:
        message += f" ({', '.join(details)})"
    return message
