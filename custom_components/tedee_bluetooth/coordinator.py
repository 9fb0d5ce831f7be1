"""One coordinator per lock: owns the Bluetooth session, certificates and state.

State arrives as notifications (push); the coordinator keeps the session alive,
reconnects with back-off, handles the lock's alerts and runs commands one at a
time, refusing rather than queueing a command it cannot send promptly.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import bleak
from bleak.exc import BleakError
from bleak_retry_connector import (
    BleakOutOfConnectionSlotsError,
    close_stale_connections_by_address,
    establish_connection,
)
from homeassistant.components import bluetooth
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
    async_track_time_interval,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    BUSY_RETRIES,
    BUSY_RETRY_DELAY,
    CERT_REFRESH_FRACTION,
    CERT_RETRY,
    CONF_CERT_EXPIRATION,
    CONF_CERT_ISSUED,
    CONF_CERTIFICATE,
    CONF_CONNECTION_MODE,
    CONF_DEVICE_PUBLIC_KEY,
    CONF_HAS_DOOR_SENSOR,
    CONF_LOCK_ID,
    CONF_MOBILE_ID,
    CONF_PERSONAL_KEY,
    CONF_PRIVATE_KEY,
    CONF_PULL_ON_UNLOCK,
    CONF_PULL_SPRING_ENABLED,
    CONF_REFRESH_INTERVAL,
    CONF_SERIAL,
    CONNECT_TIMEOUT,
    DEFAULT_REFRESH_INTERVAL,
    DOMAIN,
    ISSUE_NO_CONNECTION_SLOT,
    ISSUE_NOT_REGISTERED,
    KEEPALIVE_INTERVAL,
    LOGGER,
    MODE_ALWAYS,
    NO_SLOT_BACKOFF,
    NOT_REGISTERED_RETRY,
    RECONNECT_BACKOFF,
    UNAVAILABLE_GRACE,
    ConnectionStatus,
    cloud_base_url,
)
from .models import ActivityEvent, TedeeLockData, event_from_log, event_from_status
from .pairing import async_find_lock_service_info
from .tedee import (
    AlertCode,
    AlertError,
    BatteryNotification,
    CloudAuthError,
    CloudError,
    CloudScopeError,
    CommandError,
    Credentials,
    LockParam,
    LockStatusChange,
    MtuTooSmallError,
    Notification,
    NotificationCode,
    OutcomeUnknownError,
    ResultCode,
    TedeeCloud,
    TedeeError,
    TedeeLockClient,
    TrustedTimeError,
    UnlockParam,
    serial_to_service_uuid,
)
from .tedee.client import DEFAULT_COMMAND_TIMEOUT
from .tedee.notifications import SimpleNotification

if TYPE_CHECKING:
    from . import TedeeConfigEntry

COMMAND_DEADLINE = CONNECT_TIMEOUT  # from the button press to the command sent
ON_DEMAND_LINGER = 20.0  # stay connected this long after a command to see it finish
LIVE_EVENT_MEMORY = 30.0  # seconds a live event suppresses the same logged event


_MTU_WARNED: set[tuple[str, int]] = set()


class LockUnreachable(HomeAssistantError):
    """No Bluetooth session could be made (reason in translation_key)."""


class TedeeBluetoothCoordinator(DataUpdateCoordinator[TedeeLockData]):
    """Session, state and commands of one Tedee lock."""

    config_entry: TedeeConfigEntry

    def __init__(self, hass: HomeAssistant, entry: TedeeConfigEntry) -> None:
        """Read the entry; nothing connects yet."""
        self.always_connected = (
            entry.options.get(CONF_CONNECTION_MODE, MODE_ALWAYS) == MODE_ALWAYS
        )
        interval = None
        if not self.always_connected:
            interval = timedelta(
                seconds=entry.options.get(
                    CONF_REFRESH_INTERVAL, DEFAULT_REFRESH_INTERVAL
                )
            )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=interval,
            always_update=False,
        )
        self.data = TedeeLockData()
        self.options_snapshot = dict(entry.options)
        self.personal_key_snapshot: str = entry.data[CONF_PERSONAL_KEY]
        self.serial: str = entry.data[CONF_SERIAL]
        self.lock_id: int = entry.data[CONF_LOCK_ID]
        self.service_uuid = serial_to_service_uuid(self.serial)
        self.address: str | None = None
        self.rssi: int | None = None
        self.connection_status = ConnectionStatus.DISCONNECTED
        self.cloud = TedeeCloud(
            async_get_clientsession(hass),
            entry.data[CONF_PERSONAL_KEY],
            base_url=cloud_base_url(),
        )
        self._client: TedeeLockClient | None = None
        self._connect_lock = asyncio.Lock()
        self._command_lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._reconnect_attempt = 0
        self._cancel_reconnect: CALLBACK_TYPE | None = None
        self._cancel_grace: CALLBACK_TYPE | None = None
        self._cancel_cert_refresh: CALLBACK_TYPE | None = None
        self._cancel_linger: CALLBACK_TYPE | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._lock_available = False
        self._logged_unavailable = False
        self._stopped = False
        # The wall clock the handshake's auth data comes from: Home Assistant's.
        self.wall_clock: Callable[[], float] = lambda: dt_util.utcnow().timestamp()
        # How long the lock may take to answer one command (injectable for tests).
        self.command_timeout = DEFAULT_COMMAND_TIMEOUT
        self._fetching_logs = False
        self._heard_since_drop = False
        self._auth_failed = False
        self._recent_live_events: deque[tuple[str, float]] = deque(maxlen=32)
        self._event_listeners: list[Callable[[ActivityEvent], None]] = []

    # -- availability ---------------------------------------------------------------

    @property
    def lock_available(self) -> bool:
        """Entities are available: session up, or lost for less than the grace."""
        if self.connection_status is ConnectionStatus.NOT_REGISTERED:
            return False
        if self.always_connected:
            return self._lock_available
        return self.last_update_success and self.data.state is not None

    @callback
    def _set_status(self, status: ConnectionStatus) -> None:
        if status is not self.connection_status:
            self.connection_status = status
            self.async_update_listeners()

    @callback
    def _mark_available(self) -> None:
        if self._cancel_grace is not None:
            self._cancel_grace()
            self._cancel_grace = None
        if self._logged_unavailable:
            LOGGER.info("Tedee lock %s is available again", self.name)
            self._logged_unavailable = False
        self._lock_available = True

    @callback
    def _start_grace(self) -> None:
        if not self._lock_available or self._cancel_grace is not None:
            return

        @callback
        def _expired(_now: datetime) -> None:
            self._cancel_grace = None
            self._lock_available = False
            if not self._logged_unavailable:
                LOGGER.info(
                    "Tedee lock %s is unavailable: %s",
                    self.name,
                    self.connection_status,
                )
                self._logged_unavailable = True
            self.async_update_listeners()

        self._cancel_grace = async_call_later(
            self.hass, UNAVAILABLE_GRACE, HassJob(_expired, cancel_on_shutdown=True)
        )

    # -- life cycle -------------------------------------------------------------------

    async def async_start(self) -> None:
        """First connection (test before setup), then tracking and schedules."""
        await self._async_ensure_certificate()
        self._find_address()
        try:
            await self._async_connect()
            await self._async_refresh_state()
        except LockUnreachable as err:
            await self._async_drop_session()
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key=err.translation_key,
                translation_placeholders={"name": self.name},
            ) from err
        except TedeeError as err:
            # The link went down (or the lock stopped answering) during the first
            # reads after the handshake: try again later, like any other drop.
            LOGGER.debug("%s: first read failed: %s", self.name, err)
            await self._async_drop_session()
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"name": self.name},
            ) from err
        if not self.always_connected:
            await self._async_drop_session()
        self._unsubs.append(
            bluetooth.async_register_callback(
                self.hass,
                self._async_on_advertisement,
                bluetooth.BluetoothCallbackMatcher(
                    service_uuid=self.service_uuid, connectable=True
                ),
                bluetooth.BluetoothScanningMode.ACTIVE,
            )
        )
        if self.address is not None:
            self._track_unavailable()
        if self.always_connected:
            self._unsubs.append(
                async_track_time_interval(
                    self.hass,
                    self._async_keepalive,
                    timedelta(seconds=KEEPALIVE_INTERVAL),
                    cancel_on_shutdown=True,
                )
            )
        self._schedule_certificate_refresh()

    async def async_shutdown(self) -> None:
        """Stop everything and drop the link (unload or Home Assistant stop)."""
        self._stopped = True
        await super().async_shutdown()
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for cancel in (
            self._cancel_reconnect,
            self._cancel_grace,
            self._cancel_cert_refresh,
            self._cancel_linger,
        ):
            if cancel is not None:
                cancel()
        self._cancel_reconnect = self._cancel_grace = None
        self._cancel_cert_refresh = self._cancel_linger = None
        for task in list(self._background):
            task.cancel()
        await self._async_drop_session()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task: asyncio.Task[Any] = self.config_entry.async_create_background_task(
            self.hass, coro, f"{DOMAIN} {self.serial} {name}"
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- Bluetooth tracking -------------------------------------------------------------

    def _find_address(self) -> None:
        if info := async_find_lock_service_info(self.hass, self.serial):
            self.address = info.address
            self.rssi = info.rssi

    @callback
    def _track_unavailable(self) -> None:
        assert self.address is not None
        self._unsubs.append(
            bluetooth.async_track_unavailable(
                self.hass, self._async_on_unavailable, self.address, connectable=True
            )
        )

    @callback
    def _async_on_advertisement(
        self,
        info: bluetooth.BluetoothServiceInfoBleak,
        _change: bluetooth.BluetoothChange,
    ) -> None:
        first = self.address is None
        self.address = info.address
        self.rssi = info.rssi
        if first:
            self._track_unavailable()
        back = self.connection_status is ConnectionStatus.OUT_OF_RANGE
        if back:
            self._set_status(ConnectionStatus.DISCONNECTED)
            self._reconnect_attempt = 0
        if (
            self.always_connected
            and not self._stopped
            and not self.session_up
            and not self._connect_lock.locked()
        ):
            if back or not self._heard_since_drop:
                # The lock is back (heard after out of range, or for the first
                # time since a drop): do not wait out the back-off. Later
                # advertisements leave a pending back-off alone.
                self._heard_since_drop = True
                self._reconnect_attempt = 0
                if self._cancel_reconnect is not None:
                    self._cancel_reconnect()
                    self._cancel_reconnect = None
            self._schedule_reconnect(immediately=True)
        self.async_update_listeners()

    @callback
    def _async_on_unavailable(self, _info: bluetooth.BluetoothServiceInfoBleak) -> None:
        if self._client is None or not self._client.established:
            self._set_status(ConnectionStatus.OUT_OF_RANGE)
            self.rssi = None
            self._start_grace()

    # -- the session ---------------------------------------------------------------------

    def _credentials(self) -> Credentials:
        data = self.config_entry.data
        return Credentials(
            data[CONF_PRIVATE_KEY], data[CONF_CERTIFICATE], data[CONF_DEVICE_PUBLIC_KEY]
        )

    async def _signed_time(self) -> tuple[bytes, bytes]:
        try:
            signed = await self.cloud.get_signed_time()
        except CloudError as err:
            self._set_status(ConnectionStatus.NO_TRUSTED_TIME)
            raise TedeeError(f"cannot fetch signed time: {err}") from err
        return signed.datetime_bytes, signed.signature

    @property
    def link_counts(self) -> dict[str, int] | None:
        """What the radio did to the current session's frames, if there is one."""
        if self._client is None:
            return None
        return dataclasses.asdict(self._client.link_counts)

    @property
    def session_up(self) -> bool:
        """A PTLS session is established right now."""
        return self._client is not None and self._client.established

    async def _async_connect(self) -> TedeeLockClient:
        """Make a session (or return the current one); raise LockUnreachable."""
        async with self._connect_lock:
            if self._client is not None and self._client.established:
                return self._client
            if self.connection_status is ConnectionStatus.NOT_REGISTERED:
                raise LockUnreachable(
                    translation_domain=DOMAIN, translation_key="not_registered"
                )
            refreshed = errors = False
            for _ in range(3):
                try:
                    return await self._async_handshake()
                except AlertError as err:
                    # ERROR: retry the handshake once, then renew the certificate.
                    if err.alert is AlertCode.ERROR and not errors:
                        errors = True
                        continue
                    certificate_suspect = err.alert in (
                        AlertCode.INVALID_CERT,
                        AlertCode.ERROR,
                    )
                    if certificate_suspect and not refreshed:
                        refreshed = True
                        LOGGER.debug(
                            "%s: certificate refused; refreshing it", self.name
                        )
                        if await self._async_refresh_certificate():
                            continue
                        self._set_status(ConnectionStatus.INVALID_CERTIFICATE)
                        raise LockUnreachable(
                            translation_domain=DOMAIN,
                            translation_key="invalid_certificate",
                        ) from err
                    if err.alert is AlertCode.TIMEOUT:
                        continue
                    raise self._alert_failure(err) from err
            raise LockUnreachable(
                translation_domain=DOMAIN, translation_key="cannot_connect"
            )

    def _create_issue(
        self, issue: str, severity: ir.IssueSeverity, placeholders: dict[str, str]
    ) -> None:
        """A repair issue of this lock; it is deleted on the next good connection."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{issue}_{self.serial}",
            is_fixable=False,
            severity=severity,
            translation_key=issue,
            translation_placeholders=placeholders,
        )

    def _alert_failure(self, err: AlertError) -> LockUnreachable:
        if err.alert is AlertCode.NOT_REGISTERED:
            self._set_status(ConnectionStatus.NOT_REGISTERED)
            self._create_issue(
                ISSUE_NOT_REGISTERED,
                ir.IssueSeverity.ERROR,
                {"name": self.name, "serial": self.serial},
            )
            self._lock_available = False
            if not self.always_connected:
                # Nothing else reconnects in on-demand mode: the 10-minute
                # re-check is scheduled here (after the connect lock is released).
                self.hass.loop.call_soon(self._schedule_reconnect)
            return LockUnreachable(
                translation_domain=DOMAIN, translation_key="not_registered"
            )
        if err.alert is AlertCode.INVALID_CERT:
            self._set_status(ConnectionStatus.INVALID_CERTIFICATE)
            return LockUnreachable(
                translation_domain=DOMAIN, translation_key="invalid_certificate"
            )
        if err.alert is AlertCode.NO_TRUSTED_TIME:
            self._set_status(ConnectionStatus.NO_TRUSTED_TIME)
            return LockUnreachable(
                translation_domain=DOMAIN, translation_key="no_trusted_time"
            )
        self._set_status(ConnectionStatus.DISCONNECTED)
        return LockUnreachable(
            translation_domain=DOMAIN, translation_key="cannot_connect"
        )

    async def _async_handshake(self) -> TedeeLockClient:
        if self.address is None:
            self._find_address()
        device = (
            bluetooth.async_ble_device_from_address(
                self.hass, self.address, connectable=True
            )
            if self.address
            else None
        )
        if device is None:
            self._set_status(ConnectionStatus.OUT_OF_RANGE)
            raise LockUnreachable(
                translation_domain=DOMAIN, translation_key="out_of_range"
            )
        self._set_status(ConnectionStatus.CONNECTING)
        # Each link's callbacks end only that link's client, never a newer one.
        owner: list[TedeeLockClient] = []

        def _link_down(_ble: Any) -> None:
            if owner:
                owner[0].handle_disconnect()

        try:
            # A link left over from before (a crash, a restart) holds a slot.
            await close_stale_connections_by_address(device.address)
            # bleak.BleakClient is looked up now: Home Assistant swaps in its wrapper,
            # which routes through local adapters and ESPHome proxies alike.
            ble = await establish_connection(
                bleak.BleakClient,
                device,
                self.name,
                disconnected_callback=_link_down,
                max_attempts=2,
                # Each retry takes the freshest path (adapter or proxy) to the lock.
                ble_device_callback=lambda: self._fresh_device(device),
            )
        except BleakOutOfConnectionSlotsError as err:
            self._set_status(ConnectionStatus.NO_CONNECTION_SLOT)
            self._create_issue(
                ISSUE_NO_CONNECTION_SLOT, ir.IssueSeverity.WARNING, {"name": self.name}
            )
            LOGGER.debug("%s: no free connection slot: %s", self.name, err)
            raise LockUnreachable(
                translation_domain=DOMAIN, translation_key="no_connection_slot"
            ) from err
        except (BleakError, TimeoutError) as err:
            self._set_status(ConnectionStatus.DISCONNECTED)
            LOGGER.debug("%s: cannot connect: %s", self.name, err)
            raise LockUnreachable(
                translation_domain=DOMAIN, translation_key="cannot_connect"
            ) from err
        client = TedeeLockClient(
            ble,
            self._credentials(),
            signed_time=self._signed_time,
            on_session_lost=lambda err: self._on_session_lost(client, err),
            clock=self.wall_clock,
            command_timeout=self.command_timeout,
        )
        owner.append(client)
        client.subscribe(self._on_notification)
        self._client = client
        try:
            await client.connect()
        except asyncio.CancelledError:
            # A command's deadline (or shutdown) ended the handshake: close the
            # half-open link too, or it holds one of the lock's and proxy's slots.
            self._client = None
            await asyncio.shield(_quietly(client.disconnect()))
            self._set_status(ConnectionStatus.DISCONNECTED)
            raise
        except AlertError:
            self._client = None
            await _quietly(client.disconnect())
            raise
        except MtuTooSmallError as err:
            self._client = None
            await _quietly(client.disconnect())
            self._set_status(ConnectionStatus.DISCONNECTED)
            # It will not change by itself: say it once per lock and MTU, not on
            # every setup retry (each makes a new coordinator).
            if (self.serial, err.mtu) not in _MTU_WARNED:
                _MTU_WARNED.add((self.serial, err.mtu))
                LOGGER.warning("%s: %s", self.name, err)
            raise LockUnreachable(
                translation_domain=DOMAIN,
                translation_key="mtu_too_small",
                translation_placeholders={
                    "name": self.name,
                    "mtu": str(err.mtu),
                    "needed": str(err.needed),
                },
            ) from err
        except TrustedTimeError as err:
            self._client = None
            await _quietly(client.disconnect())
            self._set_status(ConnectionStatus.NO_TRUSTED_TIME)
            raise LockUnreachable(
                translation_domain=DOMAIN, translation_key="no_trusted_time"
            ) from err
        except (TedeeError, BleakError) as err:
            self._client = None
            await _quietly(client.disconnect())
            # The signed-time source failing leaves NO_TRUSTED_TIME: say that.
            no_time = self.connection_status is ConnectionStatus.NO_TRUSTED_TIME
            self._set_status(
                ConnectionStatus.NO_TRUSTED_TIME
                if no_time
                else ConnectionStatus.DISCONNECTED
            )
            LOGGER.debug("%s: handshake failed: %s", self.name, err)
            raise LockUnreachable(
                translation_domain=DOMAIN,
                translation_key="no_trusted_time" if no_time else "cannot_connect",
            ) from err
        self._reconnect_attempt = 0
        self._set_status(ConnectionStatus.CONNECTED)
        for issue in (ISSUE_NOT_REGISTERED, ISSUE_NO_CONNECTION_SLOT):
            ir.async_delete_issue(self.hass, DOMAIN, f"{issue}_{self.serial}")
        self._mark_available()
        return client

    def _fresh_device(self, fallback: bleak.backends.device.BLEDevice) -> Any:
        fresh = bluetooth.async_ble_device_from_address(
            self.hass, fallback.address, connectable=True
        )
        return fresh or fallback

    @callback
    def _on_session_lost(self, client: TedeeLockClient, err: Exception) -> None:
        self._spawn(_quietly(client.disconnect()), "disconnect")
        if client is not self._client:
            return  # an older link going down says nothing about the current one
        self._client = None
        self._heard_since_drop = False
        if isinstance(err, AlertError) and err.alert is AlertCode.TIMEOUT:
            LOGGER.debug("%s: session is 24 h old; making a new one", self.name)
        else:
            LOGGER.debug("%s: session lost: %s", self.name, err)
        if self.connection_status is ConnectionStatus.CONNECTED:
            self._set_status(ConnectionStatus.DISCONNECTED)
        self._start_grace()
        if self.always_connected and not self._stopped:
            self._schedule_reconnect()

    @callback
    def _schedule_reconnect(self, *, immediately: bool = False) -> None:
        if (
            self._cancel_reconnect is not None
            or self.session_up
            or self._connect_lock.locked()
        ):
            return
        not_registered = self.connection_status is ConnectionStatus.NOT_REGISTERED
        if not_registered:
            delay = NOT_REGISTERED_RETRY
        elif immediately:
            delay = 0.0
        elif self.connection_status is ConnectionStatus.NO_CONNECTION_SLOT:
            delay = NO_SLOT_BACKOFF[
                min(self._reconnect_attempt, len(NO_SLOT_BACKOFF) - 1)
            ]
            self._reconnect_attempt += 1
        else:
            delay = RECONNECT_BACKOFF[
                min(self._reconnect_attempt, len(RECONNECT_BACKOFF) - 1)
            ]
            self._reconnect_attempt += 1

        @callback
        def _fire(_now: datetime) -> None:
            self._cancel_reconnect = None
            if not_registered:
                self._spawn(self._async_recheck_registration(), "registration check")
            else:
                self._spawn(self._async_reconnect(), "reconnect")

        self._cancel_reconnect = async_call_later(
            self.hass, delay, HassJob(_fire, cancel_on_shutdown=True)
        )

    async def _async_reconnect(self) -> None:
        if self._stopped:
            return
        try:
            await self._async_connect()
            await self._async_refresh_state()
        except (LockUnreachable, TedeeError) as err:
            LOGGER.debug("%s: reconnect failed: %s", self.name, err)
            self._start_grace()
            if self.connection_status is not ConnectionStatus.OUT_OF_RANGE:
                self._schedule_reconnect()

    async def _async_recheck_registration(self) -> None:
        """Has the lock been added again in the Tedee app? It then has a new key."""
        if self._stopped:
            return
        if await self._async_refresh_certificate():
            self._set_status(ConnectionStatus.DISCONNECTED)
            if self.always_connected:
                await self._async_reconnect()
            else:
                await self.async_request_refresh()
        else:
            self._schedule_reconnect()

    async def _async_drop_session(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await _quietly(client.disconnect())
        if self.connection_status is ConnectionStatus.CONNECTED:
            self._set_status(ConnectionStatus.DISCONNECTED)

    async def _async_keepalive(self, _now: datetime) -> None:
        """A GET_STATE well inside the lock's idle limit; skipped while busy.

        Also the watchdog: a session that should be up and is not, with nothing
        scheduled to bring it back, is reconnected now.
        """
        if not self.session_up:
            if not self._stopped:  # a connect under way or a back-off pending wins
                self._schedule_reconnect(immediately=True)
            return
        if self._command_lock.locked():
            return
        try:
            await self._async_refresh_state(battery=False)
        except TedeeError as err:
            LOGGER.debug("%s: keep-alive failed: %s", self.name, err)

    async def _async_refresh_state(self, *, battery: bool = True) -> None:
        client = self._client
        if client is None:
            return
        state = await client.get_state()
        data = self.data
        data.state, data.jammed = state.state, state.jammed
        if battery:
            report = await client.get_battery()
            data.battery, data.charging = report.level, report.charging
        if data.firmware is None:
            data.firmware = str(await client.get_version())
            self._update_device_firmware()
        self.async_set_updated_data(data)

    def _update_device_firmware(self) -> None:
        # Looked up through the entry's devices: async_get_device(identifiers=...)
        # is deprecated from Home Assistant 2026.9; this works in every release.
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            if (DOMAIN, self.serial) in device.identifiers:
                registry.async_update_device(device.id, sw_version=self.data.firmware)

    async def _async_update_data(self) -> TedeeLockData:
        """On-demand mode: connect, read state and battery, let go again."""
        try:
            await self._async_connect()
            await self._async_refresh_state()
        except LockUnreachable as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=err.translation_key or "cannot_connect",
                translation_placeholders={"name": self.name},
            ) from err
        except TedeeError as err:
            LOGGER.debug("%s: refresh failed: %s", self.name, err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"name": self.name},
            ) from err
        finally:
            # Only on-demand mode lets go: a refresh (update_entity included) never
            # ends the always-connected session.
            if (
                not self.always_connected
                and not self._command_lock.locked()
                and self._cancel_linger is None
            ):
                await self._async_drop_session()
        return self.data

    # -- notifications ----------------------------------------------------------------

    @callback
    def _on_notification(self, notification: Notification) -> None:
        data = self.data
        if notification.late and isinstance(
            notification, LockStatusChange | BatteryNotification
        ):
            # Older than what is already shown: never let it overwrite that. Its
            # operation, if any, still reaches the activity log.
            LOGGER.debug(
                "%s: ignoring a late %s", self.name, type(notification).__name__
            )
            return
        if isinstance(notification, LockStatusChange):
            previous = data.state
            data.state, data.jammed = notification.state, notification.jammed
            if notification.door is not None:
                data.door = notification.door
                self._remember_door_sensor()
            event = event_from_status(notification, previous, dt_util.utcnow())
            if event is not None:
                self._recent_live_events.append(
                    (event.event_type, self.hass.loop.time())
                )
                self._fire(event)
        elif isinstance(notification, BatteryNotification):
            if notification.level is not None:
                data.battery = notification.level
            if notification.charging is not None:
                data.charging = notification.charging
        elif isinstance(notification, SimpleNotification):
            if notification.code == NotificationCode.NEED_DATE_TIME:
                self._spawn(self._async_give_time(), "signed time")
            elif notification.code == NotificationCode.HAS_LOGS:
                self._spawn(self._async_fetch_logs(), "activity logs")
            return
        else:
            return
        self.async_set_updated_data(data)

    def _remember_door_sensor(self) -> None:
        """Kept in the entry, so the door entity exists again after a reload."""
        entry = self.config_entry
        if self.data.has_door_sensor and not entry.data.get(CONF_HAS_DOOR_SENSOR):
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_HAS_DOOR_SENSOR: True}
            )

    async def _async_give_time(self) -> None:
        try:
            async with self._command_lock:
                if self._client is not None:
                    await self._client.set_signed_time()
        except TedeeError as err:
            LOGGER.warning(
                "%s: could not give the lock a signed time: %s", self.name, err
            )

    async def _async_fetch_logs(self) -> None:
        if self._fetching_logs:
            return
        self._fetching_logs = True
        try:
            async with self._command_lock:
                if self._client is None:
                    return
                records = await self._client.get_logs()
        except TedeeError as err:
            LOGGER.debug("%s: could not fetch activity logs: %s", self.name, err)
            return
        finally:
            self._fetching_logs = False
        now = self.hass.loop.time()
        for record in records:
            event = event_from_log(record)
            if event is None or self._consume_live(event.event_type, now):
                continue
            self._fire(event)

    def _consume_live(self, event_type: str, now: float) -> bool:
        """A logged event we already fired live (from the status change) is skipped."""
        for item in self._recent_live_events:
            kind, seen = item
            if kind == event_type and now - seen < LIVE_EVENT_MEMORY:
                self._recent_live_events.remove(item)
                return True
        return False

    @callback
    def async_add_event_listener(
        self, listener: Callable[[ActivityEvent], None]
    ) -> CALLBACK_TYPE:
        """Receive activity events."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    def _fire(self, event: ActivityEvent) -> None:
        for listener in list(self._event_listeners):
            listener(event)

    # -- commands --------------------------------------------------------------------

    async def async_lock(self, *, force: bool = False) -> None:
        """Lock (force: emergency, locks until jammed)."""
        param = LockParam.FORCE if force else LockParam.NORMAL
        await self._async_command(lambda c: c.lock(param))

    async def async_unlock(self, *, force: bool = False) -> None:
        """Unlock, pulling the spring or not as the options say."""
        if force:
            param = UnlockParam.FORCE
        elif self.config_entry.options.get(CONF_PULL_ON_UNLOCK, True):
            param = UnlockParam.NORMAL
        else:
            param = UnlockParam.WITHOUT_PULL
        await self._async_command(lambda c: c.unlock(param))

    async def async_open(self) -> None:
        """Pull the spring (open the door)."""
        await self._async_command(lambda c: c.pull_spring())

    async def _async_command(
        self, run: Callable[[TedeeLockClient], Awaitable[None]]
    ) -> None:
        """Run one command on an established session, or refuse within ~10 s.

        One deadline, from the moment it was asked for, covers waiting for an
        earlier command, connecting and BUSY retries: a command that cannot be
        sent by then is refused, never sent late.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + COMMAND_DEADLINE
        try:
            async with asyncio.timeout_at(deadline):
                await self._command_lock.acquire()
        except TimeoutError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="lock_busy"
            ) from err
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    client = await self._async_connect()
            except TimeoutError as err:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="not_connected",
                    translation_placeholders={"name": self.name},
                ) from err
            except LockUnreachable as err:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key=err.translation_key or "not_connected",
                    translation_placeholders={"name": self.name},
                ) from err
            for attempt in range(BUSY_RETRIES + 1):
                try:
                    await run(client)
                    break
                except CommandError as err:
                    if (
                        err.result == ResultCode.BUSY
                        and attempt < BUSY_RETRIES
                        and loop.time() + BUSY_RETRY_DELAY < deadline
                    ):
                        await asyncio.sleep(BUSY_RETRY_DELAY)
                        continue
                    raise HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key=_result_key(err.result),
                    ) from err
                except OutcomeUnknownError as err:
                    # Sent, never answered: the lock may have moved. Never resend;
                    # read the state again (always-connected mode reconnects and
                    # reads it by itself) and let the user decide.
                    if not self.always_connected:
                        self._spawn(self.async_request_refresh(), "refresh")
                    raise HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key="outcome_unknown",
                        translation_placeholders={"name": self.name},
                    ) from err
                except TedeeError as err:
                    LOGGER.debug("%s: command failed: %s", self.name, err)
                    raise HomeAssistantError(
                        translation_domain=DOMAIN,
                        translation_key="command_failed",
                        translation_placeholders={"name": self.name},
                    ) from err
        finally:
            self._command_lock.release()
            if not self.always_connected:
                self._linger()

    @callback
    def _linger(self) -> None:
        if self._cancel_linger is not None:
            self._cancel_linger()

        @callback
        def _release(_now: datetime) -> None:
            self._cancel_linger = None
            if not self._command_lock.locked():
                self._spawn(self._async_drop_session(), "idle disconnect")

        self._cancel_linger = async_call_later(
            self.hass, ON_DEMAND_LINGER, HassJob(_release, cancel_on_shutdown=True)
        )

    # -- certificates ------------------------------------------------------------------

    def _refresh_due(self) -> datetime:
        data = self.config_entry.data
        expires = datetime.fromisoformat(data[CONF_CERT_EXPIRATION])
        issued = datetime.fromisoformat(data[CONF_CERT_ISSUED])
        return issued + (expires - issued) * (1 - CERT_REFRESH_FRACTION)

    async def _async_ensure_certificate(self) -> None:
        """Refresh before the first connection if the certificate is due."""
        if dt_util.utcnow() < self._refresh_due():
            return
        expires = datetime.fromisoformat(self.config_entry.data[CONF_CERT_EXPIRATION])
        if await self._async_refresh_certificate() or dt_util.utcnow() < expires:
            return  # renewed, or the old one still works until it expires
        if self._auth_failed:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            )
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="certificate_expired"
        )

    async def _async_refresh_certificate(self) -> bool:
        """Fetch a new certificate; start reauth when the cloud rejects the key."""
        data = self.config_entry.data
        try:
            cert = await self.cloud.get_certificate(data[CONF_MOBILE_ID], self.lock_id)
        except (CloudAuthError, CloudScopeError) as err:
            LOGGER.warning("%s: the Tedee cloud rejected the key: %s", self.name, err)
            self._auth_failed = True
            self.config_entry.async_start_reauth(self.hass)
            return False
        except CloudError as err:
            LOGGER.warning(
                "%s: certificate refresh failed, will retry: %s", self.name, err
            )
            self._schedule_certificate_refresh(retry=True)
            return False
        self._auth_failed = False
        self.hass.config_entries.async_update_entry(
            self.config_entry,
            data={
                **data,
                CONF_CERTIFICATE: cert.certificate,
                CONF_CERT_EXPIRATION: cert.expiration.isoformat(),
                CONF_CERT_ISSUED: dt_util.utcnow().isoformat(),
                CONF_DEVICE_PUBLIC_KEY: cert.device_public_key,
            },
        )
        LOGGER.debug("%s: certificate renewed until %s", self.name, cert.expiration)
        self._schedule_certificate_refresh()
        await self._async_recheck_pull_spring()
        return True

    async def _async_recheck_pull_spring(self) -> None:
        """Offer "open" only where the cloud says pull-spring is enabled."""
        try:
            locks = await self.cloud.get_locks()
        except CloudError as err:  # a key without Device.Read: keep what we know
            LOGGER.debug("%s: cannot read the lock's settings: %s", self.name, err)
            return
        enabled = next(
            (lock.pull_spring_enabled for lock in locks if lock.id == self.lock_id),
            None,
        )
        data = self.config_entry.data
        if enabled is None or data.get(CONF_PULL_SPRING_ENABLED) == enabled:
            return
        self.hass.config_entries.async_update_entry(
            self.config_entry, data={**data, CONF_PULL_SPRING_ENABLED: enabled}
        )
        self.async_update_listeners()

    @callback
    def _schedule_certificate_refresh(self, *, retry: bool = False) -> None:
        if self._stopped:
            return
        if self._cancel_cert_refresh is not None:
            self._cancel_cert_refresh()
        when = dt_util.utcnow() + CERT_RETRY if retry else self._refresh_due()

        async def _refresh(_now: datetime) -> None:
            self._cancel_cert_refresh = None
            await self._async_refresh_certificate()

        self._cancel_cert_refresh = async_track_point_in_utc_time(
            self.hass,
            HassJob(_refresh, cancel_on_shutdown=True),
            max(when, dt_util.utcnow()),
        )


def _result_key(result: int) -> str:
    try:
        return f"result_{ResultCode(result).name.lower()}"
    except ValueError:
        return "result_error"


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except (TedeeError, BleakError, OSError, TimeoutError) as err:
        LOGGER.debug("ignored while disconnecting: %s", err)
