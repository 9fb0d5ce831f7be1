"""Making a session: open a link, make a client, complete the handshake.

The lock's alerts are retried the way the vendor's clients do: ERROR once more,
a refused certificate once after renewing it.

Whatever happens (an error, an alert, a cancelled command deadline), a link this
attempt opened is either handed over inside an established client or closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import logging
from typing import Any

from ..errors import (
    AlertError,
    MtuTooSmallError,
    NoConnectionSlotError,
    SessionError,
    TedeeError,
    TrustedTimeError,
)
from ..link.client import TedeeLockClient
from ..link.connector import Connector
from ..link.operations import SignedTimeProvider
from ..link.transport import Credentials
from ..wire.const import AlertCode
from ..wire.notifications import Notification
from .status import ConnectionStatus

_LOGGER = logging.getLogger(__name__)

# (the serial, the MTU) already warned about: it will not change by itself.
_MTU_WARNED: set[tuple[str, int]] = set()


@dataclass(slots=True)
class Attempt:
    """What one attempt needs; ``set_status`` is told each step."""

    name: str
    device: Any
    connector: Connector
    credentials: Credentials
    signed_time: SignedTimeProvider
    clock: Callable[[], float]
    command_timeout: float
    on_notification: Callable[[Notification], None]
    on_lost: Callable[[TedeeLockClient, Exception], None]
    set_status: Callable[[ConnectionStatus], None]
    connect_timeout: float  # the Bluetooth connect itself, retries included


async def async_establish(
    name: str,
    find_device: Callable[[], Any | None],
    attempt_for: Callable[[Any], Attempt],
    renew_certificate: Callable[[], Awaitable[bool]],
    set_status: Callable[[ConnectionStatus], None],
) -> TedeeLockClient:
    """Handshake, retrying alerts the way the vendor's clients do."""
    renewed = retried_error = False
    while True:  # at most three tries: one more after ERROR, one after renewing
        device = find_device()
        if device is None:
            set_status(ConnectionStatus.OUT_OF_RANGE)
            raise SessionError("out_of_range")
        try:
            return await async_attempt(attempt_for(device))
        except AlertError as err:
            if err.alert is AlertCode.ERROR and not retried_error:
                retried_error = True  # once more, then suspect the certificate
                continue
            if err.alert is AlertCode.ERROR and err.refused_time:
                # Our "now" was refused before any certificate was sent: a new
                # certificate cannot help, the clocks must agree first.
                _LOGGER.debug("%s refuses our time: the clocks differ", name)
                set_status(ConnectionStatus.CLOCK_SKEW)
                raise SessionError("clock_skew") from err
            if err.alert in (AlertCode.INVALID_CERT, AlertCode.ERROR) and not renewed:
                renewed = True
                _LOGGER.debug("%s: certificate refused; renewing it", name)
                if await renew_certificate():
                    continue
            raise _alert_failure(err, set_status) from err


def _alert_failure(
    err: AlertError, set_status: Callable[[ConnectionStatus], None]
) -> SessionError:
    """Say why the lock refused us, and set the status to match."""
    if err.alert is AlertCode.NOT_REGISTERED:
        set_status(ConnectionStatus.NOT_REGISTERED)
        return SessionError("not_registered")
    if err.alert in (AlertCode.INVALID_CERT, AlertCode.ERROR):
        set_status(ConnectionStatus.INVALID_CERTIFICATE)
        return SessionError("invalid_certificate")
    set_status(ConnectionStatus.DISCONNECTED)
    return SessionError("cannot_connect")


async def async_attempt(attempt: Attempt) -> TedeeLockClient:
    """An established client, or SessionError/AlertError with the status set."""
    attempt.set_status(ConnectionStatus.CONNECTING)
    # Each link's callback ends only that link's client, never a newer one.
    owner: list[TedeeLockClient] = []

    def _link_down() -> None:
        if owner:
            owner[0].handle_disconnect()

    try:
        async with asyncio.timeout(attempt.connect_timeout):
            ble = await attempt.connector(attempt.device, _link_down)
    except TimeoutError as err:
        attempt.set_status(ConnectionStatus.DISCONNECTED)
        _LOGGER.debug(
            "%s: no Bluetooth connection within %s s",
            attempt.name,
            attempt.connect_timeout,
        )
        raise SessionError("cannot_connect") from err
    except NoConnectionSlotError as err:
        attempt.set_status(ConnectionStatus.NO_CONNECTION_SLOT)
        _LOGGER.debug("%s: %s", attempt.name, err)
        raise SessionError("no_connection_slot") from err
    except TedeeError as err:
        attempt.set_status(ConnectionStatus.DISCONNECTED)
        _LOGGER.debug("%s: %s", attempt.name, err)
        raise SessionError("cannot_connect") from err
    try:
        client = TedeeLockClient(
            ble,
            attempt.credentials,
            signed_time=attempt.signed_time,
            on_session_lost=lambda err: attempt.on_lost(client, err),
            clock=attempt.clock,
            command_timeout=attempt.command_timeout,
        )
    except TedeeError as err:  # credentials that do not parse
        await asyncio.shield(async_quietly(ble.disconnect()))
        attempt.set_status(ConnectionStatus.DISCONNECTED)
        raise SessionError("cannot_connect") from err
    owner.append(client)
    client.subscribe(attempt.on_notification)
    try:
        await client.connect()
    except BaseException as err:
        # Cancelled too (a command's deadline, shutdown): the half-open link holds
        # one of the lock's and the proxy's few slots.
        await asyncio.shield(async_quietly(client.disconnect()))
        if isinstance(err, AlertError):
            raise  # the caller decides: retry, renew the certificate, give up
        if not isinstance(err, Exception):
            attempt.set_status(ConnectionStatus.DISCONNECTED)
            raise
        raise _failure(attempt, err) from err
    return client


def _failure(attempt: Attempt, err: Exception) -> SessionError:
    """Say why a handshake failed, and set the status to match."""
    if isinstance(err, MtuTooSmallError):
        attempt.set_status(ConnectionStatus.DISCONNECTED)
        key = (attempt.name, err.mtu)
        if key not in _MTU_WARNED:
            _MTU_WARNED.add(key)
            _LOGGER.warning("%s: %s", attempt.name, err)
        return SessionError("mtu_too_small", mtu=str(err.mtu), needed=str(err.needed))
    if isinstance(err, TrustedTimeError):
        attempt.set_status(ConnectionStatus.NO_TRUSTED_TIME)
        return SessionError("no_trusted_time")
    _LOGGER.debug("%s: handshake failed: %s", attempt.name, err)
    attempt.set_status(ConnectionStatus.DISCONNECTED)
    return SessionError("cannot_connect")


async def async_quietly(awaitable: Awaitable[Any]) -> None:
    """Close something that may already be gone; a failure is only logged."""
    try:
        await awaitable
    except Exception as err:  # noqa: BLE001 - best effort: the link may be gone
        _LOGGER.debug("ignored while disconnecting: %s", err)
