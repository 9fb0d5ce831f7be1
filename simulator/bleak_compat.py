"""GATT objects for the simulated Bluetooth backend on both bleak generations.

bleak < 1.0 (Home Assistant up to 2025.7) has abstract BleakGATTService and
BleakGATTCharacteristic classes that each backend subclasses; bleak 1.0 and later
(Home Assistant 2025.8 and later) has concrete classes built from (obj, handle, uuid,
...). Delete the legacy branch once the oldest Home Assistant we support is 2025.8.
"""

from __future__ import annotations

from collections.abc import Callable
import inspect
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.service import BleakGATTService

CONCRETE_GATT = "handle" in inspect.signature(BleakGATTService.__init__).parameters


class _LegacyService(BleakGATTService):
    """bleak < 1.0: a backend provides its own service class."""

    def __init__(self, handle: int, uuid: str) -> None:
        super().__init__(None)  # type: ignore[call-arg,unused-ignore]
        self._handle, self._uuid = handle, uuid
        self._chars: list[BleakGATTCharacteristic] = []

    @property
    def handle(self) -> int:
        return self._handle

    @property
    def uuid(self) -> str:
        return self._uuid

    @property
    def characteristics(self) -> list[BleakGATTCharacteristic]:
        return self._chars

    def add_characteristic(self, characteristic: BleakGATTCharacteristic) -> None:
        self._chars.append(characteristic)


class _LegacyCharacteristic(BleakGATTCharacteristic):
    """bleak < 1.0: a backend provides its own characteristic class."""

    def __init__(
        self,
        service: BleakGATTService,
        handle: int,
        uuid: str,
        properties: list[str],
        max_write: Callable[[], int],
    ) -> None:
        super().__init__(None, max_write)  # type: ignore[call-arg,unused-ignore]
        self._service = service
        self._handle, self._uuid, self._properties = handle, uuid, properties

    @property
    def service_uuid(self) -> str:
        return self._service.uuid

    @property
    def service_handle(self) -> int:
        return self._service.handle

    @property
    def handle(self) -> int:
        return self._handle

    @property
    def uuid(self) -> str:
        return self._uuid

    @property
    def properties(self) -> list[str]:  # type: ignore[override,unused-ignore]
        return self._properties

    @property
    def descriptors(self) -> list[BleakGATTDescriptor]:
        return []

    def get_descriptor(self, specifier: Any) -> BleakGATTDescriptor | None:
        return None

    def add_descriptor(self, descriptor: BleakGATTDescriptor) -> None:
        raise NotImplementedError


def make_service(handle: int, uuid: str) -> BleakGATTService:
    """A GATT service object the installed bleak accepts."""
    if CONCRETE_GATT:
        concrete: Any = BleakGATTService  # typed for whichever bleak is installed
        return concrete(None, handle, uuid)  # type: ignore[no-any-return]
    return _LegacyService(handle, uuid)


def make_characteristic(
    service: BleakGATTService,
    handle: int,
    uuid: str,
    properties: list[str],
    max_write: Callable[[], int],
) -> BleakGATTCharacteristic:
    """A GATT characteristic object the installed bleak accepts."""
    if CONCRETE_GATT:
        concrete: Any = BleakGATTCharacteristic
        return concrete(  # type: ignore[no-any-return]
            None, handle, uuid, properties, max_write, service
        )
    return _LegacyCharacteristic(service, handle, uuid, properties, max_write)
