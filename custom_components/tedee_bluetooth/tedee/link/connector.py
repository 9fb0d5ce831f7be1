"""Open a Bluetooth link to a lock the way Home Assistant's Bluetooth stack wants.

bleak-retry-connector retries, takes the freshest path (adapter or proxy) on each
try and closes a stale link first; its errors become this library's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from bleak.backends.device import BLEDevice
from bleak.exc import BleakError
import bleak_retry_connector
from bleak_retry_connector import (
    BleakOutOfConnectionSlotsError,
    close_stale_connections_by_address,
    establish_connection,
)

from ..errors import NoConnectionSlotError, NotConnectedError
from .transport import BleakClientLike

LinkDown = Callable[[], None]
Connector = Callable[[Any, LinkDown], Awaitable[BleakClientLike]]


def bleak_connector(
    name: str,
    freshest: Callable[[str], BLEDevice | None],
    reachable: Callable[[str], bool] = lambda _address: True,
) -> Connector:
    """A connector for ``TedeeSession``: ``freshest(address)`` gives the best path.

    ``reachable(address)``: a connectable adapter or proxy hears the lock now (so
    "no backend with a free slot" means the slots, not the range).
    """

    async def _connect(device: BLEDevice, link_down: LinkDown) -> BleakClientLike:
        # A link left over from before (a crash, a restart) holds a slot.
        await close_stale_connections_by_address(device.address)
        token = _HEARD.set(lambda: reachable(device.address))
        try:
            # Looked up now, not imported: Home Assistant swaps in its own class,
            # which routes through local adapters and proxies alike and keeps
            # the GATT services cached between connections.
            client: BleakClientLike = await establish_connection(
                _failing_fast(bleak_retry_connector.BleakClientWithServiceCache),
                device,
                name,
                disconnected_callback=lambda _client: link_down(),
                max_attempts=2,
                ble_device_callback=lambda: freshest(device.address) or device,
            )
        except (BleakOutOfConnectionSlotsError, _NoFreeSlot) as err:
            raise NoConnectionSlotError(f"no free connection slot: {err}") from err
        except (BleakError, TimeoutError) as err:
            raise NotConnectedError(f"cannot connect: {err}") from err
        finally:
            _HEARD.reset(token)
        return client

    return _connect


# What Home Assistant's Bluetooth stack says when no adapter or proxy that hears
# the lock has a free slot (habluetooth: "No backend with an available connection
# slot that can reach address ...").
_NO_FREE_SLOT = ("available connection slot",)


class _NoFreeSlot(Exception):  # not a BleakError, on purpose
    """Escapes bleak-retry-connector's retries, which are for transient errors."""


# Whether a connectable adapter or proxy that is up hears the lock being connected
# (set around each connect; the client class is shared, the lock is not).
_HEARD: ContextVar[Callable[[], bool]] = ContextVar("tedee_heard", default=lambda: True)
_FAILING_FAST: dict[type[Any], type[Any]] = {}


def _failing_fast(base: type[Any]) -> type[Any]:
    """``base``, whose connect gives up at once when no slot is free.

    bleak-retry-connector counts "no free slot" as transient and tries again
    every 4 s, up to nine times: longer than a command's deadline, and a connect
    that times out is reported as "cannot connect", not as the full proxy it is
    (found on the ESPHome proxy path; the direct bridge never said it). Home
    Assistant says the same words when nothing hears the lock at all, so only a
    lock that is heard counts as lacking a slot. One class per base class (Home
    Assistant swaps in its own), made once.
    """
    if (cls := _FAILING_FAST.get(base)) is not None:
        return cls

    class FailingFast(base):  # type: ignore[misc]
        async def connect(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return await super().connect(*args, **kwargs)
            except BleakError as err:
                if any(text in str(err) for text in _NO_FREE_SLOT) and _HEARD.get()():
                    raise _NoFreeSlot(str(err)) from err
                raise

    _FAILING_FAST[base] = FailingFast
    return FailingFast
