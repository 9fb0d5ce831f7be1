"""Frames from the lock's API and Notifications characteristics, opened and ordered.

Every frame is opened synchronously in its notify callback, through the receive
window (so a swapped or repeated frame never costs the session), then put back into
the lock's counter order before its response or notification is handed on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import dataclasses
import logging
from typing import Any

from ..errors import ProtocolError, TedeeError
from ..wire.commands import Response, decode_response
from ..wire.const import Command, ResultCode
from ..wire.notifications import Notification, NotificationCode, decode_notification
from ..wire.ptls import Plaintext, PTLSClient
from ..wire.record import DuplicateFrameError
from .reorder import Delivery, LinkCounts, Reorderer

_LOGGER = logging.getLogger(__name__)

API, NOTIFY = "api", "notify"


class Inbound:
    """Opens, de-duplicates and orders the lock's frames for one session."""

    def __init__(
        self,
        ptls: PTLSClient,
        on_response: Callable[[Response, bool], None],
        on_notification: Callable[[Notification], None],
        on_fatal: Callable[[TedeeError], None],
    ) -> None:
        """Hand responses (and whether sealed), notifications and fatal errors on."""
        self._ptls = ptls
        self._on_response = on_response
        self._on_notification = on_notification
        self._on_fatal = on_fatal
        self._timer: asyncio.TimerHandle | None = None
        self.counts = LinkCounts()
        self._reorder: Reorderer[tuple[str, bytes]] = Reorderer(self.counts)

    def new_session(self) -> None:
        """New keys, counters from 0: count and order afresh."""
        self.counts = LinkCounts()
        self._reorder = Reorderer(self.counts)
        self.stop()

    def stop(self) -> None:
        """Forget frames waiting for a gap (the session is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def api_frame(self, _sender: Any, data: bytearray) -> None:
        """A frame from API commands (indications)."""
        self._frame(API, data)

    def notification_frame(self, _sender: Any, data: bytearray) -> None:
        """A frame from Notifications."""
        self._frame(NOTIFY, data)

    def _frame(self, kind: str, data: bytearray) -> None:
        plain = self._open(data)
        if plain is None:
            return
        if not plain.encrypted or plain.counter is None:
            self._deliver(kind, plain.payload, encrypted=False, late=False)
            return
        loop = asyncio.get_running_loop()
        ready = self._reorder.push(plain.counter, (kind, plain.payload), loop.time())
        self._deliver_all(ready)
        self._arm(loop)

    def _open(self, data: bytearray) -> Plaintext | None:
        try:
            return self._ptls.open(bytes(data))
        except DuplicateFrameError:
            self.counts.duplicated += 1
            return None
        except ProtocolError as err:
            _LOGGER.debug("dropping frame: %s", err)
            return None
        except TedeeError as err:  # authenticated under no counter: never opened
            self.counts.failed += 1
            self._on_fatal(err)
            return None

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self._reorder.deadline
        if deadline is not None:
            self._timer = loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        self._deliver_all(self._reorder.expire(loop.time()))
        self._arm(loop)

    def _deliver_all(self, ready: list[Delivery[tuple[str, bytes]]]) -> None:
        for delivery in ready:
            kind, payload = delivery.item
            self._deliver(kind, payload, encrypted=True, late=delivery.late)

    def _deliver(
        self, kind: str, payload: bytes, *, encrypted: bool, late: bool
    ) -> None:
        try:
            if kind == API:
                if not encrypted and len(payload) < 2:
                    # The signed-time answer in its short form: the result alone
                    # (the BLE doc shows a single 0x00), or nothing at all.
                    result = payload[0] if payload else ResultCode.SUCCESS
                    payload = bytes([Command.SET_SIGNED_DATETIME, result])
                self._on_response(decode_response(payload), encrypted)
                return
            if not encrypted and payload[0] != NotificationCode.SIGNED_DATETIME:
                _LOGGER.debug(
                    "dropping an unencrypted notification that must be sealed"
                )
                return
            notification = decode_notification(payload)
        except ProtocolError as err:
            _LOGGER.debug("dropping malformed %s frame: %s", kind, err)
            return
        if late:
            notification = dataclasses.replace(notification, late=True)
        self._on_notification(notification)
