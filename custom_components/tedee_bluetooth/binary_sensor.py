"""Binary sensors: the lock's states, and settings this key cannot change.

Charging, semi-locked, calibration, the door if it has a sensor, and the on/off
settings where this key may not change them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    DOMAIN as BINARY_SENSOR_DOMAIN,
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from . import TedeeConfigEntry
from .const import CONF_HAS_DOOR_SENSOR
from .coordinator import TedeeBluetoothCoordinator
from .entity import TedeeBluetoothEntity, TedeeSettingEntity
from .lock_settings import SWITCHES, async_keep_setting_entities
from .models import DOOR_POSITIONS, NOT_CALIBRATED, TedeeLockData
from .tedee import DoorState, LockState

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TedeeBinarySensorDescription(BinarySensorEntityDescription):
    """How to read one binary sensor."""

    value: Callable[[TedeeLockData], bool | None]


CHARGING = TedeeBinarySensorDescription(
    key="charging",
    device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
    value=lambda d: d.charging,
)
# The bolt stopped part-way after a jam (the vendor's PARTIALLY_OPEN state): the
# lock entity shows jammed meanwhile, never unlocked.
SEMI_LOCKED = TedeeBinarySensorDescription(
    key="semi_locked",
    translation_key="semi_locked",
    value=lambda d: None if d.state is None else d.state is LockState.SEMI_LOCKED,
)
# Uncalibrated (or calibrating): the lock cannot lock or unlock until it is done.
CALIBRATION = TedeeBinarySensorDescription(
    key="calibration",
    translation_key="calibration",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
    value=lambda d: None if d.state is None else d.state in NOT_CALIBRATED,
)
DOOR = TedeeBinarySensorDescription(
    key="door",
    device_class=BinarySensorDeviceClass.DOOR,
    value=lambda d: d.door is DoorState.OPEN if d.door in DOOR_POSITIONS else None,
)
# The door sensor itself: disconnected from the lock, or not calibrated.
DOOR_SENSOR = TedeeBinarySensorDescription(
    key="door_sensor",
    translation_key="door_sensor",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
    value=lambda d: d.door_problem is not None,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Charging and semi-locked always; the door once a door sensor is known."""
    coordinator = entry.runtime_data
    async_add_entities(
        [
            TedeeChargingSensor(coordinator, CHARGING),
            TedeeBinarySensor(coordinator, SEMI_LOCKED),
            TedeeBinarySensor(coordinator, CALIBRATION),
        ]
    )
    async_keep_setting_entities(  # where this key may not change them (else switches)
        entry,
        SWITCHES,
        BINARY_SENSOR_DOMAIN,
        lambda setting: TedeeSettingBinarySensor(coordinator, setting),
        async_add_entities,
        writable=False,
    )
    door_added = False

    @callback
    def _add_door() -> None:
        nonlocal door_added
        known = entry.data.get(CONF_HAS_DOOR_SENSOR, False)
        if not door_added and (known or coordinator.data.has_door_sensor):
            door_added = True
            async_add_entities(
                [
                    TedeeDoorSensor(coordinator, DOOR),
                    TedeeDoorSensorProblem(coordinator, DOOR_SENSOR),
                ]
            )

    _add_door()
    entry.async_on_unload(coordinator.async_add_listener(_add_door))


class TedeeBinarySensor(TedeeBluetoothEntity, BinarySensorEntity):
    """A lock binary sensor."""

    entity_description: TedeeBinarySensorDescription

    def __init__(
        self,
        coordinator: TedeeBluetoothCoordinator,
        description: TedeeBinarySensorDescription,
    ) -> None:
        """Bind the description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def is_on(self) -> bool | None:
        """Current value."""
        return self.entity_description.value(self.coordinator.data)


class TedeeChargingSensor(TedeeBinarySensor, RestoreEntity):
    """Charging: after a reload, the last value until the lock is read."""

    async def async_added_to_hass(self) -> None:
        """Take the last known value (battery is read just after the state)."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None:
            charging = {STATE_ON: True, STATE_OFF: False}.get(last.state)
            if charging is not None:
                self.coordinator.restore(charging=charging)


class TedeeDoorSensor(TedeeBinarySensor, RestoreEntity):
    """The door: the lock reports it only when it changes, so the last is kept.

    After a reload or restart the last known position is shown until the lock
    reports the door again (GET_STATE does not carry it).
    """

    _restored: bool | None = None

    async def async_added_to_hass(self) -> None:
        """Take the last known position."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None:
            self._restored = {STATE_ON: True, STATE_OFF: False}.get(last.state)
            if self._restored is not None:
                # What the next door report is compared with: a report of the
                # same position is no movement.
                self.coordinator.restore(
                    door=DoorState.OPEN if self._restored else DoorState.CLOSED
                )

    @property
    def available(self) -> bool:
        """Unavailable while the sensor is disconnected or uncalibrated.

        Its last position would be a guess; the door-sensor problem entity says
        why.
        """
        return super().available and self.coordinator.data.door_problem is None

    @property
    def is_on(self) -> bool | None:
        """The lock's report, else the position before the reload."""
        live = self.entity_description.value(self.coordinator.data)
        return self._restored if live is None else live


class TedeeDoorSensorProblem(TedeeBinarySensor):
    """The door sensor's own trouble, with the reason as an attribute."""

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """``reason``: disconnected or uncalibrated (None when all is well)."""
        return {"reason": self.coordinator.data.door_problem}


class TedeeSettingBinarySensor(TedeeSettingEntity, BinarySensorEntity):
    """An on/off setting this key may not change: shown, with the reason."""

    @property
    def is_on(self) -> bool | None:
        """The setting's value."""
        value = self.setting_value
        return value if isinstance(value, bool) else None
