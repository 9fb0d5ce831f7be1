"""Codecs: commands, notifications, activity logs, serial UUIDs."""

from __future__ import annotations

import pytest

from custom_components.tedee_bluetooth.tedee import (
    LockState,
    ProtocolError,
    serial_to_service_uuid,
    service_uuid_to_serial,
)
from custom_components.tedee_bluetooth.tedee.wire.commands import (
    decode_battery,
    decode_response,
    decode_seconds_since_unlock,
    decode_state,
    decode_version,
    encode_command,
)
from custom_components.tedee_bluetooth.tedee.wire.notifications import (
    BatteryNotification,
    CalibrationFinished,
    DoorState,
    LockStatusChange,
    NotificationCode,
    SignedDateTimeResult,
    SimpleNotification,
    Trigger,
    UnknownNotification,
    decode_notification,
)


def test_lock_status_change_short_and_extended() -> None:
    short = decode_notification(bytes([0xBA, 0x06, 0x00]))
    assert isinstance(short, LockStatusChange)
    assert short.state is LockState.LOCKED
    assert short.trigger is None
    assert short.door is None
    full = decode_notification(bytes([0xBA, 0x02, 0x01, 0x01, 0, 0, 1, 2, 0x02]))
    assert isinstance(full, LockStatusChange)
    assert full.jammed
    assert full.trigger == Trigger.BUTTON
    assert full.access_id == 258
    assert full.door is DoorState.OPEN
    odd = decode_notification(bytes([0xBA, 0x55, 0x00, 0x04, 0, 0, 0, 0, 0x09]))
    assert isinstance(odd, LockStatusChange)
    assert odd.state is LockState.UNKNOWN  # an unknown state is never guessed
    assert odd.door is DoorState.UNKNOWN


def test_other_notifications() -> None:
    assert decode_notification(b"\xa0\x32\x01") == BatteryNotification(0xA0, 50, True)
    assert decode_notification(b"\xbc\x10") == BatteryNotification(0xBC, 16, True)
    assert decode_notification(b"\xbd\x10") == BatteryNotification(0xBD, 16, False)
    assert decode_notification(b"\xbe") == BatteryNotification(0xBE, 100, None)
    assert decode_notification(b"\xb3\x02") == CalibrationFinished(0xB3, 2)
    assert decode_notification(b"\xbf\x00") == CalibrationFinished(0xBF, 0)
    assert decode_notification(b"\x7b\x00") == SignedDateTimeResult(0x7B, True)
    assert decode_notification(b"\x7b\x01") == SignedDateTimeResult(0x7B, False)
    assert decode_notification(b"\xa4") == SimpleNotification(
        NotificationCode.NEED_DATE_TIME
    )
    assert decode_notification(b"\xa5") == SimpleNotification(NotificationCode.HAS_LOGS)
    assert decode_notification(b"\xee\x01") == UnknownNotification(0xEE, b"\x01")


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xba\x02", b"\xa0\x32", b"\xbc", b"\xb3", b"\x7b"],
)
def test_malformed_notifications(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_notification(payload)


def test_responses() -> None:
    assert encode_command(0x51, b"\x03") == b"\x51\x03"
    with pytest.raises(ValueError):
        encode_command(0x100)
    response = decode_response(b"\x51\x06\x00\x00\x00\x2a")
    assert not response.ok
    assert decode_seconds_since_unlock(response.data) == 42
    assert decode_seconds_since_unlock(b"") is None
    assert decode_state(b"\x06\x00").state is LockState.LOCKED
    assert decode_battery(b"\x64\x00").level == 100
    assert str(decode_version(b"\x02\x04\x04\xd2")) == "2.4.1234"
    # The SDK's example: 2.4.23523 and one unexplained byte, which is ignored.
    assert str(decode_version(bytes.fromhex("0204 5be3 01"))) == "2.4.23523"
    for fn, bad in (
        (decode_response, b"\x51"),
        (decode_state, b"\x06"),
        (decode_battery, b"\x10"),
        (decode_version, b"\x01\x02\x03"),
    ):
        with pytest.raises(ProtocolError):
            fn(bad)


def test_serial_uuid_mapping() -> None:
    uuid = serial_to_service_uuid("12345678-901234")
    assert uuid == "12340000-5678-9012-3400-000000000000"
    assert service_uuid_to_serial(uuid) == "12345678-901234"
    assert service_uuid_to_serial(uuid.upper()) == "12345678-901234"
    assert service_uuid_to_serial("00000002-4899-489f-a301-fbee544b1db0") is None
    assert service_uuid_to_serial("abcd0000-5678-9012-3400-000000000000") is None
    # Older (1.1) locks carry their MAC in the last 12 digits: only 20 count.
    assert service_uuid_to_serial("12340000-5678-9012-3400-a4c138f01b2e") == (
        "12345678-901234"
    )
    assert service_uuid_to_serial("12340000-5678-9012-34ff-000000000000") is None
    for bad in ("1234", "12345678-90123a", "1234567890123456"):
        with pytest.raises(ValueError):
            serial_to_service_uuid(bad)


def test_battery_levels_over_100_read_as_100() -> None:
    """The vendor's clients clamp; a lock reporting 101 % must not break anything."""
    assert decode_battery(b"\x65\x01") == decode_battery(b"\x64\x01")
    assert decode_battery(b"\xff\x00").level == 100
    assert decode_notification(b"\xa0\x65\x00") == BatteryNotification(0xA0, 100, False)
    assert decode_notification(b"\xbc\xc8") == BatteryNotification(0xBC, 100, True)


def test_command_errors_name_unknown_codes_in_hex() -> None:
    from custom_components.tedee_bluetooth.tedee import CommandError

    assert str(CommandError(0x99, 0x77)) == "0x99 failed: 0x77"
    assert str(CommandError(0x51, 0x05)) == "UNLOCK failed: NOT_CALIBRATED"
