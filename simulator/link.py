"""A simulated BLE link: FIFO in both directions, one-way latency, ATT size limits.

Shaped like a BleakClient (only the surface the integration may use), so the client
library, a test, or the Home Assistant bridge can drive a simulated lock through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import TYPE_CHECKING, Any

from bleak.exc import BleakError

from custom_components.tedee_bluetooth.tedee.const import (
    API_COMMANDS_CHAR_UUID,
    ATT_HEADER_SIZE,
    MAX_ATTRIBUTE_LENGTH,
    NOTIFICATIONS_CHAR_UUID,
    PTLS_RX_CHAR_UUID,
    PTLS_TX_CHAR_UUID,
)

if TYPE_CHECKING:
    from .lock import SimulatedLock

_LOGGER = logging.getLogger(__name__)

WRITABLE = frozenset({PTLS_RX_CHAR_UUID, API_COMMANDS_CHAR_UUID})
NOTIFYING = frozenset({PTLS_TX_CHAR_UUID, NOTIFICATIONS_CHAR_UUID, API_COMMANDS_CHAR_UUID})


def char_uuid(specifier: Any) -> str:
    """Accept a UUID string or a characteristic object with ``.uuid``."""
    uuid = specifier if isinstance(specifier, str) else getattr(specifier, "uuid", "")
    return str(uuid).lower()


class LinkStats:
    """Counts what crossed the link, for the benchmark."""

    def __init__(self) -> None:
        """All zero."""
        self.uplink_frames = 0
        self.downlink_frames = 0
        self.uplink_flights = 0
        self._last_direction = "down"

    def up(self) -> None:
        """A frame from the client; a new flight if the lock spoke last."""
        self.uplink_frames += 1
        if self._last_direction == "down":
            self.uplink_flights += 1
        self._last_direction = "up"

    def down(self) -> None:
        """A frame from the lock."""
        self.downlink_frames += 1
        self._last_direction = "down"


class SimulatedConnection:
    """One BLE connection to a simulated lock."""

    def __init__(
        self,
        lock: SimulatedLock,
        *,
        att_mtu: int = 247,
        latency: float | None = None,
        disconnected_callback: Callable[[SimulatedConnection], None] | None = None,
    ) -> None:
        """Negotiate the MTU against the lock's; latency defaults to the lock's."""
        self.lock = lock
        self.mtu_size = min(att_mtu, lock.config.att_mtu)
        self.latency = lock.config.latency if latency is None else latency
        self.disconnected_callback = disconnected_callback
        self.stats = LinkStats()
        self._connected = False
        self._callbacks: dict[str, Callable[[Any, bytearray], None]] = {}
        self._uplink: asyncio.Queue[tuple[float, str, bytes, asyncio.Future[None] | None]]
        self._downlink: asyncio.Queue[tuple[float, str, bytes]]
        self._tasks: list[asyncio.Task[None]] = []
        self._acks: set[asyncio.Future[None]] = set()
        self.session: Any = None  # the lock's per-connection state

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._connected

    async def connect(self, **_kwargs: Any) -> bool:
        """Open the link; the lock may refuse (out of range, too many connections)."""
        if self._connected:
            return True
        self.lock.accept(self)  # raises BleakError when refused
        loop = asyncio.get_running_loop()
        self._uplink = asyncio.Queue()
        self._downlink = asyncio.Queue()
        self._connected = True
        self._tasks = [
            loop.create_task(self._uplink_loop(), name="sim-uplink"),
            loop.create_task(self._downlink_loop(), name="sim-downlink"),
        ]
        return True

    async def write_gatt_char(self, char_specifier: Any, data: Any, response: bool = False) -> None:
        """Write to PTLS RX or API commands; FIFO, delivered after the latency."""
        uuid = char_uuid(char_specifier)
        payload = bytes(data)
        if not self._connected:
            raise BleakError("Not connected")
        if uuid not in WRITABLE:
            raise BleakError(f"characteristic {uuid} is not writable")
        limit = MAX_ATTRIBUTE_LENGTH if response else self.mtu_size - ATT_HEADER_SIZE
        if len(payload) > limit:
            raise BleakError(f"write of {len(payload)} bytes exceeds the limit of {limit}")
        loop = asyncio.get_running_loop()
        ack: asyncio.Future[None] | None = loop.create_future() if response else None
        self.stats.up()
        self._uplink.put_nowait((loop.time() + self.latency, uuid, payload, ack))
        if ack is not None:
            self._acks.add(ack)
            try:
                await ack
            finally:
                self._acks.discard(ack)

    async def start_notify(self, char_specifier: Any, callback: Any, **_kwargs: Any) -> None:
        """Subscribe; frames to a characteristic nobody subscribed to are lost."""
        uuid = char_uuid(char_specifier)
        if not self._connected:
            raise BleakError("Not connected")
        if uuid not in NOTIFYING:
            raise BleakError(f"characteristic {uuid} does not notify")
        self._callbacks[uuid] = callback

    async def stop_notify(self, char_specifier: Any) -> None:
        """Unsubscribe."""
        if not self._connected:
            raise BleakError("Not connected")
        self._callbacks.pop(char_uuid(char_specifier), None)

    async def disconnect(self) -> bool:
        """Close the link from our side."""
        self.drop("client disconnected")
        return True

    # -- lock side -----------------------------------------------------------------

    def send(self, uuid: str, frame: bytes, extra_delay: float = 0.0) -> None:
        """Queue a frame from the lock to the client."""
        if not self._connected:
            return
        loop = asyncio.get_running_loop()
        self._downlink.put_nowait((loop.time() + self.latency + extra_delay, uuid, frame))

    def drop(self, reason: str) -> None:
        """The link goes down (either side, or the radio)."""
        if not self._connected:
            return
        _LOGGER.debug("simulated link down: %s", reason)
        self._connected = False
        self._callbacks.clear()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._tasks = []
        for ack in self._acks:
            if not ack.done():
                ack.set_exception(BleakError("Disconnected during write"))
        self.lock.release(self)
        if self.disconnected_callback is not None:
            self.disconnected_callback(self)

    async def _uplink_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            deliver_at, uuid, payload, ack = await self._uplink.get()
            delay = deliver_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self._connected:
                return
            try:
                self.lock.handle_write(self, uuid, payload)
            except Exception as err:  # surface simulator bugs to the writer
                _LOGGER.exception("simulated lock failed on a write")
                if ack is not None and not ack.done():
                    ack.set_exception(BleakError(f"lock error: {err}"))
                continue
            if ack is not None:
                loop.call_later(self.latency, _resolve, ack)

    async def _downlink_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            deliver_at, uuid, frame = await self._downlink.get()
            delay = deliver_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self._connected:
                return
            callback = self._callbacks.get(uuid)
            if callback is None:
                continue
            self.stats.down()
            try:
                callback(_Characteristic(uuid), bytearray(frame))
            except Exception:
                _LOGGER.exception("notification callback raised")


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Characteristic:
    """What a notify callback gets as its sender."""

    __slots__ = ("uuid",)

    def __init__(self, uuid: str) -> None:
        self.uuid = uuid
