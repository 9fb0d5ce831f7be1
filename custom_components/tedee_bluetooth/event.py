"""The activity event entity: every lock operation, live and from the activity log."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import TedeeConfigEntry
from .coordinator import TedeeBluetoothCoordinator
from .entity import TedeeBluetoothEntity
from .models import EVENT_TYPES, ActivityEvent
from .tedee import ConnectionStatus

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

    @property
    def available(self) -> bool:
        """Through an outage too, while the lock's activity log fills the gap.

        What happens at the lock out of range is read from its log when it is
        back, with its true time: no event is lost, so the entity does not go
        unavailable and back (a "became unavailable" and a "detected an event"
        in the logbook for an activity that did not happen). Without log
        reading an outage does lose events, and a lock that no longer knows
        this key sends none: then it follows the lock.
        """
        coordinator = self.coordinator
        if coordinator.connection_status is ConnectionStatus.NOT_REGISTERED:
            return False
        return coordinator.read_activity_log or coordinator.lock_available

    async def async_added_to_hass(self) -> None:
        """Listen for activity."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.activity.add_listener(self._on_event))

    @callback
    def _on_event(self, event: ActivityEvent) -> None:
        self._trigger_event(event.event_type, event.attributes)
        self.async_write_ha_state()
