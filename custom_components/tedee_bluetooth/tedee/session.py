"""The session engine: when to talk to one lock, on which link, and what to refuse.

It is the only place that opens or closes a link to the lock. It keeps the
session up (always connected) or makes one per poll or command (on demand),
reconnects with back-off, watches for a session that should be up and is not,
handles the lock's alerts and runs one command at a time under one deadline.
Free of Home Assistant: the caller hands it the freshest device, a connector,
credentials, a signed-time source and a certificate renewer, and hears back
through a ``SessionListener``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
import time
from typing import Any

from .availability import Availability
from .chores import async_keepalive, async_read_more
from .client import TedeeLockClient
from .connector import Connector
from .const import AlertCode
from .deadline import Run, async_run_by
from .errors import (
    AlertError,
    OutcomeUnknownError,
    SessionError,
    TedeeError,
    TrustedTimeError,
)
from .handshake import Attempt, async_establish, async_quietly
from .outage import Outage
from .scheduler import Scheduler
from .session_config import SessionConfig
from .session_listener import SessionListener, Spawner
from .session_requests import LockRequests
from .session_tasks import SessionTasks
from .status import ConnectionStatus
from .transport import Credentials

_LOGGER = logging.getLogger(__name__)


class TedeeSession(LockRequests):
    """The Bluetooth session with one lock."""

    def __init__(
        self,
        name: str,
        listener: SessionListener,
        *,
        device: Callable[[], Any | None],
        connector: Connector,
        credentials: Callable[[], Credentials],
        signed_time: Callable[[], Awaitable[tuple[bytes, bytes]]],
        renew_certificate: Callable[[], Awaitable[bool]],
        config: SessionConfig | None = None,
        clock: Callable[[], float] = time.time,
        spawn: Spawner | None = None,
        silent_for: Callable[[], float | None] = lambda: None,
    ) -> None:
        """Nothing connects before ``async_start``.

        ``device()`` is the freshest path to the lock, None while out of range.
        ``renew_certificate()`` is True once a new certificate is in place.
        ``clock`` is the wall clock the handshake's auth data carries.
        ``spawn(coro, name)`` starts the session's tasks (the owner may track them).
        ``silent_for()`` is how long ago the lock was last heard (None: unknown).
        """
        self.name = name
        self.config = config or SessionConfig()
        self.clock = clock
        self.status = ConnectionStatus.DISCONNECTED
        # Read the firmware version on the next connection (the owner caches it).
        self.read_version = True
        self._listener = listener
        self._device = device
        self._connector = connector
        self._credentials = credentials
        self._signed_time_source = signed_time
        self._renew_certificate = renew_certificate
        self._client: TedeeLockClient | None = None
        self._connect_lock = asyncio.Lock()
        self._io_lock = asyncio.Lock()  # commands, log fetches, signed time
        self._tasks = SessionTasks(name, spawn)
        self._scheduler = Scheduler(self.config, self._wake_up)
        self._availability = Availability(
            name,
            self.config.unavailable_grace,
            lambda: str(self.status),
            listener.session_changed,
        )
        self._outage = Outage(
            name,
            self.config.out_of_range_silence,
            silent_for,
            lambda: self.status,
            self._set_status,
        )
        self._linger: asyncio.TimerHandle | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._heard_since_drop = False
        self._fetching_logs = False
        self._attempting = False  # a scheduled attempt was started

    # -- what the owner reads -------------------------------------------------------

    @property
    def available(self) -> bool:
        """The entities should show as available."""
        return self._availability.available

    @property
    def client(self) -> TedeeLockClient | None:
        """The current session's client (for diagnostics)."""
        return self._client

    @property
    def always_connected(self) -> bool:
        """Keep the session up, rather than one per poll or command."""
        return self.config.always_connected

    # -- life cycle --------------------------------------------------------------------

    async def async_start(self) -> None:
        """The first session and the lock's state; battery and version follow.

        Raises SessionError (or TedeeError, the link failing in the first read);
        nothing is left open then.
        """
        try:
            client = await self._async_connect()
            self._listener.session_report(await client.get_state())
        except BaseException:
            await self._async_drop()
            raise
        self._tasks.spawn(self._async_read_rest(client), "first read")
        if self.always_connected:
            self._arm_watchdog()

    async def async_stop(self) -> None:
        """Cancel every timer and task and close the link (unload, shutdown)."""
        self._scheduler.cancel()
        for handle in (self._linger, self._watchdog):
            if handle is not None:
                handle.cancel()
        self._linger = self._watchdog = None
        self._availability.stop()
        await self._tasks.async_stop()
        await self._async_drop()

    # -- what Bluetooth tells us -----------------------------------------------------

    def device_heard(self) -> None:
        """An advertisement: the lock is in range.

        Heard after being out of range, or for the first time since a drop, the
        lock is back: try at once rather than wait out the back-off. The status
        stays ``out_of_range`` until that attempt ends: a lock that comes back
        goes straight to ``connected``, with no step in between.
        """
        back = self.status is ConnectionStatus.OUT_OF_RANGE
        if (
            not self.always_connected
            or self.established
            or self.status is ConnectionStatus.NOT_REGISTERED
        ):
            return
        if back or not self._heard_since_drop:
            self._heard_since_drop = True
            self._scheduler.reset()
            self._schedule(0.0, sooner=True)
        else:
            self._schedule(0.0)

    def device_lost(self) -> None:
        """Bluetooth no longer hears the lock."""
        if not self.established:
            self._set_status(ConnectionStatus.OUT_OF_RANGE)
            self._availability.lost()

    # -- reads and commands ---------------------------------------------------------

    async def async_refresh(self) -> None:
        """Read state and battery (connecting if needed); on demand, let go after.

        On demand the lock's activity log is fetched too: its HAS_LOGS came while
        nobody was connected.
        """
        try:
            client = await self._async_connect()
            await self._async_read(client)
        finally:
            if not self.always_connected:
                await self._async_release_if_idle()

    async def async_command(self, run: Run) -> None:
        """Run one command, or refuse it: it is never sent after the deadline.

        One deadline, from the moment it was asked for, covers waiting for an
        earlier command, connecting and BUSY retries. Raises SessionError
        (``lock_busy``, ``not_connected`` or why no session could be made),
        CommandError or OutcomeUnknownError (sent, never answered: not resent).
        """
        config = self.config
        deadline = asyncio.get_running_loop().time() + config.command_deadline
        try:
            await async_run_by(
                deadline,
                self._io_lock,
                self._async_connect,
                run,
                busy_retries=config.busy_retries,
                busy_retry_delay=config.busy_retry_delay,
            )
        except OutcomeUnknownError:
            # The lock may have moved: read its state again (always-connected
            # reconnects and reads by itself).
            if not self.always_connected:
                self._schedule(0.0)
            raise
        finally:
            if not self.always_connected:
                self._start_linger()

    async def _async_read(
        self, client: TedeeLockClient, *, battery: bool = True
    ) -> None:
        self._listener.session_report(await client.get_state())
        if battery:
            await self._async_read_rest(client)

    async def _async_read_rest(self, client: TedeeLockClient) -> None:
        report = self._listener.session_report
        if await async_read_more(self.name, client, report, version=self.read_version):
            self.read_version = False
        if not self.always_connected:
            await self.async_fetch_logs()
            await self._async_release_if_idle()

    # -- connecting ------------------------------------------------------------------

    async def _async_connect(self) -> TedeeLockClient:
        """The current session, or a new one; SessionError says why not."""
        async with self._connect_lock:
            client = self._client
            if client is not None and client.established:
                return client
            if self.status is ConnectionStatus.NOT_REGISTERED:
                raise SessionError("not_registered")
            try:
                client = await async_establish(
                    self.name,
                    self._device,
                    self._attempt_for,
                    self._renew_certificate,
                    self._set_status,
                )
            except SessionError as err:
                if err.reason == "not_registered":
                    self._availability.down()  # it will not talk to us at all
                self._outage.failed(err)
                self._schedule_retry()
                raise
            self._client = client
            self._outage.retrying = False
            self._scheduler.reset()
            self._set_status(ConnectionStatus.CONNECTED)
            self._availability.up()
            return client

    def _attempt_for(self, device: Any) -> Attempt:
        return Attempt(
            name=self.name,
            device=device,
            connector=self._connector,
            credentials=self._credentials(),
            signed_time=self._signed_time,
            clock=self.clock,
            command_timeout=self.config.command_timeout,
            on_notification=self._on_notification,
            on_lost=self._on_session_lost,
            set_status=self._outage.attempt_status,
            connect_timeout=self.config.connect_timeout,
        )

    async def _signed_time(self) -> tuple[bytes, bytes]:
        try:
            return await self._signed_time_source()
        except TedeeError as err:
            raise TrustedTimeError(f"cannot fetch a signed time: {err}") from err

    def _on_session_lost(self, client: TedeeLockClient, err: Exception) -> None:
        if self._tasks.stopped:
            return  # stopping: async_stop closes the current link itself
        self._tasks.spawn(async_quietly(client.disconnect()), "disconnect")
        if client is not self._client:
            return  # an older link going down says nothing about the current one
        self._client = None
        self._heard_since_drop = False
        if isinstance(err, AlertError) and err.alert is AlertCode.TIMEOUT:
            _LOGGER.debug("%s: session is 24 h old; making a new one", self.name)
        else:
            _LOGGER.debug("%s: session lost: %s", self.name, err)
        if self.status is ConnectionStatus.CONNECTED:
            self._set_status(ConnectionStatus.DISCONNECTED)
        self._outage.retrying = self.always_connected  # no "connecting" per retry
        self._availability.lost()
        if self.always_connected:
            self._schedule_retry()

    async def _async_drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.shield(async_quietly(client.disconnect()))
        if self.status is ConnectionStatus.CONNECTED:
            self._set_status(ConnectionStatus.DISCONNECTED)

    async def _async_release_if_idle(self) -> None:
        """On demand: let go unless a command runs or lingers."""
        if not self._io_lock.locked() and self._linger is None:
            await self._async_drop()

    # -- the one scheduler -----------------------------------------------------------

    def _schedule(self, delay: float, *, sooner: bool = False) -> None:
        if not self._tasks.stopped and not self.established:
            self._scheduler.at(delay, sooner=sooner)

    def _schedule_retry(self) -> None:
        delay = self._scheduler.retry_delay(self.status)
        if delay is not None:
            self._schedule(delay)

    def _wake_up(self) -> None:
        if self._tasks.stopped or self.established or self._connecting:
            return  # an attempt under way schedules the next one if it fails
        self._attempting = True  # from now, not from when the task first runs
        self._tasks.spawn(self._async_attempt(), "reconnect")

    @property
    def _connecting(self) -> bool:
        return self._attempting or self._connect_lock.locked()

    async def _async_attempt(self) -> None:
        try:
            if self.status is ConnectionStatus.NOT_REGISTERED:
                # Added again in the Tedee app? Then the lock has a new key for us.
                if not await self._renew_certificate():
                    self._schedule(self.config.not_registered_retry)
                    return
                self._set_status(ConnectionStatus.DISCONNECTED)
            await self.async_refresh()
        except TedeeError as err:
            _LOGGER.debug("%s: reconnect failed: %s", self.name, err)
            self._availability.lost()
        finally:
            self._attempting = False

    def _arm_watchdog(self) -> None:
        self._watchdog = asyncio.get_running_loop().call_later(
            self.config.keepalive_interval, self._watchdog_tick
        )

    def _watchdog_tick(self) -> None:
        """A keep-alive well inside the lock's idle limit, and the watchdog.

        A session that should be up and is not, with nothing scheduled to bring
        it back, is reconnected now.
        """
        self._arm_watchdog()
        if (client := self._client) is not None and client.established:
            if not self._io_lock.locked():
                report = self._listener.session_report
                keepalive = async_keepalive(self.name, client, report)
                self._tasks.spawn(keepalive, "keep-alive")
        elif (
            self.status
            not in (ConnectionStatus.NOT_REGISTERED, ConnectionStatus.OUT_OF_RANGE)
            and not self._connecting
        ):
            # Out of range, the next advertisement (not a timer) brings it back.
            self._schedule(0.0)

    # -- status and availability ----------------------------------------------------

    def _set_status(self, status: ConnectionStatus) -> None:
        if status is not self.status:
            self.status = status
            self._listener.session_changed()

    def _start_linger(self) -> None:
        """On demand: stay connected a while after a command, to see it finish."""
        if self._linger is not None:
            self._linger.cancel()
        self._linger = asyncio.get_running_loop().call_later(
            self.config.linger, self._linger_over
        )

    def _linger_over(self) -> None:
        self._linger = None
        if not self._io_lock.locked():
            self._tasks.spawn(self._async_logs_then_drop(), "idle disconnect")

    async def _async_logs_then_drop(self) -> None:
        """What the lock logged (the command's own operation included), then let go."""
        await self.async_fetch_logs()
        await self._async_release_if_idle()
