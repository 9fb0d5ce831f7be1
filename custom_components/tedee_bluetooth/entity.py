"""Base entity: one device per lock, availability from the session."""

from __future__ import annotations

from typing import Any

from homeassistant.const import EntityCategory
from homeassistant.helpers.device_registry import CONNECTION_BLUETOOTH, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_LOCK_TYPE, DOMAIN
from .coordinator import TedeeBluetoothCoordinator
from .lock_settings import Setting
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


class TedeeSettingEntity(TedeeBluetoothEntity):
    """A lock setting the cloud holds: known while the lock is out of reach too.

    A switch or number where this key may change it, else a diagnostic sensor
    that says why it cannot.
    """

    def __init__(
        self, coordinator: TedeeBluetoothCoordinator, setting: Setting
    ) -> None:
        """Bind the setting."""
        super().__init__(coordinator, setting.key)
        self.setting = setting
        self._attr_translation_key = setting.key
        self._attr_entity_registry_enabled_default = setting.enabled_default
        read_only = coordinator.settings.read_only is not None
        self._attr_entity_category = (
            EntityCategory.DIAGNOSTIC if read_only else EntityCategory.CONFIG
        )

    @property
    def available(self) -> bool:
        """Available while the cloud's record has the setting."""
        return self.setting.field in self.coordinator.settings.values

    @property
    def setting_value(self) -> Any:
        """The value as last read from or written to the cloud."""
        return self.coordinator.settings.values.get(self.setting.field)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Whether the lock applied it yet; why it cannot be changed, if so."""
        settings = self.coordinator.settings
        attributes: dict[str, Any] = {"waiting_for_lock_sync": not settings.synced}
        if settings.read_only is not None:
            attributes["read_only_reason"] = settings.read_only
        return attributes
