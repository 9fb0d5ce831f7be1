"""Lock settings that are durations: auto-lock delay, pull-spring duration, ..."""

from __future__ import annotations

from homeassistant.components.number import (
    DOMAIN as NUMBER_DOMAIN,
    NumberDeviceClass,
    NumberEntity,
    NumberMode,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import TedeeConfigEntry
from .coordinator import TedeeBluetoothCoordinator
from .entity import TedeeSettingEntity
from .lock_settings import NUMBERS, UNIT, Setting, async_keep_setting_entities

PARALLEL_UPDATES = 1  # one change at a time: each names the record's revision


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A number per duration setting, where this key may change settings."""
    coordinator = entry.runtime_data
    async_keep_setting_entities(
        entry,
        NUMBERS,
        NUMBER_DOMAIN,
        lambda setting: TedeeSettingNumber(coordinator, setting),
        async_add_entities,
        writable=True,
    )


class TedeeSettingNumber(TedeeSettingEntity, NumberEntity):
    """One duration setting, in seconds, changed in the Tedee cloud."""

    _attr_device_class = NumberDeviceClass.DURATION
    _attr_native_unit_of_measurement = UNIT
    _attr_native_min_value = 1
    _attr_native_step = 1
    _attr_mode = NumberMode.BOX

    def __init__(
        self, coordinator: TedeeBluetoothCoordinator, setting: Setting
    ) -> None:
        """Its range."""
        super().__init__(coordinator, setting)
        self._attr_native_max_value = setting.maximum or 3600

    @property
    def native_value(self) -> int | None:
        """The setting's value."""
        value = self.setting_value
        return value if type(value) is int else None

    async def async_set_native_value(self, value: float) -> None:
        """Change it (whole seconds)."""
        await self.coordinator.settings.async_set(self.setting.field, round(value))
