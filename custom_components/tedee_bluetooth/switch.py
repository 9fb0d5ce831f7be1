"""Lock settings that are on or off: auto-lock, button lock, pull spring, ..."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.components.switch.const import DOMAIN as SWITCH_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import TedeeConfigEntry
from .entity import TedeeSettingEntity
from .lock_settings import SWITCHES, async_keep_setting_entities

PARALLEL_UPDATES = 1  # one change at a time: each names the record's revision


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A switch per on/off setting, where this key may change settings."""
    coordinator = entry.runtime_data
    async_keep_setting_entities(
        entry,
        SWITCHES,
        SWITCH_DOMAIN,
        lambda setting: TedeeSettingSwitch(coordinator, setting),
        async_add_entities,
        writable=True,
    )


class TedeeSettingSwitch(TedeeSettingEntity, SwitchEntity):
    """One on/off setting, changed in the Tedee cloud."""

    @property
    def is_on(self) -> bool | None:
        """The setting's value."""
        value = self.setting_value
        return value if isinstance(value, bool) else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Enable it."""
        await self.coordinator.settings.async_set(self.setting.field, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disable it."""
        await self.coordinator.settings.async_set(self.setting.field, False)
