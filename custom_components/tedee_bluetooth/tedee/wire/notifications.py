"""Decoding of lock notifications (PROTOCOL.md section 5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
import struct

from ..errors import ProtocolError
from .commands import LockState, LockStatus, clamp_level, decode_lock_state


class NotificationCode(IntEnum):
    """First byte of a decrypted notification."""

    SIGNED_DATETIME = 0x7B
    BATTERY_STATE = 0xA0
    NEED_DATE_TIME = 0xA4
    HAS_LOGS = 0xA5
    CALIBRATION_FINISHED = 0xB3
    LOCK_STATUS_CHANGE = 0xBA
    BATTERY_START_CHARGING = 0xBC
    BATTERY_STOP_CHARGING = 0xBD
    BATTERY_FULLY_CHARGED = 0xBE
    PULL_CALIBRATION_FINISHED = 0xBF


class Trigger(IntEnum):
    """What caused a LOCK_STATUS_CHANGE."""

    NONE = 0x00
    BUTTON = 0x01
    REMOTE = 0x02
    AUTO_LOCK = 0x04
    DOOR_SENSOR = 0x10


class DoorState(IntEnum):
    """Door sensor reading in LOCK_STATUS_CHANGE."""

    UNKNOWN = 0x00  # no door sensor paired (the cloud's NotPaired)
    DISCONNECTED = 0x01  # paired, but the lock cannot reach it
    OPEN = 0x02
    CLOSED = 0x03
    UNCALIBRATED = 0x04  # paired, not calibrated


class CalibrationResult(IntEnum):
    """Result of (pull) calibration."""

    OK = 0
    ERROR = 1
    POSITIONS_TOO_CLOSE = 2
    TIMEOUT = 3
    CANCELLED = 4


@dataclass(frozen=True, slots=True)
class Notification:
    """Base of decoded notifications.

    ``late``: it arrived after later frames were delivered (its gap was given up),
    so any state it carries is older than what is already known.
    """

    code: int
    late: bool = field(default=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class LockStatusChange(Notification):
    """The lock moved or its status changed; extended fields when the lock sends them."""

    state: LockState
    status: int
    trigger: int | None = None
    access_id: int | None = None
    door: DoorState | None = None

    @property
    def jammed(self) -> bool:
        """The lock reports it is jammed."""
        return self.status == LockStatus.JAMMED


@dataclass(frozen=True, slots=True)
class BatteryNotification(Notification):
    """BATTERY_STATE, START/STOP_CHARGING and FULLY_CHARGED."""

    level: int | None
    charging: bool | None


@dataclass(frozen=True, slots=True)
class CalibrationFinished(Notification):
    """CALIBRATION_FINISHED / PULL_CALIBRATION_FINISHED."""

    result: int


@dataclass(frozen=True, slots=True)
class SignedDateTimeResult(Notification):
    """The unencrypted SIGNED_DATETIME notification: did the lock take the time."""

    accepted: bool


@dataclass(frozen=True, slots=True)
class SimpleNotification(Notification):
    """NEED_DATE_TIME, HAS_LOGS: no body."""


@dataclass(frozen=True, slots=True)
class UnknownNotification(Notification):
    """A code this library does not know; kept, not dropped."""

    body: bytes


def _need(body: bytes, size: int, name: str) -> None:
    if len(body) < size:
        raise ProtocolError(f"{name} notification shorter than {size} bytes")


def decode_notification(payload: bytes) -> Notification:
    """Decode ``code | body``; raise ProtocolError on a malformed known notification."""
    if not payload:
        raise ProtocolError("empty notification")
    code, body = payload[0], bytes(payload[1:])
    if code == NotificationCode.LOCK_STATUS_CHANGE:
        _need(body, 2, "LOCK_STATUS_CHANGE")
        trigger = access_id = None
        door: DoorState | None = None
        if len(body) >= 8:
            trigger = body[2]
            access_id = int(struct.unpack_from(">I", body, 3)[0])
            try:
                door = DoorState(body[7])
            except ValueError:
                door = DoorState.UNKNOWN
        return LockStatusChange(
            code, decode_lock_state(body[0]), body[1], trigger, access_id, door
        )
    if code == NotificationCode.BATTERY_STATE:
        _need(body, 2, "BATTERY_STATE")
        return BatteryNotification(code, clamp_level(body[0]), body[1] == 1)
    if code in (
        NotificationCode.BATTERY_START_CHARGING,
        NotificationCode.BATTERY_STOP_CHARGING,
    ):
        _need(body, 1, "charging")
        return BatteryNotification(
            code, clamp_level(body[0]), code == NotificationCode.BATTERY_START_CHARGING
        )
    if code == NotificationCode.BATTERY_FULLY_CHARGED:
        return BatteryNotification(code, 100, None)
    if code in (
        NotificationCode.CALIBRATION_FINISHED,
        NotificationCode.PULL_CALIBRATION_FINISHED,
    ):
        _need(body, 1, "calibration")
        return CalibrationFinished(code, body[0])
    if code == NotificationCode.SIGNED_DATETIME:
        _need(body, 1, "SIGNED_DATETIME")
        return SignedDateTimeResult(code, body[0] == 0x00)
    if code in (NotificationCode.NEED_DATE_TIME, NotificationCode.HAS_LOGS):
        return SimpleNotification(code)
    return UnknownNotification(code, body)
