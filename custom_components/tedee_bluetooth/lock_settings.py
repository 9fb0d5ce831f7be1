"""The lock's settings, as the Tedee cloud holds them: read, changed, synced.

The cloud's lock record carries ``deviceSettings``; ``PATCH /my/lock`` changes
them, naming the record's ``revision`` (409 Conflict: someone changed it
meanwhile; read it again and try once more). The lock applies new settings only
when a bridge or the Tedee app next syncs it: until its ``deviceRevision``
reaches ``targetDeviceRevision`` the entities say it is waiting, and the
record is read hourly to learn when it is done. Changing settings needs the
optional ``Device.ReadWrite`` scope and an owner's or admin's access; without
them the settings are shown read-only, saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.const import UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    CONF_DEVICE_SETTINGS,
    CONF_HAS_DOOR_SENSOR,
    CONF_LOCK_ID,
    CONF_PULL_SPRING_ENABLED,
    CONF_SETTINGS_READ_ONLY,
    CONF_SETTINGS_REVISION,
    CONF_SETTINGS_SYNCED,
    DOMAIN,
    LOGGER,
)
from .tedee import (
    CloudAuthError,
    CloudConflictError,
    CloudError,
    CloudLock,
    CloudRateLimitError,
    CloudScopeError,
    TedeeCloud,
)

if TYPE_CHECKING:
    from . import TedeeConfigEntry

ACCESS_GUEST = 0  # the record's accessLevel: a guest may not change the lock


@dataclass(frozen=True, kw_only=True)
class Setting:
    """One device setting: its cloud field, and how Home Assistant shows it."""

    key: str  # entity key and translation key
    field: str  # the cloud's deviceSettings field
    enabled_default: bool = True
    door_sensor: bool = False  # only where a door sensor is paired
    pull_spring: bool = False  # only where pull spring is enabled
    # Numbers: seconds. The cloud doc gives no ranges; these are generous and the
    # cloud has the last word (a refused value is a translated error).
    maximum: int | None = None


# Enabled by default: the settings people change most. The rest are one click
# away in the entity list (each entity also writes a logbook line on a reload).
SWITCHES = (
    Setting(key="auto_lock", field="autoLockEnabled"),
    Setting(
        key="auto_lock_semi_locked",
        field="autoLockImplicitEnabled",
        enabled_default=False,
    ),
    Setting(key="postponed_lock", field="postponedLockEnabled", enabled_default=False),
    Setting(key="button_lock", field="buttonLockEnabled", enabled_default=False),
    Setting(key="button_unlock", field="buttonUnlockEnabled", enabled_default=False),
    Setting(key="pull_spring", field="pullSpringEnabled", enabled_default=False),
    Setting(
        key="auto_pull_spring",
        field="autoPullSpringEnabled",
        pull_spring=True,
        enabled_default=False,
    ),
    Setting(
        key="open_door_alert",
        field="openDoorAlertEnabled",
        door_sensor=True,
        enabled_default=False,
    ),
    Setting(
        key="auto_lock_door_closed",
        field="autoLockAfterDoorClosedEnabled",
        door_sensor=True,
        enabled_default=False,
    ),
)
NUMBERS = (
    Setting(key="auto_lock_delay", field="autoLockDelay", maximum=3600),
    Setting(
        key="auto_lock_semi_locked_delay",
        field="autoLockImplicitDelay",
        maximum=3600,
        enabled_default=False,
    ),
    Setting(
        key="postponed_lock_delay",
        field="postponedLockDelay",
        maximum=3600,
        enabled_default=False,
    ),
    # The official integration shows it as a sensor; here it can be changed too.
    Setting(
        key="pull_spring_duration",
        field="pullSpringDuration",
        maximum=60,
        pull_spring=True,
    ),
    Setting(
        key="open_door_alert_threshold",
        field="openDoorAlertThreshold",
        maximum=3600,
        door_sensor=True,
        enabled_default=False,
    ),
)
UNIT = UnitOfTime.SECONDS


def record_settings(lock: CloudLock, read_only: str | None = None) -> dict[str, Any]:
    """What the entry keeps of a record's settings, revision and sync.

    ``read_only``: why they could not be changed so far. A guest's access says
    "access"; a missing scope stays until the key changes.
    """
    if lock.access_level == ACCESS_GUEST:
        read_only = "access"
    elif read_only == "access":
        read_only = None  # no longer a guest
    fields: dict[str, Any] = {
        CONF_DEVICE_SETTINGS: dict(lock.device_settings),
        CONF_SETTINGS_SYNCED: lock.settings_synced,
        CONF_SETTINGS_READ_ONLY: read_only,
    }
    if lock.revision is not None:
        fields[CONF_SETTINGS_REVISION] = lock.revision
    return fields


class LockSettings:
    """The settings in the entry, and the one way to change them."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TedeeConfigEntry,
        cloud: TedeeCloud,
        store_record: Callable[[CloudLock], None],
        on_changed: Callable[[], None],
    ) -> None:
        """``store_record(lock)``: keep a record read after a conflict.

        ``on_changed()``: entities are written after a change.
        """
        self._hass = hass
        self._entry = entry
        self._cloud = cloud
        self._store_record = store_record
        self._on_changed = on_changed

    @property
    def values(self) -> dict[str, Any]:
        """The settings as last read or written."""
        values: dict[str, Any] = self._entry.data.get(CONF_DEVICE_SETTINGS) or {}
        return values

    @property
    def synced(self) -> bool:
        """The lock runs the settings the cloud holds."""
        return bool(self._entry.data.get(CONF_SETTINGS_SYNCED, True))

    @property
    def read_only(self) -> str | None:
        """Why the settings cannot be changed: ``scope`` or ``access``; or None."""
        reason = self._entry.data.get(CONF_SETTINGS_READ_ONLY)
        return str(reason) if reason else None

    def shown(self, settings: tuple[Setting, ...]) -> list[Setting]:
        """The settings this lock has.

        The door's only with a door sensor; the spring's duration and auto-pull
        only where pull spring is enabled (as the cloud said at the last read).
        """
        data = self._entry.data
        door = bool(data.get(CONF_HAS_DOOR_SENSOR))
        spring = data.get(CONF_PULL_SPRING_ENABLED, True) is not False
        return [
            s
            for s in settings
            if s.field in self.values
            and (door or not s.door_sensor)
            and (spring or not s.pull_spring)
        ]

    async def async_set(self, field: str, value: bool | int) -> None:
        """Write one setting; on a conflict read the record and try once more."""
        name = self._entry.title
        try:
            try:
                updated = await self._cloud.update_device_settings(
                    self._lock_id, self._revision(), {field: value}
                )
            except CloudConflictError:
                LOGGER.debug("%s: settings changed meanwhile; reading them", name)
                self._store_record(await self._cloud.get_lock(self._lock_id))
                updated = await self._cloud.update_device_settings(
                    self._lock_id, self._revision(), {field: value}
                )
        except CloudConflictError as err:
            raise _error("settings_conflict", name) from err
        except CloudScopeError as err:
            # Shown read-only from now on (until a new key): the switches and
            # numbers become sensors in place (``async_keep_setting_entities``).
            self._store({CONF_SETTINGS_READ_ONLY: "scope"})
            raise _error("settings_need_scope", name) from err
        except CloudAuthError as err:  # the key was deleted: ask for a new one
            self._entry.async_start_reauth(self._hass)
            raise _error("auth_failed", name) from err
        except CloudRateLimitError as err:
            raise _error("cloud_busy", name) from err
        except CloudError as err:
            LOGGER.debug("%s: changing %s failed: %s", name, field, err)
            raise _error("settings_refused", name) from err
        target = updated.target_device_revision
        synced = target is None or not self._changes_lock(field, value)
        self._store(
            {
                CONF_DEVICE_SETTINGS: {**self.values, field: value},
                CONF_SETTINGS_REVISION: updated.revision,
                CONF_SETTINGS_SYNCED: self.synced and synced,
            }
        )
        self._on_changed()

    def _changes_lock(self, field: str, value: bool | int) -> bool:
        return bool(self.values.get(field) != value)

    @property
    def _lock_id(self) -> int:
        return int(self._entry.data[CONF_LOCK_ID])

    def _revision(self) -> int:
        return int(self._entry.data.get(CONF_SETTINGS_REVISION, 0))

    @callback
    def _store(self, fields: dict[str, Any]) -> None:
        self._hass.config_entries.async_update_entry(
            self._entry, data={**self._entry.data, **fields}
        )


