"""One coordinator per lock: the Home Assistant side of its Bluetooth session.

The session engine (``tedee.TedeeSession``) decides when to talk to the lock.
This glue hands it the freshest device on each advertisement, turns what it
reports into entity data, repair issues and translated errors, and keeps the
certificate and the cached firmware version in the config entry.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .activity import ActivityFeed
from .activity_archive import ActivityArchive
from .calibration import Calibrator
from .certificates import CertificateKeeper
from .clock_check import async_check_clock
from .cloud_api import cloud_budget, tedee_cloud
from .const import (
    CONF_CONNECTION_MODE,
    CONF_FIRMWARE,
    CONF_HAS_DOOR_SENSOR,
    CONF_LOCK_ID,
    CONF_PERSONAL_KEY,
    CONF_PULL_ON_UNLOCK,
    CONF_READ_ACTIVITY_LOG,
    CONF_REFRESH_INTERVAL,
    CONF_SERIAL,
    DEFAULT_REFRESH_INTERVAL,
    DOMAIN,
    EVENT_ACTIVITY,
    LOGGER,
    MODE_ALWAYS,
)
from .firmware import FIRMWARE_UPDATE_EVENTS, firmware_stale, store_firmware
from .lock_record import LockRecord
from .lock_settings import LockSettings
from .models import ActivityEvent, TedeeLockData
from .repairs import async_sync_calibration, async_sync_repairs
from .slots import async_get_broker
from .tedee import (
    BatteryNotification,
    BatteryReport,
    CalibrationFinished,
    CloudLock,
    ConnectionStatus,
    DoorState,
    FetchedPackage,
    LockParam,
    LockState,
    LockStatusChange,
    Notification,
    SessionConfig,
    SessionError,
    StateReport,
    TedeeError,
    TedeeLockClient,
    TedeeSession,
    Trigger,
    UnlockParam,
    VersionReport,
    bleak_connector,
)
from .tracking import LockTracker
from .translate import command_error, translated
from .user_names import UserNames

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from . import TedeeConfigEntry

    Report = StateReport | BatteryReport | VersionReport


def _poll_interval(options: Mapping[str, Any]) -> timedelta:
    """How often the lock is read, on demand."""
    return timedelta(
        seconds=options.get(CONF_REFRESH_INTERVAL, DEFAULT_REFRESH_INTERVAL)
    )


class TedeeBluetoothCoordinator(DataUpdateCoordinator[TedeeLockData]):
    """State, commands and session of one Tedee lock."""

    config_entry: TedeeConfigEntry

    def __init__(self, hass: HomeAssistant, entry: TedeeConfigEntry) -> None:
        """Read the entry; nothing connects yet."""
        self.always_connected: bool = (
            entry.options.get(CONF_CONNECTION_MODE, MODE_ALWAYS) == MODE_ALWAYS
        )
        interval = None if self.always_connected else _poll_interval(entry.options)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=interval,
            always_update=False,
        )
        self.data = TedeeLockData(firmware=entry.data.get(CONF_FIRMWARE))
        # On demand: why the last poll did not reach the lock (None: it did).
        self.poll_failure: str | None = None
        self.last_read: datetime | None = None  # the lock's state, last heard
        self._shut_down = False
        self.personal_key_snapshot: str = entry.data[CONF_PERSONAL_KEY]
        self.serial: str = entry.data[CONF_SERIAL]
        self.tracker = LockTracker(
            hass,
            self.serial,
            self._heard,
            self._lost,
            waiting=lambda: self.always_connected and not self.session.established,
        )
        self.cloud = tedee_cloud(hass, entry.data[CONF_PERSONAL_KEY])
        self.lock_record = LockRecord(hass, entry, self.cloud, self._cloud_lock)
        self.settings = LockSettings(
            hass, entry, self.cloud, self.lock_record.store, self._settings_changed
        )
        self.certificates = CertificateKeeper(
            hass, entry, self.cloud, self.lock_record.async_read, self._check_clock
        )
        self.user_names = UserNames(
            hass,
            entry.title,
            self.cloud,
            entry.data[CONF_LOCK_ID],
            lambda coro: entry.async_create_background_task(
                hass, coro, f"{DOMAIN} {self.serial} user names"
            ),
        )
        self.activity = ActivityFeed(
            hass,
            self.user_names.name_of,
            wait_for_records=lambda: self.read_activity_log,
        )
        self.calibrator = Calibrator(self)
        self.archive = ActivityArchive(hass, self.serial, self.user_names.name_of)
        self.activity.add_listener(self._announce)
        broker = async_get_broker(hass)
        self.session = TedeeSession(
            entry.title,
            self,
            device=self.tracker.device,
            connector=bleak_connector(
                entry.title, self.tracker.freshest, self.tracker.reachable
            ),
            credentials=self.certificates.credentials,
            signed_time=self.certificates.async_signed_time,
            renew_certificate=self.certificates.async_renew,
            registration_changed=self.certificates.async_registration_changed,
            config=SessionConfig(
                always_connected=self.always_connected,
                fetch_logs=entry.options.get(CONF_READ_ACTIVITY_LOG, True),
            ),
            clock=lambda: dt_util.utcnow().timestamp(),
            spawn=lambda coro, name: entry.async_create_background_task(
                hass, coro, f"{DOMAIN} {self.serial} {name}"
            ),
            silent_for=self.tracker.silent_for,
            borrow_slot=lambda: broker.async_borrow(self.serial),
        )
        self.session.read_version = firmware_stale(entry)
        self._leave_broker = broker.add(
            self.serial, entry.title, lambda: self.tracker.address, self.session
        )

    async def async_apply_options(self, options: Mapping[str, Any]) -> None:
        """Options that change how the lock is reached, applied on the same session.

        The link, the entities and their states stay: no entity goes through
        "unavailable" (which the logbook would show). Options read where they
        are used (pulling the spring on unlock) need nothing here.
        """
        if self._shut_down:
            return  # saved as the entry unloads: its next setup reads them
        read_log: bool = options.get(CONF_READ_ACTIVITY_LOG, True)
        if read_log != self.read_activity_log:
            self.session.config = dataclasses.replace(
                self.session.config, fetch_logs=read_log
            )
            self.async_update_listeners()  # the activity entity's availability
            if read_log and self.session.established:
                await self.session.async_fetch_logs()  # what waited meanwhile
        always: bool = options.get(CONF_CONNECTION_MODE, MODE_ALWAYS) == MODE_ALWAYS
        if always != self.always_connected:
            await self._async_switch_mode(always, _poll_interval(options))
            return
        if self.always_connected:
            return  # the interval is used only on demand
        interval = _poll_interval(options)
        if interval != self.update_interval:
            self.update_interval = interval
            await self.async_request_refresh()  # read now, then at the new pace

    @callback
    def use_key(self, key: str) -> None:
        """``async_use_key`` as the entry's task: the entry's unload cancels it."""
        self.config_entry.async_create_background_task(
            self.hass, self.async_use_key(key), f"{DOMAIN} {self.serial} new key"
        )

    async def async_use_key(self, key: str) -> None:
        """A key the cloud accepts (re-authentication, reconfigure), in place.

        Every cloud user here shares one client, which takes the key from its
        next request. What was refused for want of a key is tried again now: a
        certificate renewal, a signed time the lock asked for, the users'
        names. The link and the entities stay as they are.
        """
        if self._shut_down:
            return  # the entry unloaded meanwhile: its next setup reads the key
        self.personal_key_snapshot = key
        self.cloud.use_key(key, cloud_budget(self.hass, key))
        await self.certificates.async_key_given()
        if self.session.stopped:
            return  # unloaded while the certificate was fetched: nothing more
        self.user_names.async_key_given()
        self.session.key_given()

    async def _async_switch_mode(self, always: bool, interval: timedelta) -> None:
        """Always connected or on demand, from now on.

        To on demand, the lock is read once more on the link still up (so the
        entities say whether it is reachable), and then the link is let go; to
        always connected, polling stops and the session connects now. A lock
        the last poll could not reach stays unavailable until it is connected.
        """
        self.always_connected = always
        if always:
            self.update_interval = None
            self._unschedule_refresh()
            await self.session.async_set_always_connected(True)
        else:
            self.update_interval = interval
            await self.async_refresh()  # and the next poll is scheduled
            await self.session.async_set_always_connected(False)
        self.async_update_listeners()  # availability, the status's attributes

    # -- what the entities read -----------------------------------------------------

    @property
    def read_activity_log(self) -> bool:
        """Whether the lock's log is read: the session's setting, the one truth."""
        return self.session.config.fetch_logs

    @property
    def connection_status(self) -> ConnectionStatus:
        """What the session is doing."""
        return self.session.status

    @property
    def lock_available(self) -> bool:
        """Entities are available: session up, or lost for less than the grace."""
        if self.connection_status is ConnectionStatus.NOT_REGISTERED:
            return False
        if self.poll_failure is not None:
            return False  # on demand, or always connected and not yet back
        if self.always_connected:
            return self.session.available
        return self.data.state is not None

    @property
    def link_counts(self) -> dict[str, int] | None:
        """What the radio did to the current session's frames, if there is one."""
        client = self.session.client
        return None if client is None else dataclasses.asdict(client.link_counts)

    # -- life cycle -------------------------------------------------------------------

    async def async_start(self) -> None:
        """First session (test before setup), then Bluetooth tracking."""
        await self.certificates.async_ensure()
        await self.archive.async_load()
        try:
            await self.session.async_start()
        except SessionError as err:
            raise ConfigEntryNotReady(**translated(err, self.name)) from err
        except TedeeError as err:
            # The link went down during the first read: try again like any drop.
            LOGGER.debug("%s: first read failed: %s", self.name, err)
            raise ConfigEntryNotReady(**translated(None, self.name)) from err
        self.tracker.start()
        self.lock_record.start()
        self.user_names.async_lookup()  # so the first events can name their users

    async def async_shutdown(self) -> None:
        """Stop everything and close the link (unload or Home Assistant stop).

        Runs once: Home Assistant's stop and the unload that may follow it both
        call it.
        """
        if self._shut_down:
            return
        self._shut_down = True
        await super().async_shutdown()
        self.tracker.stop()
        self.certificates.stop()
        self.lock_record.stop()
        self._leave_broker()
        await self.session.async_stop()
        self.activity.async_stop()  # after the session: no notification comes now
        await self.archive.async_flush()

    @callback
    def _heard(self) -> None:
        self.session.device_heard()
        self.async_update_listeners()

    @callback
    def _lost(self) -> None:
        if not self.session.established:
            self.session.device_lost()
        self.async_update_listeners()

    # -- what the session tells us (SessionListener) --------------------------------

    @callback
    def session_changed(self) -> None:
        """Status or availability changed: repairs follow, entities are written."""
        if self.session.established:
            # A poll had failed (or it was switched to always connected then).
            self._reached_again()
        async_sync_repairs(self.hass, self.connection_status, self.name, self.serial)
        if self.connection_status is ConnectionStatus.CLOCK_SKEW:
            self._check_clock()
        self.async_update_listeners()

    @callback
    def _check_clock(self) -> None:
        """Measure the clock difference the lock or a certificate revealed."""
        self.config_entry.async_create_background_task(
            self.hass,
            async_check_clock(self.hass, self.cloud, self.name, self.serial),
            f"{DOMAIN} {self.serial} clock check",
        )

    @callback
    def session_report(self, report: Report) -> None:
        """A read answered: fresh data, written at once."""
        if isinstance(report, StateReport):
            self.last_read = dt_util.utcnow()
        previous = self.data.firmware
        self._set_data(self.data.with_report(report))
        if isinstance(report, VersionReport):
            store_firmware(self.hass, self.config_entry, self.serial, str(report))
            if previous is not None and str(report) != previous:
                # Updated: does the cloud still offer an update?
                self.lock_record.read_soon()

    @callback
    def session_notification(self, notification: Notification) -> None:
        """The lock moved, or its battery or door changed."""
        if notification.late and isinstance(
            notification, LockStatusChange | BatteryNotification
        ):
            # Older than what is shown: it never overwrites that.
            LOGGER.debug("%s: ignoring a late notification", self.name)
            return
        if isinstance(notification, CalibrationFinished):
            self.calibrator.finished(notification)
            return
        data = self.data.with_notification(notification)
        if data is None:
            return
        previous = self.data
        self.last_read = dt_util.utcnow()
        self._set_data(data)
        if isinstance(notification, LockStatusChange):
            self.activity.status_changed(notification, previous)
            self._door_moved(previous.door, notification)
        entry = self.config_entry
        if data.has_door_sensor and not entry.data.get(CONF_HAS_DOOR_SENSOR):
            # Kept in the entry, so the door entity exists again after a reload.
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_HAS_DOOR_SENSOR: True}
            )

    @callback
    def _set_data(self, data: TedeeLockData) -> None:
        """New lock data, written; the calibration repair issue follows the state."""
        if data.state is not None and data.state is not self.data.state:
            uncalibrated = data.state is LockState.UNCALIBRATED
            async_sync_calibration(
                self.hass,
                uncalibrated,
                self.name,
                self.serial,
                self.config_entry.entry_id,
            )
            if data.state is LockState.UPDATING:
                # It reboots on new firmware: the next session reads its version.
                self.session.read_version = True
        self.async_set_updated_data(data)

    @callback
    def restore(self, **last: Any) -> None:
        """Values from before a reload or restart, until the lock reports them.

        So an entity comes back with its last value in one write (no "unknown"
        on the way), and the next report is compared with it.
        """
        fresh = {k: v for k, v in last.items() if getattr(self.data, k) is None}
        if fresh:
            self.data = dataclasses.replace(self.data, **fresh)

    @callback
    def _announce(self, event: ActivityEvent) -> None:
        """One bus event per operation (device triggers and the logbook read it)."""
        device_id = self._device_id()
        if device_id is None:
            return  # no entities yet: nothing can have a trigger on it
        # The entity it is about: the door sensor's movements, else the lock. The
        # logbook links it, and filtering the logbook by that entity finds it.
        door = event.event_type.startswith("door_")
        entity_id = er.async_get(self.hass).async_get_entity_id(
            "binary_sensor" if door else "lock",
            DOMAIN,
            f"{self.serial}-{'door' if door else 'lock'}",
        )
        self.hass.bus.async_fire(
            EVENT_ACTIVITY,
            {
                "device_id": device_id,
                "entity_id": entity_id,
                "type": event.event_type,
                "name": self.name,
                **event.attributes,
            },
        )

    @callback
    def _door_moved(self, previous: DoorState | None, change: LockStatusChange) -> None:
        """The door sensor reports a real movement: from open to closed or back.

        A report the door sensor itself sent (its trigger) is a movement; any
        other report counts only where the door was known before and differs
        (a lock report after a reload says where the door is, not that it moved).
        """
        door = change.door
        known = (DoorState.OPEN, DoorState.CLOSED)
        moved = door is not previous and (
            change.trigger == Trigger.DOOR_SENSOR or previous in known
        )
        if door in known and moved:
            self._announce(
                ActivityEvent(
                    "door_opened" if door is DoorState.OPEN else "door_closed",
                    {"timestamp": dt_util.utcnow().isoformat(), "source": "lock"},
                )
            )

    def _device_id(self) -> str | None:
        devices = dr.async_entries_for_config_entry(
            dr.async_get(self.hass), self.config_entry.entry_id
        )
        return devices[0].id if devices else None

    @callback
    def session_log_package(self, package: FetchedPackage) -> None:
        """A package read from the lock's log: kept, and its records become events.

        A firmware update the log reports means the version is read again.
        """
        self.archive.add(package)
        if any(r.event_id in FIRMWARE_UPDATE_EVENTS for r in package.records):
            self.session.read_version = True
        self.activity.logged(package.records)

    @callback
    def _settings_changed(self) -> None:
        """A setting was changed: shown at once; the record read to confirm it."""
        self.async_update_listeners()
        self.lock_record.read_soon()

    @callback
    def _cloud_lock(self, lock: CloudLock) -> None:
        """The cloud's record of the lock, read after a renewal and daily."""
        if lock.firmware_version and lock.firmware_version != self.data.firmware:
            self.session.read_version = True  # updated: read it on the next session
        if firmware_stale(self.config_entry):
            self.session.read_version = True
        self.async_update_listeners()  # "open" may have come or gone

    # -- polling and commands ---------------------------------------------------------

    async def _async_update_data(self) -> TedeeLockData:
        """On demand: connect, read state and battery, let go again.

        A lock out of reach is an expected state, not an error: it is said once
        per outage at INFO (as in always-connected mode) and the entities show
        unavailable until a poll or command reaches the lock again.
        """
        try:
            await self.session.async_refresh()
        except TedeeError as err:
            if not isinstance(err, SessionError):
                LOGGER.debug("%s: refresh failed: %s", self.name, err)
            failure = UpdateFailed(
                **translated(err if isinstance(err, SessionError) else None, self.name)
            )
            if self.poll_failure is None:
                LOGGER.info("Tedee lock %s is unavailable: %s", self.name, failure)
                self.poll_failure = str(failure)
                self.async_update_listeners()  # the data itself did not change
            return self.data
        if self._reached_again():
            self.async_update_listeners()
        return self.data

    def _reached_again(self) -> bool:
        """After a failed poll, the lock was reached: said once, at INFO."""
        if self.poll_failure is None:
            return False
        LOGGER.info("Tedee lock %s is available again", self.name)
        self.poll_failure = None
        return True

    async def async_lock(self, *, force: bool = False) -> None:
        """Lock (force: emergency, locks until jammed)."""
        param = LockParam.FORCE if force else LockParam.NORMAL
        await self._async_move(lambda c: c.lock(param), locking=True)

    async def async_unlock(self, *, force: bool = False, auto: bool = False) -> None:
        """Unlock, pulling the spring or not as the options say.

        ``auto``: an auto-unlock (presence automations). The lock refuses it
        within 3 minutes of any unlock and logs it as an auto-unlock.
        """
        if force:
            param = UnlockParam.FORCE
        elif auto:
            param = UnlockParam.AUTO
        else:
            param = self._unlock_param()
        await self._async_move(lambda c: c.unlock(param), locking=False)

    async def _async_move(
        self, run: Callable[[TedeeLockClient], Awaitable[None]], *, locking: bool
    ) -> None:
        """Lock or unlock; a jam on this move is a translated error."""
        try:
            await self.session.async_move(run, locking=locking)
        except TedeeError as err:
            raise command_error(err, self.name) from err

    async def async_open(self) -> None:
        """Open the door: pull the spring, unlocking first if it is locked."""
        try:
            await self.session.async_open(self._unlock_param())
        except TedeeError as err:
            raise command_error(err, self.name) from err

    def _unlock_param(self) -> UnlockParam:
        if self.config_entry.options.get(CONF_PULL_ON_UNLOCK, True):
            return UnlockParam.NORMAL
        return UnlockParam.WITHOUT_PULL

    async def async_command(
        self, run: Callable[[TedeeLockClient], Awaitable[None]]
    ) -> None:
        """Run one command; a refusal or failure is a translated error."""
        try:
            await self.session.async_command(run)
        except TedeeError as err:
            raise command_error(err, self.name) from err
