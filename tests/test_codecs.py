"""Codecs: commands, notifications, activity logs, serial UUIDs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.tedee_bluetooth.tedee import (
    LockState,
    ProtocolError,
    serial_to_service_uuid,
    service_uuid_to_serial,
)
from custom_components.tedee_bluetooth.tedee.commands import (
    decode_battery,
    decode_response,
    decode_seconds_since_unlock,
    decode_state,
    decode_version,
    encode_command,
)
from custom_components.tedee_bluetooth.tedee.logs import (
    LogRecord,
    encode_log_package,
    parse_log_package,
)
from custom_components.tedee_bluetooth.tedee.notifications import (
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

# PROTOCOL.md section 7: one PowerOn record, lock 35800, 2024-02-14, 70-byte signature.
EXAMPLE = (
    bytes.fromhex(
        "01010103012a0401000508000001 8da51124fe".replace(" ", "")
        + "06040000 8bd8".replace(" ", "")
        + "070400000000"
    )
    + bytes([0x02, 0x46])
    + bytes(range(70))
)


def test_protocol_example_log_package() -> None:
    (record,) = parse_log_package(EXAMPLE)
    assert record.event_name == "power_on"
    assert record.device_id == 35800
    assert record.user_id == 0
    assert record.timestamp.date().isoformat() == "2024-02-14"
    assert len(record.signature) == 70


def test_log_roundtrip_and_unknown_event() -> None:
    record = LogRecord(
        0x99, 0, datetime(2025, 1, 1, tzinfo=UTC), 7, None, "Front", b"\x01" * 8
    )
    (parsed,) = parse_log_package(encode_log_package([record]))
    assert parsed == record
    assert parsed.event_name == "event_0x99"
    assert parse_log_package(b"") == []
    assert parse_log_package(b"\x01\x01\x01") == []


@pytest.mark.parametrize(
    "package",
    [
        b"\x01",  # truncated header
        b"\x01\x05\x01",  # runs past the end
        b"\x03\x01\x2a",  # no VERSION first
        b"\x01\x01\x02",  # unsupported version
        b"\x01\x01\x01\x01\x01\x01",  # VERSION repeated
        b"\x01\x01\x01\x03\x02\x2a\x00",  # wrong fixed length
        b"\x01\x01\x01\x03\x01\x2a",  # record without SIGNATURE
        b"\x01\x01\x01\x03\x01\x2a\x03\x01\x2a",  # repeated tag
        b"\x01\x01\x01\x03\x01\x2a\x02\x00",  # empty signature
        b"\x01\x01\x01\x03\x01\x2a\x02\x01\x00",  # lacks date and device
        b"\x01\x01\x01\x08\x21" + bytes(33),  # PIN alias too long
        b"\x01\x01\x01\x03\x01\x2a\x05\x08"
        + b"\xff" * 8
        + b"\x06\x04"
        + bytes(4)
        + b"\x02\x01\x00",
    ],
)
def test_malformed_log_packages_raise_protocol_error(package: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_log_package(package)


def test_unknown_log_tags_are_skipped() -> None:
    package = EXAMPLE[:3] + b"\x7f\x02ab" + EXAMPLE[3:]
    assert len(parse_log_package(package)) == 1


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
    [b"", b"\xba\x02", b"\xa0\x32", b"\xa0\x65\x00", b"\xbc", b"\xb3", b"\x7b"],
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
    for fn, bad in (
        (decode_response, b"\x51"),
        (decode_state, b"\x06"),
        (decode_battery, b"\x65\x00"),
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
    for bad in ("1234", "12345678-90123a", "1234567890123456"):
        with pytest.raises(ValueError):
            serial_to_service_uuid(bad)
