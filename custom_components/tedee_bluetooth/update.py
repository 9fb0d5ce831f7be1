"""The firmware update entity: what the lock runs, and whether Tedee offers newer.

The installed version is the lock's own answer (GET_VERSION, cached daily).
Whether a newer one exists is the cloud's lock record (``softwareVersions``),
which names no version number: the entity offers "newer than" the installed
one, and its summary sends the user to the Tedee app, since the update
protocol is not public. While the lock installs, the entity is in progress.
"""

from __future__ import annotations

from homeassistant.components.update import UpdateEntity, UpdateEntityFeature
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import async_get_cached_translations

from . import TedeeConfigEntry
from .const import CONF_UPDATE_AVAILABLE, DOMAIN
from .coordinator import TedeeBluetoothCoordinator
from .entity import TedeeBluetoothEntity
from .tedee import LockState

PARALLEL_UPDATES = 0

_SUMMARY = (
    f"component.{DOMAIN}.entity.update.firmware.state_attributes"
    ".release_summary.state.update_in_app"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TedeeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One firmware entity per lock."""
    async_add_entities([TedeeFirmwareUpdate(entry.runtime_data)])


class TedeeFirmwareUpdate(TedeeBluetoothEntity, UpdateEntity):
    """Firmware: installed, offered by Tedee, being installed."""

    _attr_translation_key = "firmware"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # No INSTALL: only the Tedee app can update the lock.
    _attr_supported_features = UpdateEntityFeature.PROGRESS
    _attr_title = "Tedee lock firmware"

    def __init__(self, coordinator: TedeeBluetoothCoordinator) -> None:
        """Bind to the coordinator."""
        super().__init__(coordinator, "firmware")

    async def async_update(self) -> None:
        """Check now (the update_entity action): one read of the cloud's record."""
        await self.coordinator.lock_record.async_read()

    @property
    def available(self) -> bool:
        """The version is known even while the lock is out of reach."""
        return self.coordinator.data.firmware is not None

    @property
    def installed_version(self) -> str | None:
        """What the lock said it runs."""
        return self.coordinator.data.firmware

    @property
    def _offered(self) -> bool:
        return bool(self.coordinator.config_entry.data.get(CONF_UPDATE_AVAILABLE))

    @property
    def latest_version(self) -> str | None:
        """The installed version, or "newer than" it while Tedee offers an update.

        Named after the installed version, so skipping it skips this offer only.
        """
        installed = self.installed_version
        if installed is None or not self._offered:
            return installed
        return f"newer than {installed}"

    def version_is_newer(self, latest_version: str, installed_version: str) -> bool:
        """An offer is newer by definition; the cloud names no number."""
        return self._offered

    @property
    def in_progress(self) -> bool:
        """The lock reports it is installing an update."""
        return self.coordinator.data.state is LockState.UPDATING

    @property
    def release_summary(self) -> str | None:
        """Where to update: the Tedee app (translated)."""
        if not self._offered:
            return None
        hass = self.hass
        texts = async_get_cached_translations(
            hass, hass.config.language, "entity", DOMAIN
        ) or async_get_cached_translations(hass, "en", "entity", DOMAIN)
        return texts.get(_SUMMARY)
