"""The lock entity: lock, unlock and open (pull the spring)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import TedeeConfigEntry
from .const import CONF_PULL_SPRING_ENABLED
from .entity import TedeeBluetoothEntity
from .services import async_setup_platform_services
from .tedee import LockState

PARALLEL_UPDATES = 1  # the coordinator serializes commands anyway

# States that say nothing about locked or not: shown as unknown, never as unlocked.
_UNKNOWN_STATES = frozenset(
    {
        LockState.UNCALIBRATED,
        LockState.CALIBRATION,
        LockState.UNKNOWN,
        LockState.CALIBRATION_CANCELLED,
        LockState.UPDATING,
    }
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One lock entity per lock."""
    async_setup_platform_services()
    async_add_entities([TedeeBluetoothLock(entry.runtime_data)])


class TedeeBluetoothLock(TedeeBluetoothEntity, LockEntity):
    """A Tedee lock."""

    _attr_name = None

    def __init__(self, coordinator: Any) -> None:
        """The main entity of the device."""
        super().__init__(coordinator, "lock")

    @property
    def supported_features(self) -> LockEntityFeature:
        """OPEN unless the cloud says pull-spring is disabled on this lock."""
        data = self.coordinator.config_entry.data
        if data.get(CONF_PULL_SPRING_ENABLED, True):
            return LockEntityFeature.OPEN
        return LockEntityFeature(0)

    @property
    def _state(self) -> LockState | None:
        return self.coordinator.data.state

    @property
    def is_locked(self) -> bool | None:
        """Locked; None when the lock does not know its position."""
        state = self._state
        if state is None or state in _UNKNOWN_STATES:
            return None
        return state is LockState.LOCKED

    @property
    def is_locking(self) -> bool:
        """Motor turning to lock."""
        return self._state is LockState.LOCKING

    @property
    def is_unlocking(self) -> bool:
        """Motor turning to unlock."""
        return self._state is LockState.UNLOCKING

    @property
    def is_opening(self) -> bool:
        """Pulling the spring."""
        return self._state is LockState.PULLING

    @property
    def is_open(self) -> bool:
        """Spring held: the door can be pushed open."""
        return self._state is LockState.PULL_SPRING

    @property
    def is_jammed(self) -> bool:
        """The lock reports a jam."""
        return self.coordinator.data.jammed

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock the door."""
        await self.coordinator.async_lock()

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock the door."""
        await self.coordinator.async_unlock()

    async def async_open(self, **kwargs: Any) -> None:
        """Open the door (pull the spring)."""
        await self.coordinator.async_open()

    async def async_force_lock(self) -> None:
        """Emergency lock: turn until jammed."""
        await self.coordinator.async_lock(force=True)

    async def async_force_unlock(self) -> None:
        """Emergency unlock."""
        await self.coordinator.async_unlock(force=True)
