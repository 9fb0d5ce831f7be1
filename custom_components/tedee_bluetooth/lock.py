"""The lock entity: lock, unlock and open (pull the spring)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityFeature
from homeassistant.core import Context, HomeAssistant, ServiceResponse, callback
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
        self._commands = 0  # our commands in flight

    async def _async_command(self, command: Awaitable[None]) -> None:
        """Run one of our commands; its state changes carry the action's context."""
        self._commands += 1
        try:
            await command
        finally:
            self._commands -= 1

    @callback
    def _handle_coordinator_update(self) -> None:
        """Only our own command's state changes carry the action's context.

        Home Assistant keeps the last action's context for a few seconds: without
        this, a keypad unlock right after "lock" from Home Assistant would read
        "unlocking triggered by action Lock: Lock" in the logbook (and its end,
        "unlocked triggered by state of Front door is unlocking").
        """
        if not self._commands:
            self.async_set_context(Context())
        super()._handle_coordinator_update()

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
        """The lock reports a jam, or its bolt stopped part-way (semi-locked).

        A semi-locked door is neither locked nor unlocked: shown as jammed until
        the lock moves again, even once the lock clears its jam flag.
        """
        return self.coordinator.data.jammed or self._state is LockState.SEMI_LOCKED

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock the door."""
        await self._async_command(self.coordinator.async_lock())

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock the door."""
        await self._async_command(self.coordinator.async_unlock())

    async def async_open(self, **kwargs: Any) -> None:
        """Open the door (pull the spring)."""
        await self._async_command(self.coordinator.async_open())

    async def async_force_lock(self) -> None:
        """Emergency lock: turn until jammed."""
        await self._async_command(self.coordinator.async_lock(force=True))

    async def async_force_unlock(self) -> None:
        """Emergency unlock."""
        await self._async_command(self.coordinator.async_unlock(force=True))

    async def async_export_activity(self) -> ServiceResponse:
        """Write the kept activity log to a file; say where and how much."""
        return await self.coordinator.archive.async_export()

    async def async_unlock_action(self, auto_unlock: bool = False) -> None:
        """The integration's unlock action: optionally as an auto-unlock."""
        await self._async_command(self.coordinator.async_unlock(auto=auto_unlock))
