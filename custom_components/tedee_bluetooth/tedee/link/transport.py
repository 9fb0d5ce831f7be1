"""What the client needs from a Bluetooth link, and the key material it proves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class BleakClientLike(Protocol):
    """The part of BleakClient this library uses, and nothing more."""

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""

    @property
    def mtu_size(self) -> int:
        """Negotiated ATT MTU."""

    async def write_gatt_char(
        self, char_specifier: Any, data: Any, response: bool = ...
    ) -> None:
        """Write to a characteristic by UUID string."""

    async def start_notify(
        self, char_specifier: Any, callback: Any, **kwargs: Any
    ) -> None:
        """Subscribe to a characteristic by UUID string."""

    async def stop_notify(self, char_specifier: Any) -> None:
        """Unsubscribe."""

    async def disconnect(self) -> Any:
        """Drop the link."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """What pairing with the cloud produced: our key, our certificate, the lock's key."""

    private_key_pem: str
    certificate: str
    device_public_key: str

    def __repr__(self) -> str:
        """Never show secrets, not even in a traceback."""
        return "Credentials(<redacted>)"
