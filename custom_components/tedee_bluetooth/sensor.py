"""Sensors: the lock's readings, and duration settings this key cannot change.

Battery, connection status, signal strength, and the duration settings where
this key may not change them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import TedeeConfigEntry
from .coordinator import TedeeBluetoothCoordinator
from .entity import TedeeBluetoothEntity, TedeeSettingEntity
from .lock_settings import NUMBERS, UNIT, async_keep_setting_entities
from .tedee import ConnectionStatus

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TedeeSensorDescription(SensorEntityDescription):
    """How to read one sensor from the coordinator."""

    value: Callable[[TedeeBluetoothCoordinator], int | str | None]
    always_available: bool = False
    attributes: Callable[[TedeeBluetoothCoordinator], dict[str, Any] | None] = (
        lambda _c: None
    )


SENSORS: tuple[TedeeSensorDescription, ...] = (
    TedeeSensorDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value=lambda c: c.data.battery,
    ),
    TedeeSensorDescription(
        key="connection_status",
        translation_key="connection_status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ConnectionStatus],
        entity_category=EntityCategory.DIAGNOSTIC,
        value=lambda c: c.connection_status.value,
        always_available=True,  # automations react to alerts while the lock is away
        # On demand, how fresh the state is: when it was last read. (Always
        # connected, the state is pushed; an attribute that changed with every
        # keep-alive would only fill the recorder.)
        attributes=lambda c: (
            None
            if c.always_connected
            else {"last_read": c.last_read.isoformat() if c.last_read else None}
        ),
    ),
    TedeeSensorDescription(
        key="signal_strength",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value=lambda c: c.tracker.rssi,
        always_available=True,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """All sensors of a lock."""
    coordinator = entry.runtime_data
    async_add_entities(
        (TedeeBatterySensor if description.key == "battery" else TedeeSensor)(
            coordinator, description
        )
        for description in SENSORS
    )
    async_keep_setting_entities(  # where this key may not change them (else numbers)
        entry,
        NUMBERS,
        SENSOR_DOMAIN,
        lambda setting: TedeeSettingSensor(coordinator, setting),
        async_add_entities,
        writable=False,
    )


class TedeeSensor(TedeeBluetoothEntity, SensorEntity):
    """A lock sensor."""

    entity_description: TedeeSensorDescription

    def __init__(
        self,
        coordinator: TedeeBluetoothCoordinator,
        description: TedeeSensorDescription,
    ) -> None:
        """Bind the description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def available(self) -> bool:
        """Diagnostic sensors stay available; the rest follow the lock."""
        return self.entity_description.always_available or super().available

    @property
    def native_value(self) -> int | str | None:
        """Current value."""
        return self.entity_description.value(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The connection status says when the lock was last read."""
        return self.entity_description.attributes(self.coordinator)


class TedeeBatterySensor(TedeeSensor, RestoreSensor):
    """The battery: after a reload, the last level until the lock is read."""

    async def async_added_to_hass(self) -> None:
        """Take the last known level (it is read just after the state)."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float):
            self.coordinator.restore(battery=int(last.native_value))


class TedeeSettingSensor(TedeeSettingEntity, SensorEntity):
    """A duration setting this key may not change: shown, with the reason."""

    _attr_device_class = SensorDeviceClass.DURATION
    _attr_native_unit_of_measurement = UNIT

    @property
    def native_value(self) -> int | None:
        """The setting's value, in seconds."""
        value = self.setting_value
        return value if type(value) is int else None
