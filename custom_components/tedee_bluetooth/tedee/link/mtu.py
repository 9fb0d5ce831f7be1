"""The ATT MTU a handshake can use, and how to learn the real one from BlueZ.

On a local BlueZ adapter bleak reports 23 until the MTU is acquired, which would cut
the client verify into 19-byte parts. ESPHome proxies and other backends report the
negotiated MTU themselves and are left alone.
"""

from __future__ import annotations

import logging
from typing import Any

_LOGGER = logging.getLogger(__name__)

# The lock's server verify must fit one notification (the lock does not fragment):
# header 1 + sealed(len16 auth 8 | len16 DER signature <= 72 | len16 hash 32) + tag
# 16 = 135 bytes, plus 3 bytes of ATT notification header. PROTOCOL.md section 1.
SERVER_VERIFY_MAX = 1 + (2 + 8) + (2 + 72) + (2 + 32) + 16
MIN_HANDSHAKE_ATT_MTU = SERVER_VERIFY_MAX + 3

_BLUEZ_BACKEND = "BleakClientBlueZDBus"


async def async_acquire_mtu(client: Any) -> None:
    """Ask BlueZ for the negotiated MTU where bleak has not learned it yet.

    Only bleak's BlueZ backend needs this; the guard keeps every other backend
    (ESPHome proxies, macOS, Windows, the simulator) untouched.
    """
    backend = getattr(client, "_backend", None)
    if backend is None or type(backend).__name__ != _BLUEZ_BACKEND:
        return
    if getattr(backend, "_mtu_size", None) is not None:
        return
    acquire = getattr(backend, "_acquire_mtu", None)
    if acquire is None:
        return
    try:
        await acquire()
    except Exception as err:  # noqa: BLE001 - keep the default MTU, and say so
        _LOGGER.debug("could not acquire the ATT MTU from BlueZ: %s", err)
