"""The Calibrate button: opens the guided calibration as a repair to fix."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import TedeeConfigEntry
from .coordinator import TedeeBluetoothCoordinator
from .entity import TedeeBluetoothEntity
from .repairs import async_offer_calibration

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One Calibrate button per lock."""
    async_add_entities([TedeeCalibrateButton(entry.runtime_data)])


class TedeeCalibrateButton(TedeeBluetoothEntity, ButtonEntity):
    """Pressing it raises a repair whose fix walks through calibration.

    Calibration needs the owner at the door, turning the knob step by step: a
    dialog, not a single action.
    """

    _attr_translation_key = "calibrate"
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, coordinator: TedeeBluetoothCoordinator) -> None:
        """Bind to the coordinator."""
        super().__init__(coordinator, "calibrate")

    @property
    def available(self) -> bool:
        """Always: pressing only offers the guide (whose steps need the lock).

        So the button does not go unavailable and back (two logbook lines) each
        time the lock leaves Bluetooth range.
        """
        return True

    async def async_press(self) -> None:
        """Offer the guided calibration in Settings → Repairs."""
        coordinator = self.coordinator
        async_offer_calibration(
            self.hass,
            coordinator.name,
            coordinator.serial,
            coordinator.config_entry.entry_id,
        )
