"""Wire constants of the Tedee BLE protocol (PROTOCOL.md sections 1, 2 and 5)."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

LOCK_SERVICE_UUID: Final = "00000002-4899-489f-a301-fbee544b1db0"
NOTIFICATIONS_CHAR_UUID: Final = "00000101-4899-489f-a301-fbee544b1db0"
PTLS_TX_CHAR_UUID: Final = "00000301-4899-489f-a301-fbee544b1db0"
PTLS_RX_CHAR_UUID: Final = "00000401-4899-489f-a301-fbee544b1db0"
API_COMMANDS_CHAR_UUID: Final = "00000501-4899-489f-a301-fbee544b1db0"

PTLS_VERSION: Final = 0x02
MAX_PTLS_MTU: Final = 255
ATT_HEADER_SIZE: Final = 3
MAX_ATTRIBUTE_LENGTH: Final = 512
GCM_TAG_SIZE: Final = 16
MAX_RECORD_COUNTER: Final = 0xFFFF


class Header(IntEnum):
    """First byte of every frame."""

    DATA_NOT_ENCRYPTED = 0x00
    DATA_ENCRYPTED = 0x01
    PTLS_HELLO = 0x03
    PTLS_ALERT = 0x04
    PTLS_SERVER_VERIFY = 0x05
    PTLS_CLIENT_VERIFY_I = 0x06
    PTLS_CLIENT_VERIFY_II = 0x07
    PTLS_INITIALIZED = 0x08


class AlertCode(IntEnum):
    """Codes the lock sends after a PTLS_ALERT header."""

    OK = 0x00
    ERROR = 0x01
    NO_TRUSTED_TIME = 0x02
    TIMEOUT = 0x03
    DISCONNECTED = 0x04
    INVALID_CERT = 0x05
    NOT_REGISTERED = 0x06


def serial_to_service_uuid(serial: str) -> str:
    """Return the advertised serial-number service UUID for a lock serial.

    Serial ``12345678-901234`` is advertised as ``12340000-5678-9012-3400-000000000000``.
    """
    digits = "".join(ch for ch in serial if ch.isdigit())
    if len(digits) != 14 or len(digits) != len(serial.replace("-", "")):
        raise ValueError(f"not a Tedee serial number: {serial!r}")
    return (
        f"{digits[0:4]}0000-{digits[4:8]}-{digits[8:12]}-{digits[12:14]}00-000000000000"
    )


def service_uuid_to_serial(uuid: str) -> str | None:
    """Return the serial advertised by a serial-number service UUID, if it is one.

    Only the first 20 hex digits count: older (1.1) locks put their MAC address in
    the last 12 (PROTOCOL.md section 1).
    """
    uuid = uuid.lower()
    if (
        len(uuid) != 36
        or uuid[4:8] != "0000"
        or uuid[21:23] != "00"
        or uuid[8] != "-"
        or uuid[13] != "-"
        or uuid[18] != "-"
        or uuid[23] != "-"
    ):
        return None
    digits = uuid[0:4] + uuid[9:13] + uuid[14:18] + uuid[19:21]
    if not digits.isdigit():
        return None
    return f"{digits[0:8]}-{digits[8:14]}"


class Command(IntEnum):
    """Command opcodes written to API commands."""

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


class ResultCode(IntEnum):
    """Second byte of every command response."""

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
