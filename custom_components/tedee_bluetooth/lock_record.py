"""The cloud's record of the lock: its settings and whether new firmware waits.

Read at setup (unless read within the hour), after each certificate renewal,
after a settings change, after the lock's firmware changed, hourly while
settings wait for the lock, and otherwise once a day: one request each time,
inside the account's cloud budget. What it says is kept in the config entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import (
    CONF_HAS_DOOR_SENSOR,
    CONF_LOCK_ID,
    CONF_LOCK_RECORD_READ,
    CONF_PULL_SPRING_ENABLED,
    CONF_SETTINGS_READ_ONLY,
    CONF_SETTINGS_SYNCED,
    CONF_UPDATE_AVAILABLE,
    DOMAIN,
    LOCK_RECORD_MAX_AGE,
    LOCK_RECORD_SETUP_AGE,
    LOGGER,
)
from .lock_settings import record_settings
from .tedee import CloudError, CloudLock, TedeeCloud

if TYPE_CHECKING:
    from . import TedeeConfigEntry


def record_fields(lock: CloudLock, read_only: str | None = None) -> dict[str, Any]:
    """What the entry keeps of a lock record (at pairing and after each read)."""
    fields: dict[str, Any] = {
        CONF_UPDATE_AVAILABLE: lock.update_available,
        CONF_LOCK_RECORD_READ: dt_util.utcnow().isoformat(),
        **record_settings(lock, read_only),
    }
    if lock.pull_spring_enabled is not None:
        fields[CONF_PULL_SPRING_ENABLED] = lock.pull_spring_enabled
    if lock.has_door_sensor:  # a sensor paired since: its entity exists from now on
        fields[CONF_HAS_DOOR_SENSOR] = True
    return fields


class LockRecord:
    """Reads the lock's cloud record when it may have changed, and daily."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TedeeConfigEntry,
        cloud: TedeeCloud,
        on_read: Callable[[CloudLock], None],
    ) -> None:
        """Nothing is read or scheduled before ``start``."""
        self._hass = hass
        self._entry = entry
        self._cloud = cloud
        self._on_read = on_read
        self._cancel: CALLBACK_TYPE | None = None

    @callback
    def start(self) -> None:
        """Read now unless read within the hour; then check hourly."""
        read = self._entry.data.get(CONF_LOCK_RECORD_READ)
        age = None if read is None else dt_util.utcnow() - datetime.fromisoformat(read)
        if age is None or age >= LOCK_RECORD_SETUP_AGE:
            self.read_soon()
        self._cancel = async_track_time_interval(
            self._hass,
            self._tick,
            LOCK_RECORD_MAX_AGE / 24,
            name=f"{DOMAIN} lock record",
            cancel_on_shutdown=True,
        )

    @callback
    def stop(self) -> None:
        """No more reads (unload)."""
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    @property
    def stale(self) -> bool:
        """Never read, read a day ago or more, or settings wait for the lock.

        Waiting settings are read hourly, so "waiting for the lock" ends soon
        after a bridge or the Tedee app synced it.
        """
        read = self._entry.data.get(CONF_LOCK_RECORD_READ)
        if read is None or not self._entry.data.get(CONF_SETTINGS_SYNCED, True):
            return True
        age = dt_util.utcnow() - datetime.fromisoformat(read)
        return age >= LOCK_RECORD_MAX_AGE

    @callback
    def _tick(self, _now: datetime) -> None:
        if self.stale:
            self.read_soon()

    @callback
    def read_soon(self) -> None:
        """Read it in the background (setup, a change, new firmware, a day passed)."""
        self._entry.async_create_background_task(
            self._hass, self.async_read(), f"{DOMAIN} lock record"
        )

    async def async_read(self) -> None:
        """Read the record; a failing cloud keeps what the entry knows."""
        try:
            lock = await self._cloud.get_lock(self._entry.data[CONF_LOCK_ID])
        except CloudError as err:  # a key without Device.Read, a busy cloud
            LOGGER.debug(
                "%s: cannot read the lock's cloud record: %s", self._entry.title, err
            )
            return
        self.store(lock)

    @callback
    def store(self, lock: CloudLock) -> None:
        """Keep what a record read says (here, or by a settings change's retry)."""
        data = self._entry.data  # as it is now: it may have changed meanwhile
        read_only = data.get(CONF_SETTINGS_READ_ONLY)
        fields = record_fields(lock, read_only)
        self._hass.config_entries.async_update_entry(
            self._entry, data={**data, **fields}
        )
        # Settings that became changeable or read-only change kind in place
        # (``async_keep_setting_entities``), as the entities hear of it here.
        self._on_read(lock)
