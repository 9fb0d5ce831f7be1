"""The lock's own copy of the wire constants, written from PROTOCOL.md.

The simulated lock stands in for real hardware, so it shares no protocol code with
the client: if the client misreads a code, the simulator must be able to disagree.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

_BASE: Final = "-4899-489f-a301-fbee544b1db0"
LOCK_SERVICE: Final = "00000002" + _BASE
NOTIFICATIONS: Final = "00000101" + _BASE
PTLS_TX: Final = "00000301" + _BASE
PTLS_RX: Final = "00000401" + _BASE
API: Final = "00000501" + _BASE

ATT_OVERHEAD: Final = 3  # opcode and handle of a notification or write
MAX_ATTRIBUTE: Final = 512  # what one long write may carry


class Frame(IntEnum):
    """First byte of a frame (section 2)."""

    PLAIN = 0x00
    SEALED = 0x01
    HELLO = 0x03
    ALERT = 0x04
    SERVER_VERIFY = 0x05
    CLIENT_VERIFY_MORE = 0x06
    CLIENT_VERIFY_LAST = 0x07
    INITIALIZED = 0x08


class Alert(IntEnum):
    """Alert codes on PTLS TX (section 2)."""

    ERROR = 0x01
    NO_TRUSTED_TIME = 0x02
    TIMEOUT = 0x03
    DISCONNECTED = 0x04
    INVALID_CERT = 0x05
    NOT_REGISTERED = 0x06


class Op(IntEnum):
    """Command opcodes (section 5)."""

    GET_BATTERY = 0x0C
    GET_VERSION = 0x11
    GET_LOGS_TLV = 0x2D
    LOCK = 0x50
    UNLOCK = 0x51
    PULL_SPRING = 0x52
    CALIBRATION_INIT = 0x53
    CALIBRATE_LOCKED = 0x54
    CALIBRATE_UNLOCKED = 0x55
    CALIBRATION_CANCEL = 0x56
    PULL_CALIBRATION_INIT = 0x57
    PULL_CALIBRATION_START = 0x58
    PULL_CALIBRATION_CANCEL = 0x59
    GET_STATE = 0x5A
    SET_SIGNED_DATETIME = 0x71


class Result(IntEnum):
    """Command results (section 5)."""

    SUCCESS = 0x00
    INVALID_PARAM = 0x01
    ERROR = 0x02
    BUSY = 0x03
    NOT_FOUND = 0x04
    NOT_CALIBRATED = 0x05
    ALREADY_CALLED_BY_AUTOUNLOCK = 0x06
    NO_PERMISSION = 0x07
    NOT_CONFIGURED = 0x08
    DISMOUNTED = 0x09
    ALREADY_CALLED_BY_OTHER_OPERATION = 0x0A


class State(IntEnum):
    """Lock states (section 5)."""

    UNCALIBRATED = 0x00
    CALIBRATION = 0x01
    UNLOCKED = 0x02
    PARTIALLY_UNLOCKED = 0x03
    UNLOCKING = 0x04
    LOCKING = 0x05
    LOCKED = 0x06
    PULL_SPRING = 0x07
    PULLING = 0x08
    UNKNOWN = 0x09
    CALIBRATION_CANCELLED = 0x10
    UPDATING = 0x12


class Status(IntEnum):
    """Second byte of GET_STATE and LOCK_STATUS_CHANGE."""

    OK = 0x00
    JAMMED = 0x01


class Note(IntEnum):
    """Notification codes (section 5)."""

    SIGNED_DATETIME = 0x7B
    BATTERY_STATE = 0xA0
    NEED_DATE_TIME = 0xA4
    HAS_LOGS = 0xA5
    CALIBRATION_FINISHED = 0xB3
    LOCK_STATUS_CHANGE = 0xBA
    BATTERY_START_CHARGING = 0xBC
    BATTERY_STOP_CHARGING = 0xBD
    PULL_CALIBRATION_FINISHED = 0xBF


class Cause(IntEnum):
    """The trigger byte of LOCK_STATUS_CHANGE."""

    BUTTON = 0x01
    REMOTE = 0x02
    AUTO_LOCK = 0x04
    DOOR_SENSOR = 0x10


class Door(IntEnum):
    """The door byte of LOCK_STATUS_CHANGE (the cloud's enum)."""

    NOT_PAIRED = 0
    DISCONNECTED = 1
    OPEN = 2
    CLOSED = 3
    UNCALIBRATED = 4


class UnlockMode(IntEnum):
    """UNLOCK parameters."""

    NORMAL = 0x00
    AUTO = 0x01
    FORCE = 0x02
    WITHOUT_PULL = 0x03


class Event(IntEnum):
    """The activity-log events this lock writes (section 7)."""

    LOCKED_REMOTE = 0x20
    UNLOCKED_REMOTE = 0x21
    LOCKED_BUTTON = 0x22
    UNLOCKED_BUTTON = 0x23
    LOCKED_AUTO = 0x24
    UNLOCKED_AUTO = 0x25
    LOCKED_MANUAL = 0x26
    UNLOCKED_MANUAL = 0x27
    JAMMED = 0x28
    POWER_ON = 0x2A
    CALIBRATION = 0x2B
    PULLED_REMOTE = 0x33
    PULLED_MANUAL = 0x35
    UNLOCK_BY_PIN = 0x3D


def serial_service(serial: str) -> str:
    """The serial-number service a lock advertises (section 1)."""
    d = serial.replace("-", "")
    if len(d) != 14 or not d.isdigit():
        raise ValueError(f"bad serial {serial!r}")
    return f"{d[:4]}0000-{d[4:8]}-{d[8:12]}-{d[12:]}00-000000000000"
