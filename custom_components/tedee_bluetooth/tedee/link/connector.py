"""Open a Bluetooth link to a lock the way Home Assistant's Bluetooth stack wants.

bleak-retry-connector retries, takes the freshest path (adapter or proxy) on each
try and closes a stale link first; its errors become this library's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    name: str, freshest: Callable[[str], BLEDevice | None]
) -> Connector:
    """A connector for ``TedeeSession``: ``freshest(address)`` gives the best path."""

    async def _connect(device: BLEDevice, link_down: LinkDown) -> BleakClientLike:
        # A link left over from before (a crash, a restart) holds a slot.
        await close_stale_connections_by_address(device.address)
        try:
            # Looked up now, not imported: Home Assistant swaps in its own class,
            # which routes through local adapters and proxies alike and keeps
            # the GATT services cached between connections.
            client: BleakClientLike = await establish_connection(
                bleak_retry_connector.BleakClientWithServiceCache,
                device,
                name,
                disconnected_callback=lambda _client: link_down(),
                max_attempts=2,
                ble_device_callback=lambda: freshest(device.address) or device,
            )
        except BleakOutOfConnectionSlotsError as err:
            raise NoConnectionSlotError(f"no free connection slot: {err}") from err
        except (BleakError, TimeoutError) as err:
            raise NotConnectedError(f"cannot connect: {err}") from err
        return client

    return _connect
