"""Put simulated locks in range of Home Assistant's real Bluetooth stack.

A habluetooth remote scanner (the way an ESPHome Bluetooth proxy joins) advertises
the simulated locks, and its connector's bleak backend leads into the simulator.
Development and tests only: nothing here ships to users.
"""

from __future__ import annotations

import logging
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTServiceCollection
from bleak.exc import BleakError
from bluetooth_data_tools import monotonic_time_coarse
from habluetooth import BaseHaRemoteScanner, HaBluetoothConnector

from .bleak_compat import make_characteristic, make_service
from .link import SimulatedConnection, char_uuid
from .lock import SimulatedLock
from .wire import (
    API as API_COMMANDS_CHAR_UUID,
    LOCK_SERVICE as LOCK_SERVICE_UUID,
    NOTIFICATIONS as NOTIFICATIONS_CHAR_UUID,
    PTLS_RX as PTLS_RX_CHAR_UUID,
    PTLS_TX as PTLS_TX_CHAR_UUID,
)

_LOGGER = logging.getLogger(__name__)

SOURCE = "tedee-simulator"
# address (upper case) -> lock; the backend looks locks up here when HA connects.
LOCKS: dict[str, SimulatedLock] = {}
# source -> scanner; a backend counts its connection against its scanner's slots.
SCANNERS: dict[str, SimulatorScanner] = {}

_CHARACTERISTICS = {
    NOTIFICATIONS_CHAR_UUID: ["notify"],
    PTLS_TX_CHAR_UUID: ["notify"],
    PTLS_RX_CHAR_UUID: ["write", "write-without-response"],
    API_COMMANDS_CHAR_UUID: ["write", "indicate"],
}


def address_for(lock: SimulatedLock) -> str:
    """A stable MAC address for a simulated lock."""
    device_id = lock.config.device_id
    return "D0:7E:DE:" + ":".join(f"{(device_id >> s) & 0xFF:02X}" for s in (16, 8, 0))


class SimulatorBackend(BaseBleakClient):
    """A bleak backend whose peer is a simulated lock."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        """Find the simulated lock behind the address."""
        super().__init__(address_or_ble_device, **kwargs)
        self._conn: SimulatedConnection | None = None
        details = getattr(address_or_ble_device, "details", None)
        source = details.get("source") if isinstance(details, dict) else None
        self._scanner = SCANNERS.get(source) if isinstance(source, str) else None
        self._holds_slot = False

    @property
    def mtu_size(self) -> int:
        """Negotiated ATT MTU."""
        return self._conn.mtu_size if self._conn else 23

    @property
    def is_connected(self) -> bool:
        """Link up."""
        return self._conn is not None and self._conn.is_connected

    async def connect(self, pair: bool = False, **kwargs: Any) -> bool:
        """Connect to the simulated lock and expose its GATT table.

        bleak 1.0+ passes ``pair`` positionally; older bleak passes only keywords.
        """
        lock = LOCKS.get(self.address.upper())
        if lock is None:
            raise BleakError(f"Device with address {self.address} was not found")
        self._conn = lock.connect(
            att_mtu=247, disconnected_callback=lambda _c: self._on_disconnected()
        )
        await self._conn.connect()
        if self._scanner is not None:
            self._scanner.in_use += 1
            self._holds_slot = True
        services = BleakGATTServiceCollection()
        service = make_service(1, LOCK_SERVICE_UUID)
        services.add_service(service)
        for handle, (uuid, props) in enumerate(_CHARACTERISTICS.items(), start=2):
            char = make_characteristic(
                service, handle, uuid, props, lambda: self.mtu_size - 3
            )
            services.add_characteristic(char)  # adds it to its service as well
        self.services = services
        return True

    def _release_slot(self) -> None:
        if self._holds_slot and self._scanner is not None:
            self._scanner.in_use -= 1
        self._holds_slot = False

    def _on_disconnected(self) -> None:
        self._release_slot()
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> bool:
        """Drop the link."""
        if self._conn is not None:
            await self._conn.disconnect()
        return True

    async def pair(self, *args: Any, **kwargs: Any) -> bool:
        """Tedee locks do not bond."""
        return True

    async def unpair(self) -> bool:
        """Tedee locks do not bond."""
        return True

    async def get_services(self, **kwargs: Any) -> BleakGATTServiceCollection:
        """The lock's GATT table."""
        if self.services is None:
            raise BleakError("Not connected")
        return self.services

    async def read_gatt_char(self, char_specifier: Any, **kwargs: Any) -> bytearray:
        """Nothing on the lock is readable."""
        raise BleakError("read not permitted")

    async def read_gatt_descriptor(self, handle: int, **kwargs: Any) -> bytearray:
        """No descriptors."""
        raise BleakError("read not permitted")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        """Write through the simulated link."""
        if self._conn is None:
            raise BleakError("Not connected")
        await self._conn.write_gatt_char(characteristic.uuid, data, response)

    async def write_gatt_descriptor(self, handle: int, data: Any) -> None:
        """No descriptors."""
        raise BleakError("write not permitted")

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: Any, **kwargs: Any
    ) -> None:
        """Backend callbacks take only the data."""
        if self._conn is None:
            raise BleakError("Not connected")
        await self._conn.start_notify(
            characteristic.uuid, lambda _sender, data: callback(data)
        )

    async def stop_notify(self, char_specifier: Any) -> None:
        """Unsubscribe."""
        if self._conn is not None:
            await self._conn.stop_notify(char_uuid(char_specifier))


class SimulatorScanner(BaseHaRemoteScanner):
    """A remote scanner that hears the simulated locks."""

    def __init__(self, source: str = SOURCE, slots: int | None = None) -> None:
        """Connectable, like an ESPHome proxy with active connections.

        ``slots``: how many connections it can hold at once (an ESPHome proxy has
        3 by default), shared by every lock it reaches; None for no limit.
        """
        self.slots = slots
        self.in_use = 0
        connector = HaBluetoothConnector(
            client=SimulatorBackend, source=source, can_connect=self._has_free_slot
        )
        super().__init__(source, "Tedee lock simulator", connector, True)
        SCANNERS[source] = self

    def _has_free_slot(self) -> bool:
        return self.slots is None or self.in_use < self.slots

    def add_lock(self, lock: SimulatedLock, rssi: int = -62) -> str:
        """Make a lock reachable and advertise it once; returns its address."""
        address = address_for(lock)
        LOCKS[address] = lock
        self.advertise(lock, rssi)
        return address

    def advertise(self, lock: SimulatedLock, rssi: int = -62) -> None:
        """One advertisement (with scan response) from the lock."""
        if not lock.in_range:
            return
        self._async_on_advertisement(
            address_for(lock),
            rssi,
            lock.config.local_name,
            [LOCK_SERVICE_UUID, lock.config.serial_service_uuid],
            {},
            {},
            None,
            self._details,
            monotonic_time_coarse(),
        )

    def remove_lock(self, lock: SimulatedLock) -> None:
        """Forget a lock."""
        LOCKS.pop(address_for(lock), None)