def _error(key: str, name: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"name": name},
    )


@callback
def async_keep_setting_entities(
    entry: TedeeConfigEntry,
    settings: tuple[Setting, ...],
    domain: str,
    make: Callable[[Setting], Entity],
    add_entities: AddConfigEntryEntitiesCallback,
    *,
    writable: bool,
) -> None:
    """Keep ``domain``'s setting entities as the entry says, from now on.

    ``writable``: ``domain`` is the changeable kind (switch, number), made where
    this key may change settings; else the read-only kind (binary sensor,
    sensor), made where it may not. When that right comes or goes, or a door
    sensor or the spring does, entities are added here and taken out of the
    registry there, in place: a reload would take every other entity of the
    lock through "unavailable" (and the logbook would show it). Taken out,
    nothing lingers unavailable either.
    """
    coordinator = entry.runtime_data
    registry = er.async_get(coordinator.hass)
    added: set[str] = set()

    @callback
    def _sync() -> None:
        lock_settings = coordinator.settings
        made_here = (lock_settings.read_only is None) == writable
        shown = lock_settings.shown(settings) if made_here else []
        for setting in settings:
            if setting in shown:
                continue
            added.discard(setting.key)
            unique_id = f"{coordinator.serial}-{setting.key}"
            if entity_id := registry.async_get_entity_id(domain, DOMAIN, unique_id):
                registry.async_remove(entity_id)
        new = [setting for setting in shown if setting.key not in added]
        if new:
            added.update(setting.key for setting in new)
            add_entities([make(setting) for setting in new])

    _sync()
    entry.async_on_unload(coordinator.async_add_listener(_sync))
