"""Lock commands, lock states and response decoding (PROTOCOL.md section 5).

The opcodes and result codes live in ``const`` (errors name them too).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import struct

from ..errors import ProtocolError
from .const import ResultCode


class LockState(IntEnum):
    """Lock states of GET_STATE and LOCK_STATUS_CHANGE."""

    UNCALIBRATED = 0x00
    CALIBRATION = 0x01
    UNLOCKED = 0x02
    # PARTIALLY_OPEN in the vendor's doc: a jam while locking or unlocking left
    # the bolt part-way ("semi-locked" in the Tedee app).
    SEMI_LOCKED = 0x03
    UNLOCKING = 0x04
    LOCKING = 0x05
    LOCKED = 0x06
    PULL_SPRING = 0x07
    PULLING = 0x08
    UNKNOWN = 0x09
    CALIBRATION_CANCELLED = 0x10
    UPDATING = 0x12


class LockStatus(IntEnum):
    """Second byte of a state report."""

    OK = 0x00
    JAMMED = 0x01
    TIMEOUT = 0x02


class LockParam(IntEnum):
    """LOCK parameters."""

    NORMAL = 0x00
    FORCE = 0x02


class UnlockParam(IntEnum):
    """UNLOCK parameters."""

    NORMAL = 0x00
    AUTO = 0x01
    FORCE = 0x02
    WITHOUT_PULL = 0x03


def decode_lock_state(value: int) -> LockState:
    """Map a state byte; an unknown byte is reported as UNKNOWN, never guessed."""
    try:
        return LockState(value)
    except ValueError:
        return LockState.UNKNOWN


@dataclass(frozen=True, slots=True)
class Response:
    """A decoded command response."""

    opcode: int
    result: int
    data: bytes

    @property
    def ok(self) -> bool:
        """True for SUCCESS."""
        return self.result == ResultCode.SUCCESS


@dataclass(frozen=True, slots=True)
class StateReport:
    """GET_STATE answer."""

    state: LockState
    status: int

    @property
    def jammed(self) -> bool:
        """The lock reports it is jammed."""
        return self.status == LockStatus.JAMMED


@dataclass(frozen=True, slots=True)
class BatteryReport:
    """GET_BATTERY answer."""

    level: int
    charging: bool


@dataclass(frozen=True, slots=True)
class VersionReport:
    """GET_VERSION answer."""

    major: int
    minor: int
    build: int

    def __str__(self) -> str:
        """``major.minor.build``."""
        return f"{self.major}.{self.minor}.{self.build}"


def encode_command(opcode: int, params: bytes = b"") -> bytes:
    """Plaintext of a command: ``opcode | params``."""
    if not 0 <= opcode <= 0xFF:
        raise ValueError("opcode must be one byte")
    return bytes([opcode]) + params


def decode_response(payload: bytes) -> Response:
    """Split ``opcode | result | data``."""
    if len(payload) < 2:
        raise ProtocolError("command response shorter than opcode and result")
    return Response(payload[0], payload[1], bytes(payload[2:]))


def decode_state(data: bytes) -> StateReport:
    """Decode ``state | status``."""
    if len(data) < 2:
        raise ProtocolError("state report shorter than 2 bytes")
    return StateReport(decode_lock_state(data[0]), data[1])


def decode_battery(data: bytes) -> BatteryReport:
    """Decode ``level | charging``."""
    if len(data) < 2:
        raise ProtocolError("battery report shorter than 2 bytes")
    return BatteryReport(clamp_level(data[0]), data[1] == 1)


def clamp_level(value: int) -> int:
    """A battery level; above 100 reads as 100, as the vendor's clients do."""
    return min(value, 100)


def decode_version(data: bytes) -> VersionReport:
    """Decode ``major | minor | build(2)``; any bytes after them are ignored."""
    if len(data) < 4:
        raise ProtocolError("version report shorter than 4 bytes")
    major, minor, build = struct.unpack_from(">BBH", data)
    return VersionReport(major, minor, build)


def decode_seconds_since_unlock(data: bytes) -> int | None:
    """The 4-byte seconds-since-last-unlock of results 0x06/0x0A, if present."""
    if len(data) < 4:
        return None
    return int(struct.unpack_from(">I", data)[0])
