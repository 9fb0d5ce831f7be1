"""The session engine: when to talk to one lock, on which link, and what to refuse.

It is the only place that opens or closes a link to the lock. It keeps the
session up (always connected) or makes one per poll or command (on demand),
reconnects with back-off, watches for a session that should be up and is not,
answers what the lock asks for by itself (signed time, its activity log) and runs
one command at a time under one deadline.

Two rules hold it together:

- **One lifecycle.** ``phase`` is idle, connecting, established or stopped.
  ``stopped`` is terminal: every entry point refuses, the timers and tasks are
  cancelled, a handshake under way is cancelled (its link closed), and a session
  that completes anyway is closed at once. Nothing reaches the lock after stop.
- **Links are leased.** Whoever uses the link (a command and its linger, a poll,
  a log fetch, a signed time, the first reads) holds a lease; on demand the link
  is let go only when the last lease ends, so no user loses it under another.

Free of Home Assistant: the caller hands it the freshest device, a connector,
credentials, a signed-time source and a certificate renewer, and hears back
through a ``SessionListener``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
import dataclasses
from enum import Enum
import logging
import time
from typing import Any

from ..errors import (
    AlertError,
    OutcomeUnknownError,
    SessionError,
    TedeeError,
    TrustedTimeError,
)
from ..link.client import TedeeLockClient
from ..link.connector import Connector
from ..link.transport import Credentials
from ..wire.commands import UnlockParam
from ..wire.const import AlertCode
from ..wire.notifications import (
    LockStatusChange,
    Notification,
    NotificationCode,
    SimpleNotification,
)
from .availability import Availability
from .config import SessionConfig
from .deadline import Run, async_run_by
from .establish import Attempt, async_establish, async_quietly
from .listener import SessionListener, Spawner
from .motor import Motor
from .outage import Outage
from .scheduler import Scheduler
from .status import ConnectionStatus

_LOGGER = logging.getLogger(__name__)
CLOSE_WAIT = 5.0  # seconds a new connect waits for the lost link's close
# "Another lock, let go of a slot for me": True once one did.
BorrowSlot = Callable[[], Awaitable[bool]]


class Phase(Enum):
    """Where the session is in its life."""

    IDLE = "idle"  # no session, none being made
    CONNECTING = "connecting"  # a connect and handshake are under way
    ESTABLISHED = "established"  # a PTLS session is up
    STOPPED = "stopped"  # told to stop: terminal


class TedeeSession:
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
        registration_changed: Callable[[], Awaitable[bool]] | None = None,
        config: SessionConfig | None = None,
        clock: Callable[[], float] = time.time,
        borrow_slot: BorrowSlot | None = None,
        spawn: Spawner | None = None,
        silent_for: Callable[[], float | None] = lambda: None,
    ) -> None:
        """Nothing connects before ``async_start``.

        ``device()`` is the freshest path to the lock, None while out of range.
        ``renew_certificate()`` is True once a new certificate is in place (the
        owner spaces renewals: a lock that keeps refusing one must not turn every
        connect attempt into a cloud request).
        ``registration_changed()`` is True once the cloud vouches for new lock
        keys (a reset lock added again); it defaults to renewing the certificate.
        ``clock`` is the wall clock the handshake's auth data carries.
        ``spawn(coro, name)`` starts the session's tasks (the owner may track them).
        ``silent_for()`` is how long ago the lock was last heard (None: unknown).
        """
        self.name = name
        self.config = config or SessionConfig()
        self.clock = clock
        self.status = ConnectionStatus.DISCONNECTED
        self.phase = Phase.IDLE
        # Read the firmware version on the next connection (the owner caches it).
        self.read_version = True
        self._listener = listener
        self._device = device
        self._connector = connector
        self._credentials = credentials
        self._signed_time_source = signed_time
        self._renew_certificate = renew_certificate
        self._registration_changed = registration_changed or renew_certificate
        self._spawner = spawn
        self._borrow_slot = borrow_slot
        self._slotless_since: float | None = None  # no proxy slot free since
        self._lent = False  # it gave its slot to another lock's command
        self.last_used = 0.0  # loop time of the last command (for lending)
        self._client: TedeeLockClient | None = None
        self._connect_lock = asyncio.Lock()
        self._io_lock = asyncio.Lock()  # commands, log fetches, signed time
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing: asyncio.Task[Any] | None = None  # a lost link being closed
        self._handshakes: set[asyncio.Task[TedeeLockClient]] = set()
        self._scheduler = Scheduler(lambda: self.config, self._wake_up)
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
        self._leases = 0
        self._linger: asyncio.TimerHandle | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._established_at: float | None = None
        # Sessions in a row that died young (less than ``stable_session``).
        self._short_sessions = 0
        self._heard_since_drop = False
        self._fetching_logs = False
        self._motor = Motor()

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

    @property
    def _not_registered(self) -> bool:
        return self.status is ConnectionStatus.NOT_REGISTERED

    @property
    def established(self) -> bool:
        """A PTLS session is up right now."""
        return self._client is not None and self._client.established

    @property
    def stopped(self) -> bool:
        """Told to stop: nothing reaches the lock any more."""
        return self.phase is Phase.STOPPED

    # -- life cycle --------------------------------------------------------------------

    async def async_start(self) -> None:
        """The first session and the lock's state; battery and version follow.

        Raises SessionError (or TedeeError, the link failing in the first read);
        nothing is left open then.
        """
        self._lease_take()
        try:
            # Like a command: a lock set up behind full proxies borrows a slot.
            client = await self._async_connect_borrowing()
            self._report_state(await client.get_state())
        except BaseException:
            self._leases -= 1
            await self._async_drop()
            raise
        self._spawn(self._async_first_read(client), "first read")
        if self.always_connected:
            self._arm_watchdog()

    async def async_stop(self) -> None:
        """Stop for good: timers, tasks and handshakes end, and the link closes.

        Called on unload, reload, removal and Home Assistant's stop.
        """
        if self.stopped:
            return
        self.phase = Phase.STOPPED
        self._scheduler.cancel()
        for handle in (self._linger, self._watchdog):
            if handle is not None:
                handle.cancel()
        self._linger = self._watchdog = None
        self._availability.stop()
        running = [*self._tasks, *self._handshakes]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await self._async_drop()

    async def async_set_always_connected(self, always: bool) -> None:
        """Switch between always connected and on demand, on the same session.

        Nothing under way is cut short: a command, poll or log fetch keeps its
        lease and its deadline, and the link goes only when the last lease
        ends. To on demand: no more keep-alives or background reconnects, and
        an idle link is let go now. To always connected: a linger ends, the
        keep-alive starts, and a link is made now if there is none. A lock that
        is not registered is looked at again on its own pace in either mode.
        """
        if self.stopped or always is self.always_connected:
            return
        self.config = dataclasses.replace(self.config, always_connected=always)
        if always:
            if self._linger is not None:
                self._linger.cancel()
                self._linger = None
                await self._async_lease_end()  # the linger's; the link stays now
            self._arm_watchdog()
            if not self.established and not self._not_registered:
                self._scheduler.reset()
                self._schedule(0.0, sooner=True)
            return
        if not self._not_registered:
            self._scheduler.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._availability.stop()  # on demand, the last poll says (the owner's)
        self._slotless_since, self._lent = None, False
        if self._leases == 0:
            await self._async_drop()  # connected: idle now
        if self.status in (
            ConnectionStatus.DISCONNECTED,
            ConnectionStatus.WAITING_FOR_SLOT,
        ):
            self._set_status(ConnectionStatus.IDLE)

    def key_given(self) -> None:
        """The cloud takes our key again: what it refused for want of one, now.

        A signed time the lock asked for during the session is given; a session
        that could not be made (no signed time, a refused certificate, renewed
        meanwhile) is tried at once rather than after its back-off.
        """
        if self.stopped:
            return
        if self.established:
            if self.status is ConnectionStatus.NO_TRUSTED_TIME:
                self._spawn(self._async_give_time(), "signed time")
            return
        if self.always_connected and self.status in (
            ConnectionStatus.NO_TRUSTED_TIME,
            ConnectionStatus.INVALID_CERTIFICATE,
        ):
            self._scheduler.reset()
            self._schedule(0.0, sooner=True)

    # -- what Bluetooth tells us -----------------------------------------------------

    def device_heard(self) -> None:
        """An advertisement: the lock is in range.

        Heard after being out of range, or for the first time since a drop, the
        lock is back: try at once rather than wait out the back-off (unless
        sessions keep dying young: then the back-off rules). The status stays
        ``out_of_range`` until that attempt ends: a lock that comes back goes
        straight to ``connected``.
        """
        back = self.status is ConnectionStatus.OUT_OF_RANGE
        if (
            self.stopped
            or not self.always_connected
            or self.established
            or self._not_registered
        ):
            return
        if back or (not self._heard_since_drop and self._short_sessions <= 1):
            self._heard_since_drop = True
            self._scheduler.reset()
            self._schedule(0.0, sooner=True)
        else:
            self._schedule(0.0)  # unless a later try is already scheduled

    def device_lost(self) -> None:
        """Bluetooth no longer hears the lock."""
        if not self.established and not self.stopped:
            self._set_status(ConnectionStatus.OUT_OF_RANGE)
            self._availability.lost()

    # -- reads and commands ---------------------------------------------------------

    async def async_refresh(self) -> None:
        """Read state and battery (connecting if needed); on demand, let go after.

        On demand the lock's activity log is fetched too: its HAS_LOGS came while
        nobody was connected.
        """
        async with self._lease():
            client = await self._async_connect()
            self._report_state(await client.get_state())
            await self._async_read_rest(client)

    async def async_open(self, unlock: UnlockParam = UnlockParam.NORMAL) -> None:
        """Open the door: pull the spring, unlocking first where it is locked.

        A lock pulls only from UNLOCKED. Locked (or semi-locked), it is unlocked
        first; if it pulls by itself on unlocking (auto-pull) it is not pulled
        again, otherwise the spring is pulled once the lock reports UNLOCKED.
        One deadline covers both steps; if the pull cannot follow, SessionError
        ``unlocked_not_opened`` says the door is unlocked but not open.
        """

        async def run(client: TedeeLockClient) -> None:
            await self._motor.async_open(client, unlock, deadline)

        deadline = asyncio.get_running_loop().time() + self.config.command_deadline
        await self.async_command(run, deadline=deadline)

    async def async_move(self, run: Run, *, locking: bool) -> None:
        """LOCK or UNLOCK, then wait (inside the one deadline) for how it ended.

        Raises SessionError ``jammed_locking`` or ``jammed_unlocking`` when the
        lock reports it jammed on this move; a move still under way at the
        deadline is left to the lock's own reports.
        """
        deadline = asyncio.get_running_loop().time() + self.config.command_deadline
        await self.async_command(run, deadline=deadline)
        if await self._motor.async_outcome(deadline):
            raise SessionError("jammed_locking" if locking else "jammed_unlocking")

    async def async_command(self, run: Run, *, deadline: float | None = None) -> None:
        """Run one command, or refuse it: it is never sent after the deadline.

        One deadline, from the moment it was asked for, covers waiting for an
        earlier command, connecting, waiting for the motor to settle and BUSY
        retries. Raises SessionError (``stopped``, ``lock_busy``,
        ``not_connected`` or why no session could be made), CommandError or
        OutcomeUnknownError (sent, never answered: not resent).
        """
        if self.stopped:
            raise SessionError("stopped")
        config = self.config
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + config.command_deadline
        async with self._lease():
            try:
                self.last_used = asyncio.get_running_loop().time()
                await async_run_by(
                    deadline,
                    self._io_lock,
                    self._async_connect_borrowing,
                    run,
                    settled=self._motor.async_settled,
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

    async def async_fetch_logs(self) -> None:
        """Fetch the waiting activity-log records on the current session."""
        if self._fetching_logs or not self.config.fetch_logs:
            return
        self._fetching_logs = True
        try:
            async with self._lease(), self._io_lock:
                client = self._client
                if client is not None:
                    await client.get_logs(self._listener.session_log_package)
        except TedeeError as err:
            _LOGGER.debug("%s: could not fetch activity logs: %s", self.name, err)
        finally:
            self._fetching_logs = False

    async def _async_first_read(self, client: TedeeLockClient) -> None:
        """The rest of the first read, under the lease ``async_start`` took."""
        try:
            await self._async_read_rest(client)
        finally:
            await self._async_lease_end()

    async def _async_read_rest(self, client: TedeeLockClient) -> None:
        """Battery, the version if asked; on demand the activity log too."""
        report = self._listener.session_report
        try:
            report(await client.get_battery())
            if self.read_version:
                report(await client.get_version())
                self.read_version = False
        except TedeeError as err:
            _LOGGER.debug("%s: reading battery or version failed: %s", self.name, err)
        if not self.always_connected:
            await self.async_fetch_logs()

    def _report_state(self, report: Any) -> None:
        self._motor.report(report.state, jammed=report.jammed)
        self._listener.session_report(report)

    # -- links and their leases -------------------------------------------------------

    @asynccontextmanager
    async def _lease(self) -> AsyncIterator[None]:
        """Hold the link while in the block; on demand the last lease lets it go."""
        self._lease_take()
        try:
            yield
        finally:
            await self._async_lease_end()

    def _lease_take(self) -> None:
        self._leases += 1

    async def _async_lease_end(self) -> None:
        self._leases -= 1
        if self._leases == 0 and not self.always_connected:
            await self._async_drop()

    async def _async_drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.shield(async_quietly(client.disconnect()))
        if self.phase is Phase.ESTABLISHED:
            self.phase = Phase.IDLE
        if self.status is ConnectionStatus.CONNECTED:
            # On demand, letting go is the plan, not a fault.
            self._set_status(
                ConnectionStatus.DISCONNECTED
                if self.always_connected
                else ConnectionStatus.IDLE
            )

    def _start_linger(self) -> None:
        """On demand: stay connected a while after a command, to see it finish."""
        if self.stopped:
            return
        if self._linger is not None:
            self._linger.cancel()
        else:
            self._lease_take()  # the linger holds the link until it ends
        self._linger = asyncio.get_running_loop().call_later(
            self.config.linger, self._linger_over
        )

    def _linger_over(self) -> None:
        self._linger = None
        self._spawn(self._async_logs_then_let_go(), "idle disconnect")

    async def _async_logs_then_let_go(self) -> None:
        """What the lock logged (the command's own operation included), then let go."""
        try:
            await self.async_fetch_logs()
        finally:
            await self._async_lease_end()

    # -- connecting ------------------------------------------------------------------

    async def _async_connect(self, *, recheck: bool = False) -> TedeeLockClient:
        """The current session, or a new one; SessionError says why not.

        ``recheck``: a lock that refused us as not registered is tried again.
        """
        async with self._connect_lock:
            if self.stopped:
                raise SessionError("stopped")
            client = self._client
            if client is not None and client.established:
                return client
            if self._not_registered and not recheck:
                raise SessionError("not_registered")
            self.phase = Phase.CONNECTING
            await self._async_closed()
            handshake = asyncio.ensure_future(
                async_establish(
                    self.name,
                    self._device,
                    self._attempt_for,
                    self._renew_certificate,
                    self._set_status,
                )
            )
            self._handshakes.add(handshake)
            try:
                client = await handshake
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self._stopped_meanwhile() and not (task and task.cancelling()):
                    raise SessionError("stopped") from None
                raise
            except SessionError as err:
                if self._stopped_meanwhile():
                    raise SessionError("stopped") from err
                self.phase = Phase.IDLE
                if err.reason == "not_registered":
                    self._availability.down()  # it will not talk to us at all
                self._outage.failed(err)
                self._schedule_retry()
                raise
            finally:
                self._handshakes.discard(handshake)
                if self.phase is Phase.CONNECTING:
                    self.phase = Phase.IDLE
            if self._stopped_meanwhile():  # completed just as stop began
                await asyncio.shield(async_quietly(client.disconnect()))
                raise SessionError("stopped")
            self._client = client
            self.phase = Phase.ESTABLISHED
            self._established_at = asyncio.get_running_loop().time()
            self._outage.retrying = False
            self._set_status(ConnectionStatus.CONNECTED)
            self._availability.up()
            return client

    async def _async_connect_borrowing(
        self, *, background: bool = False
    ) -> TedeeLockClient:
        """Connect; with no free proxy slot, borrow one from an idle lock.

        A command borrows at once. A background reconnect borrows only once this
        lock has been without a slot for ``slot_hold`` (its turn in the rotation);
        before that it waits, as it always did.
        """
        if background and self._lent and not self._turn_came():
            # It gave its slot away: no attempt (and no status change) before
            # its turn.
            raise SessionError("no_connection_slot")
        try:
            client = await self._async_connect()
        except SessionError as err:
            if err.reason != "no_connection_slot" or self._borrow_slot is None:
                raise
            if background and not self._turn_came():
                raise
            if not await self._borrow_slot():
                raise
            _LOGGER.debug("%s: another lock lent its slot", self.name)
            client = await self._async_connect()
        self._slotless_since, self._lent = None, False
        return client

    def _turn_came(self) -> bool:
        """Whether this lock has waited ``slot_hold`` without a slot.

        If not yet, the scheduler wakes it when it has, whatever the back-off says.
        """
        now = asyncio.get_running_loop().time()
        if self._slotless_since is None:
            self._slotless_since = now
        wait = self._slotless_since + self.config.slot_hold - now
        if wait > 0 and not self.stopped:
            self._scheduler.at_most(wait)
        return wait <= 0

    @property
    def can_lend_slot(self) -> bool:
        """Established, always connected, and nothing of its own under way."""
        return (
            self.always_connected
            and self.established
            and self._leases == 0
            and not self._io_lock.locked()
            and not self.stopped
        )

    async def async_lend_slot(self) -> bool:
        """Let go of the link so another lock's command gets its proxy slot.

        The status says honestly that this lock now has no slot; its entities
        keep the last state (as on demand), and it takes a slot back after
        ``slot_hold``.
        """
        if not self.can_lend_slot:
            return False
        self._slotless_since, self._lent = asyncio.get_running_loop().time(), True
        # Said first, so the drop below does not pass through "disconnected".
        self._set_status(ConnectionStatus.WAITING_FOR_SLOT)
        await self._async_drop()
        _LOGGER.debug("%s: lent its connection slot to another lock", self.name)
        self._schedule(self.config.slot_hold)
        return True

    def _stopped_meanwhile(self) -> bool:
        """Told to stop while we were waiting (a call, so no checker narrows it)."""
        return self.phase is Phase.STOPPED

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
        if client is not self._client:
            # An older link going down says nothing about the current one; a link
            # that never became the session closes itself.
            if not self.stopped:
                self._spawn(async_quietly(client.disconnect()), "disconnect")
            return
        if self.stopped:
            return  # async_stop closes the current link itself
        self._closing = self._spawn(async_quietly(client.disconnect()), "disconnect")
        self._client = None
        self.phase = Phase.IDLE
        loop_now = asyncio.get_running_loop().time()
        lived = loop_now - (self._established_at or loop_now)
        if lived >= self.config.stable_session:
            self._short_sessions = 0
            self._scheduler.reset()  # a good session: the back-off starts again
        else:
            self._short_sessions += 1
        self._heard_since_drop = False
        if isinstance(err, AlertError) and err.alert is AlertCode.TIMEOUT:
            _LOGGER.debug("%s: session is 24 h old; making a new one", self.name)
        else:
            _LOGGER.debug("%s: session lost after %.1f s: %s", self.name, lived, err)
        if self.status is ConnectionStatus.CONNECTED:
            self._set_status(ConnectionStatus.DISCONNECTED)
        self._outage.retrying = self.always_connected  # no "connecting" per retry
        self._availability.lost()
        if self.always_connected:
            self._schedule_retry()

    # -- what the lock asks for by itself ----------------------------------------------

    def _on_notification(self, notification: Notification) -> None:
        if isinstance(notification, SimpleNotification):
            if notification.code == NotificationCode.NEED_DATE_TIME:
                self._spawn(self._async_give_time(), "signed time")
            elif notification.code == NotificationCode.HAS_LOGS:
                self._spawn(self.async_fetch_logs(), "activity logs")
            return
        if isinstance(notification, LockStatusChange) and not notification.late:
            self._motor.report(notification.state, jammed=notification.jammed)
        self._listener.session_notification(notification)

    async def _async_give_time(self) -> None:
        """A signed time for a lock that lost its clock during the session."""
        async with self._lease(), self._io_lock:
            client = self._client
            if client is None:
                return
            try:
                await client.set_signed_time()
            except TedeeError as err:
                _LOGGER.warning(
                    "%s: could not give the lock a signed time: %s", self.name, err
                )
                # The session goes on; the status says what it lacks.
                self._set_status(ConnectionStatus.NO_TRUSTED_TIME)
                return
        if self.established:
            self._set_status(ConnectionStatus.CONNECTED)

    # -- the one scheduler -----------------------------------------------------------

    def _schedule(self, delay: float, *, sooner: bool = False) -> None:
        if not self.stopped and not self.established:
            self._scheduler.at(delay, sooner=sooner)

    def _schedule_retry(self) -> None:
        delay = self._scheduler.retry_delay(self.status)
        if delay is not None:
            self._schedule(delay)

    def _wake_up(self) -> None:
        if self.phase is not Phase.IDLE or self._connect_lock.locked():
            return  # an attempt under way schedules the next one if it fails
        self.phase = Phase.CONNECTING  # from now, not from when the task first runs
        self._spawn(self._async_attempt(), "reconnect")

    async def _async_attempt(self) -> None:
        recheck = self._not_registered
        try:
            if recheck and not await self._registration_changed():
                # Not added again in the Tedee app yet: look again later.
                self._schedule(self.config.not_registered_retry)
                return
            async with self._lease():
                if recheck:
                    client = await self._async_connect(recheck=True)
                else:
                    client = await self._async_connect_borrowing(background=True)
                self._report_state(await client.get_state())
                await self._async_read_rest(client)
        except TedeeError as err:
            _LOGGER.debug("%s: reconnect failed: %s", self.name, err)
            if not self._lent:  # a lender keeps its last state, as on demand
                self._availability.lost()
        finally:
            if self.phase is Phase.CONNECTING:
                self.phase = Phase.IDLE

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
                self._spawn(self._async_keepalive(client), "keep-alive")
        elif (
            self.status
            not in (
                ConnectionStatus.NOT_REGISTERED,
                ConnectionStatus.OUT_OF_RANGE,
            )
            and self.phase is Phase.IDLE
        ):
            # Out of range, the next advertisement (not a timer) brings it back.
            self._schedule(0.0)

    async def _async_keepalive(self, client: TedeeLockClient) -> None:
        """A state read that keeps the session inside the lock's idle limit."""
        try:
            self._report_state(await client.get_state())
        except TedeeError as err:
            _LOGGER.debug("%s: keep-alive failed: %s", self.name, err)

    # -- status and tasks ------------------------------------------------------------

    def _set_status(self, status: ConnectionStatus) -> None:
        if status is not self.status:
            self.status = status
            self._listener.session_changed()

    async def _async_closed(self) -> None:
        """Wait (briefly) until the last lost link is closed before opening another.

        A proxy answers the close of a link it already lost with "not connected"
        for that address; sent while the next connect is pending, that answer
        fails the connect (found on the ESPHome native API path).
        """
        closing, self._closing = self._closing, None
        if closing is not None and not closing.done():
            await asyncio.wait({closing}, timeout=CLOSE_WAIT)

    def _spawn(
        self, coro: Coroutine[Any, Any, Any], name: str
    ) -> asyncio.Task[Any] | None:
        """Start ``coro``, unless the session has stopped (then it never runs)."""
        if self.stopped:
            coro.close()
            return None
        if self._spawner is not None:
            task = self._spawner(coro, name)
        else:
            task = asyncio.get_running_loop().create_task(
                coro, name=f"{self.name} {name}"
            )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
