"""Base entity: one device per lock, availability from the session."""

from __future__ import annotations

from homeassistant.helpers.device_registry import CONNECTION_BLUETOOTH, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_LOCK_TYPE, DOMAIN
from .coordinator import TedeeBluetoothCoordinator
from .tedee.cloud.api import LOCK_TYPE_GO, LOCK_TYPE_PRO


class TedeeBluetoothEntity(CoordinatorEntity[TedeeBluetoothCoordinator]):
    """An entity of one Tedee lock."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: TedeeBluetoothCoordinator, key: str) -> None:
        """Unique id from the serial number and the entity's key."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.serial}-{key}"
        lock_type = coordinator.config_entry.data.get(CONF_LOCK_TYPE)
        connections = (
            {(CONNECTION_BLUETOOTH, coordinator.tracker.address)}
            if coordinator.tracker.address
            else set()
        )
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, coordinator.serial)},
            connections=connections,
            name=coordinator.config_entry.title,
            manufacturer="Tedee",
            model={LOCK_TYPE_PRO: "Tedee PRO", LOCK_TYPE_GO: "Tedee GO"}.get(
                lock_type or 0, "Tedee lock"
            ),
            serial_number=coordinator.serial,
            sw_version=coordinator.data.firmware,
        )

    @property
    def available(self) -> bool:
        """Available while the session is up (and a short grace after a drop)."""
        return self.coordinator.lock_available
