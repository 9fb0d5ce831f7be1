"""Async Tedee lock client over any BleakClient-shaped connection.

It drives the sans-I/O PTLS machine: frames from the three characteristics are
opened synchronously in the notify callbacks, so arrival order (and with it the
lock's one sending counter) is kept across API indications and notifications.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import time
from typing import Any

from ..errors import (
    AlertError,
    CommandError,
    HandshakeError,
    LockTimeoutError,
    MtuTooSmallError,
    NotConnectedError,
    OutcomeUnknownError,
    TedeeError,
    TrustedTimeError,
)
from ..wire.commands import Response, encode_command
from ..wire.const import (
    API_COMMANDS_CHAR_UUID,
    NOTIFICATIONS_CHAR_UUID,
    PTLS_TX_CHAR_UUID,
    AlertCode,
    Command,
    Header,
    ResultCode,
)
from ..wire.crypto import b64decode_strict, private_key_from_pem
from ..wire.notifications import (
    Notification,
    NotificationCode,
    SignedDateTimeResult,
)
from ..wire.ptls import PTLSClient, Write
from .inbound import Inbound
from .mtu import MIN_HANDSHAKE_ATT_MTU, async_acquire_mtu
from .operations import SIGNED_TIME_ATTEMPTS, LockOperations, SignedTimeProvider
from .reorder import LinkCounts
from .transport import BleakClientLike, Credentials

_LOGGER = logging.getLogger(__name__)

NotificationCallback = Callable[[Notification], None]
SessionLostCallback = Callable[[Exception], None]

DEFAULT_COMMAND_TIMEOUT = 10.0
DEFAULT_HANDSHAKE_TIMEOUT = 15.0


class TedeeLockClient(LockOperations):
    """One PTLS session with one lock over one BLE connection."""

    def __init__(
        self,
        ble_client: BleakClientLike,
        creds: Credentials,
        signed_time: SignedTimeProvider | None = None,
        *,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
        on_session_lost: SessionLostCallback | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Prepare the session; nothing is sent before connect().

        ``clock`` is the wall clock (seconds) whose "now" the handshake's auth data
        carries; the lock refuses one that is minutes off its own time.
        """
        self._clock = clock
        self._ble = ble_client
        self._signed_time = signed_time
        self._command_timeout = command_timeout
        self._handshake_timeout = handshake_timeout
        self._on_session_lost = on_session_lost
        try:
            identity = private_key_from_pem(creds.private_key_pem)
            certificate = b64decode_strict(creds.certificate)
            device_key = b64decode_strict(creds.device_public_key)
        except ValueError as err:
            raise TedeeError(f"credentials are unusable: {err}") from err
        self._ptls = PTLSClient(
            identity_key=identity,
            certificate=certificate,
            device_public_key=device_key,
            att_mtu=ble_client.mtu_size,
        )
        self._inbound = Inbound(
            self._ptls,
            self._on_response,
            self._on_notification,
            lambda err: self._session_lost(err, notify=True),
        )
        self._command_lock = asyncio.Lock()
        self._pending: tuple[int, asyncio.Future[Response]] | None = None
        # None on this queue wakes a waiting handshake when the link goes away.
        self._ptls_frames: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._time_result: asyncio.Future[bool] | None = None
        self._subscribers: list[NotificationCallback] = []
        self._subscribed = False
        self._closed = False
        self._up = False  # a session was established and not yet reported lost
        self._sent = False  # the command in flight was written to the lock
        self.att_mtu = ble_client.mtu_size
        # Activity-log packages that did not parse (their records are lost).
        self.bad_log_packages = 0

    # -- public surface ------------------------------------------------------------

    @property
    def established(self) -> bool:
        """True while a PTLS session is up and trusted."""
        return self._ptls.established and not self._closed

    @property
    def session_id(self) -> bytes | None:
        """The lock's id for the current session."""
        return self._ptls.session_id

    def subscribe(self, callback: NotificationCallback) -> Callable[[], None]:
        """Call ``callback`` with every decoded notification; returns the unsubscriber."""
        self._subscribers.append(callback)

        def _unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return _unsubscribe

    async def connect(self) -> None:
        """Subscribe to the lock's characteristics and complete a PTLS handshake.

        On NO_TRUSTED_TIME it fetches a signed time, gives it to the lock and starts
        again on the same connection.
        """
        if self._closed:
            raise NotConnectedError("client was disconnected; make a new one")
        await async_acquire_mtu(self._ble)
        self.att_mtu = self._ble.mtu_size
        _LOGGER.debug("using ATT MTU %d", self.att_mtu)
        # A reported MTU below what the server verify needs may be wrong (a
        # failed BlueZ acquisition leaves 23, a proxy may report a stale value):
        # try, and blame the MTU only if the server verify never comes.
        if not self._subscribed:
            await self._ble.start_notify(PTLS_TX_CHAR_UUID, self._on_ptls_tx)
            await self._ble.start_notify(
                NOTIFICATIONS_CHAR_UUID, self._inbound.notification_frame
            )
            await self._ble.start_notify(
                API_COMMANDS_CHAR_UUID, self._inbound.api_frame
            )
            self._subscribed = True
        time_attempts = 0
        while True:
            try:
                await self._handshake()
                return
            except AlertError as err:
                if (
                    err.alert is not AlertCode.NO_TRUSTED_TIME
                    or self._signed_time is None
                ):
                    raise
                time_attempts += 1
                if time_attempts > SIGNED_TIME_ATTEMPTS:
                    raise TrustedTimeError(
                        "the lock kept asking for trusted time after "
                        f"{SIGNED_TIME_ATTEMPTS} signed times"
                    ) from err
                _LOGGER.debug("lock has no trusted time; sending a signed time")
                await self.set_signed_time()

    def handle_disconnect(self) -> None:
        """Tell the client its link is gone (call from the disconnected callback)."""
        self._session_lost(
            NotConnectedError("the Bluetooth link was lost"), notify=True
        )

    async def disconnect(self) -> None:
        """End the session and drop the link."""
        self._closed = True
        self._session_lost(NotConnectedError("disconnected"), notify=False)
        if self._subscribed and self._ble.is_connected:
            for uuid in (
                PTLS_TX_CHAR_UUID,
                NOTIFICATIONS_CHAR_UUID,
                API_COMMANDS_CHAR_UUID,
            ):
                try:
                    await self._ble.stop_notify(uuid)
                except Exception:  # noqa: BLE001 - the link may already be gone
                    _LOGGER.debug("stop_notify(%s) failed while disconnecting", uuid)
        self._subscribed = False
        await self._ble.disconnect()

    # -- handshake -------------------------------------------------------------------

    async def _handshake(self) -> None:
        while not self._ptls_frames.empty():
            self._ptls_frames.get_nowait()
        if self._up:  # a new session on a live one (before a counter could wrap)
            self._report_link()
        self._inbound.new_session()
        writes = self._ptls.start(int(self._clock() * 1000), att_mtu=self.att_mtu)
        try:
            async with asyncio.timeout(self._handshake_timeout):
                await self._write_all(writes)
                while not self._ptls.established:
                    frame = await self._ptls_frames.get()
                    if frame is None or self._closed:
                        raise NotConnectedError("link lost during the handshake")
                    await self._write_all(self._ptls.receive_ptls(frame))
            self._up = True
        except TimeoutError as err:
            blame_mtu = self._mtu_to_blame()
            self._ptls.fail()
            if blame_mtu:
                raise MtuTooSmallError(self.att_mtu, MIN_HANDSHAKE_ATT_MTU) from err
            raise LockTimeoutError("the lock did not complete the handshake") from err
        except NotConnectedError as err:
            blame_mtu = self._mtu_to_blame()
            self._ptls.fail()
            if blame_mtu:
                raise MtuTooSmallError(self.att_mtu, MIN_HANDSHAKE_ATT_MTU) from err
            raise
        except TedeeError:
            self._ptls.fail()
            raise
        except Exception as err:  # BLE write failures from the transport
            self._ptls.fail()
            raise NotConnectedError(f"Bluetooth write failed: {err}") from err

    def _mtu_to_blame(self) -> bool:
        """The handshake is dying waiting for the lock's reply on a small link."""
        return (
            self._ptls.waiting_for_the_lock() and self.att_mtu < MIN_HANDSHAKE_ATT_MTU
        )

    async def _write_all(self, writes: list[Write]) -> None:
        for write in writes:
            await self._ble.write_gatt_char(
                write.char_uuid, write.data, response=write.response
            )

    # -- commands --------------------------------------------------------------------

    async def _command(
        self,
        opcode: Command,
        params: bytes = b"",
        *,
        encrypted: bool = True,
        check: bool = True,
    ) -> Response:
        """Send one command and wait for its response; one in flight at a time.

        The timeout covers waiting for the previous command too, so a command is
        never sent late. A command that got no answer ends the session: a late
        answer must never be taken for the next command's.
        """
        ours = False  # this command holds the lock (the flag below is its own)
        try:
            async with asyncio.timeout(self._command_timeout):
                async with self._command_lock:
                    ours, self._sent = True, False
                    if encrypted and self._ptls.needs_rekey:
                        await self._handshake()  # before a counter could wrap
                    response = await self._exchange(opcode, params, encrypted)
        except TimeoutError as err:
            if ours and self._sent:
                raise OutcomeUnknownError(
                    f"the lock did not answer {opcode.name}; it may have acted"
                ) from err
            raise LockTimeoutError(f"the lock did not answer {opcode.name}") from err
        if check and not response.ok:
            raise CommandError(response.opcode, response.result, response.data)
        return response

    async def _exchange(
        self, opcode: Command, params: bytes, encrypted: bool
    ) -> Response:
        if self._closed or not self._ble.is_connected:
            raise NotConnectedError("not connected to the lock")
        plaintext = encode_command(opcode, params)
        if encrypted:
            if not self._ptls.established:
                raise NotConnectedError("no established session with the lock")
            frame = self._ptls.seal(plaintext)
        else:
            frame = bytes([Header.DATA_NOT_ENCRYPTED]) + plaintext
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending = (opcode, future)
        try:
            try:
                self._sent = True  # from here on the lock may act on it
                await self._ble.write_gatt_char(
                    API_COMMANDS_CHAR_UUID, frame, response=True
                )
            except Exception as err:
                if isinstance(err, TedeeError):
                    raise
                self._session_lost(
                    NotConnectedError(f"Bluetooth write failed: {err}"), notify=True
                )
                raise NotConnectedError(f"Bluetooth write failed: {err}") from err
            try:
                response = await future
            except NotConnectedError as err:
                # The link went down after the lock got the command: it may act.
                raise OutcomeUnknownError(
                    f"the link was lost after {opcode.name} was sent; "
                    "the lock may have acted"
                ) from err
        except asyncio.CancelledError:
            # Sent (or being sent) but unanswered: the lock may still act on it and
            # answer late. End the session so that answer can never be matched.
            self._session_lost(
                LockTimeoutError(f"no answer to {opcode.name}"), notify=True
            )
            raise
        finally:
            self._pending = None
        return response

    # -- incoming frames -------------------------------------------------------------

    def _on_ptls_tx(self, _sender: Any, data: bytearray) -> None:
        frame = bytes(data)
        if self._ptls.established:
            # After the handshake only alerts come here (e.g. 24 h TIMEOUT); the
            # machine raises for anything but a repeat of its last frame.
            try:
                self._ptls.receive_ptls(frame)
            except TedeeError as err:
                self._session_lost(err, notify=True)
            return
        self._ptls_frames.put_nowait(frame)

    def _on_response(self, response: Response, encrypted: bool) -> None:
        pending = self._pending
        if not encrypted:
            # Only the signed-time answer comes unencrypted, and its opcode byte
            # is not reliable: tolerate any (PROTOCOL.md section 5).
            if pending is None or pending[0] != Command.SET_SIGNED_DATETIME:
                _LOGGER.debug("dropping an unencrypted response")
                return
            response = Response(Command.SET_SIGNED_DATETIME, response.result, b"")
        if pending is None or pending[0] != response.opcode or pending[1].done():
            _LOGGER.debug("dropping unsolicited response to 0x%02x", response.opcode)
            return
        pending[1].set_result(response)

    def _on_notification(self, notification: Notification) -> None:
        waiter = self._time_result
        if (
            isinstance(notification, SignedDateTimeResult)
            and waiter
            and not waiter.done()
        ):
            waiter.set_result(notification.accepted)
            pending = self._pending
            if (
                pending is not None
                and pending[0] == Command.SET_SIGNED_DATETIME
                and not pending[1].done()
            ):
                # The lock's verdict came before (or instead of) the answer: the
                # vendor's SDK acts on the notification alone, and so do we.
                result = (
                    ResultCode.SUCCESS if notification.accepted else ResultCode.ERROR
                )
                pending[1].set_result(
                    Response(Command.SET_SIGNED_DATETIME, result, b"")
                )
        for callback in list(self._subscribers):
            try:
                callback(notification)
            except Exception:
                _LOGGER.exception("notification callback failed")

    @property
    def link_counts(self) -> LinkCounts:
        """What the radio did to this session's frames (for diagnostics)."""
        return self._inbound.counts

    def _report_link(self) -> None:
        """At a session's end: one warning, with the counts, if the link was flaky."""
        counts = self._inbound.counts
        if counts.flaky:
            _LOGGER.warning(
                "The Bluetooth link to the lock was flaky during this session: "
                "%d frames reordered, %d duplicated, %d missed, %d late, "
                "%d failed authentication",
                counts.reordered,
                counts.duplicated,
                counts.missed,
                counts.late,
                counts.failed,
            )

    def _session_lost(self, err: Exception, *, notify: bool) -> None:
        was_up, self._up = self._up, False
        self._inbound.stop()
        if was_up:
            self._report_link()
        self._ptls.fail()
        self._ptls_frames.put_nowait(None)
        if self._pending is not None:
            _fail(self._pending[1], err)
        if self._time_result is not None:
            _fail(self._time_result, err)
        if notify and was_up and self._on_session_lost is not None:
            self._on_session_lost(err)


def _fail(future: asyncio.Future[Any], err: Exception) -> None:
    """Fail a waiter; its waiter may be gone (cancelled), so mark it read."""
    if not future.done():
        future.set_exception(err)
        future.exception()  # the awaiting side still raises; nothing logs it unread


__all__ = [
    "BleakClientLike",
    "Credentials",
    "HandshakeError",
    "NotificationCode",
    "TedeeLockClient",
]
