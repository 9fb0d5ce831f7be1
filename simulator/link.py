"""A simulated BLE link: FIFO in both directions, one-way latency, ATT size limits.

Shaped like a BleakClient (only the surface the integration may use), so the client
library, a test, or the Home Assistant bridge can drive a simulated lock through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import heapq
import logging
import random
from typing import Any, Protocol

from bleak.exc import BleakError

from .wire import API, ATT_OVERHEAD, MAX_ATTRIBUTE, NOTIFICATIONS, PTLS_RX, PTLS_TX

_LOGGER = logging.getLogger(__name__)

WRITABLE = frozenset({PTLS_RX, API})
NOTIFYING = frozenset({PTLS_TX, NOTIFICATIONS, API})


class LinkEndConfig(Protocol):
    """What the link reads of the device at its far end."""

    att_mtu: int
    latency: float


class LinkEnd(Protocol):
    """The device at the far end of a link (the lock), as the link sees it."""

    @property
    def config(self) -> LinkEndConfig:
        """Its MTU and latency."""

    def accept(self, conn: SimulatedConnection) -> None:
        """Take the connection, or raise BleakError (out of range, no slot)."""

    def release(self, conn: SimulatedConnection) -> None:
        """The connection is gone."""

    def handle_write(self, conn: SimulatedConnection, uuid: str, data: bytes) -> None:
        """A write from the client arrived."""


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
        self.too_long = 0  # notifications the link could not carry
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


class _Pipe:
    """One direction of the link: delivery after a delay, driven by one timer.

    FIFO unless a frame is explicitly allowed to overtake (an injected reorder or
    jitter); equal delivery times keep their order. No background task: a single
    ``call_at`` handle drains due frames, and dropping the link cancels it.
    """

    def __init__(self, deliver: Callable[[tuple[Any, ...]], None]) -> None:
        self._deliver = deliver
        self._items: list[tuple[float, int, tuple[Any, ...]]] = []
        self._seq = 0
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def put(
        self, when: float, item: tuple[Any, ...], *, may_overtake: bool = False
    ) -> None:
        if not may_overtake:
            when = max(when, self._last)  # never overtake an earlier frame
            self._last = when
        self._seq += 1
        heapq.heappush(self._items, (when, self._seq, item))
        if self._timer is None or self._items[0][1] == self._seq:
            self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_at(self._items[0][0], self._drain)

    def _drain(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        while self._items and self._items[0][0] <= now:
            _, _, item = heapq.heappop(self._items)
            self._deliver(item)
            if self._armed():  # a put() during delivery armed the timer
                return
        if self._items and not self._armed():
            self._arm()

    def _armed(self) -> bool:
        return self._timer is not None

    def close(self) -> list[tuple[Any, ...]]:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items = [item for _, _, item in sorted(self._items)]
        self._items.clear()
        return items


@dataclass
class LinkFaults:
    """What a real radio path may do to frames; each injectable per test.

    Probabilities apply per frame, drawn from one seeded generator so a run is
    reproducible; ``drop_down``/``drop_up`` lose the next N frames outright.
    """

    jitter: float = 0.0  # frames to the client: latency +/- this (uniform), may reorder
    reorder: float = 0.0  # chance a frame to the client is held back behind later ones
    duplicate: float = 0.0  # chance a frame to the client arrives twice
    drop_down: int = 0  # lose the next N frames to the client
    drop_up: int = 0  # lose the next N writes to the lock (the write itself succeeds)
    seed: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - a test's dice, not crypto


class SimulatedConnection:
    """One BLE connection to a simulated lock."""

    def __init__(
        self,
        lock: LinkEnd,
        *,
        att_mtu: int = 247,
        latency: float | None = None,
        disconnected_callback: Callable[[SimulatedConnection], None] | None = None,
    ) -> None:
        """Negotiate the MTU against the lock's; latency defaults to the lock's."""
        self.lock = lock
        self.negotiated_mtu = min(att_mtu, lock.config.att_mtu)
        # What the host stack reports to the client, if not the negotiated MTU
        # (a BlueZ acquisition that failed and left 23, a stale proxy value).
        self.reported_mtu: int | None = None
        self.latency = lock.config.latency if latency is None else latency
        self.disconnected_callback = disconnected_callback
        self.stats = LinkStats()
        self.faults = LinkFaults()
        self._connected = False
        self._callbacks: dict[str, Callable[[Any, bytearray], None]] = {}
        self._uplink = _Pipe(self._on_uplink)
        self._downlink = _Pipe(self._on_downlink)
        self._acks: set[asyncio.Future[None]] = set()
        self.session: Any = None  # the lock's per-connection state

    @property
    def mtu_size(self) -> int:
        """The ATT MTU as the client's Bluetooth stack reports it."""
        return self.reported_mtu or self.negotiated_mtu

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._connected

    async def connect(self, **_kwargs: Any) -> bool:
        """Open the link; the lock may refuse (out of range, too many connections)."""
        if self._connected:
            return True
        self.lock.accept(self)  # raises BleakError when refused
        self._connected = True
        return True

    async def write_gatt_char(
        self, char_specifier: Any, data: Any, response: bool = False
    ) -> None:
        """Write to PTLS RX or API commands; FIFO, delivered after the latency.

        With ``response`` the call returns when the ATT write response is back
        (one more latency after the lock processed the write).
        """
        uuid = char_uuid(char_specifier)
        payload = bytes(data)
        if not self._connected:
            raise BleakError("Not connected")
        if uuid not in WRITABLE:
            raise BleakError(f"characteristic {uuid} is not writable")
        limit = MAX_ATTRIBUTE if response else self.negotiated_mtu - ATT_OVERHEAD
        if len(payload) > limit:
            raise BleakError(
                f"write of {len(payload)} bytes exceeds the limit of {limit}"
            )
        loop = asyncio.get_running_loop()
        ack: asyncio.Future[None] | None = loop.create_future() if response else None
        self.stats.up()
        if self.faults.drop_up > 0:  # lost on the air: the lock never sees it
            self.faults.drop_up -= 1
            if ack is not None:
                loop.call_later(2 * self.latency, _resolve, ack)
                await ack
            return
        self._uplink.put(loop.time() + self.latency, (uuid, payload, ack))
        if ack is None:
            return
        self._acks.add(ack)
        try:
            await ack
        finally:
            self._acks.discard(ack)

    async def start_notify(
        self, char_specifier: Any, callback: Any, **_kwargs: Any
    ) -> None:
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
        """Queue a frame from the lock to the client.

        A notification or indication carries at most ATT MTU - 3 bytes and the
        lock never fragments: on a link too small for a frame (the server verify
        needs 138) the frame never reaches the client. Counted in the stats.
        """
        if not self._connected:
            return
        if len(frame) > self.negotiated_mtu - ATT_OVERHEAD:
            _LOGGER.debug(
                "a %d-byte notification does not fit ATT MTU %d: lost",
                len(frame),
                self.negotiated_mtu,
            )
            self.stats.too_long += 1
            return
        loop = asyncio.get_running_loop()
        faults = self.faults
        if faults.drop_down > 0:
            faults.drop_down -= 1
            return
        when = loop.time() + self.latency + extra_delay
        copies = 2 if faults.rng.random() < faults.duplicate else 1
        # A frame held back (jitter, reorder, an injected delay) is overtaken.
        overtake = bool(faults.jitter or faults.reorder or extra_delay or copies > 1)
        for _ in range(copies):
            delay = faults.rng.uniform(-faults.jitter, faults.jitter)
            if faults.rng.random() < faults.reorder:
                delay += max(self.latency, 0.05)  # later frames overtake this one
            self._downlink.put(
                max(loop.time(), when + delay), (uuid, frame), may_overtake=overtake
            )

    def drop(self, reason: str) -> None:
        """The link goes down (either side, or the radio)."""
        if not self._connected:
            return
        _LOGGER.debug("simulated link down: %s", reason)
        self._connected = False
        self._callbacks.clear()
        self._downlink.close()
        self._uplink.close()
        for ack in self._acks:
            if not ack.done():
                ack.set_exception(BleakError("Disconnected during write"))
        self.lock.release(self)
        if self.disconnected_callback is not None:
            self.disconnected_callback(self)

    def _on_uplink(self, item: tuple[Any, ...]) -> None:
        uuid, payload, ack = item
        try:
            self.lock.handle_write(self, uuid, payload)
        except Exception as err:  # surface simulator bugs to the writer
            _LOGGER.exception("simulated lock failed on a write")
            if ack is not None and not ack.done():
                ack.set_exception(BleakError(f"lock error: {err}"))
            return
        if ack is not None:
            if self._connected:
                asyncio.get_running_loop().call_later(self.latency, _resolve, ack)
            elif not ack.done():
                ack.set_exception(BleakError("Disconnected during write"))

    def _on_downlink(self, item: tuple[Any, ...]) -> None:
        uuid, frame = item
        callback = self._callbacks.get(uuid)
        if callback is None:
            return
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
