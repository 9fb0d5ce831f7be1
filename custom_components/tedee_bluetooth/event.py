"""The activity event entity: every lock operation, live and from the activity log."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import TedeeConfigEntry
from .coordinator import TedeeBluetoothCoordinator
from .entity import TedeeBluetoothEntity
from .models import EVENT_TYPES, ActivityEvent

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One activity entity per lock."""
    async_add_entities([TedeeActivityEvent(entry.runtime_data)])


class TedeeActivityEvent(TedeeBluetoothEntity, EventEntity):
    """Fires one event per operation: locked/unlocked/opened by whom and how."""

    _attr_translation_key = "activity"
    _attr_event_types = EVENT_TYPES

    def __init__(self, coordinator: TedeeBluetoothCoordinator) -> None:
        """Bind to the coordinator."""
        super().__init__(coordinator, "activity")

    async def async_added_to_hass(self) -> None:
        """Listen for activity."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.activity.add_listener(self._on_event))

    @callback
    def _on_event(self, event: ActivityEvent) -> None:
        self._trigger_event(event.event_type, event.attributes)
        self.async_write_ha_state()
