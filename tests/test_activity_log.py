"""Activity-log packages: the vendor's example, the corrected layout, round trips.

Packages are built by the simulated lock's own encoder (``simulator/activity_log``),
written separately from the client's parser, so the two check each other.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.tedee_bluetooth.tedee import ProtocolError
from custom_components.tedee_bluetooth.tedee.wire.logs import (
    EventId,
    LogPackage,
    LogRecord,
    parse_log_package,
)
from simulator.activity_log import Entry, encode_package
from simulator.lock_crypto import new_key

KEY = new_key()

# PROTOCOL.md section 7: one PowerOn record, lock 35800, 2024-02-14, and a 70-byte
# DER signature (its bytes are not checked, so any 70 bytes stand in for it).
EXAMPLE = (
    bytes.fromhex(
        "01010103012a0401000508000001 8da51124fe".replace(" ", "")
        + "06040000 8bd8".replace(" ", "")
        + "070400000000"
    )
    + bytes([0x02, 0x46])
    + bytes(range(70))
)


def _record(entry: Entry) -> LogRecord:
    return LogRecord(
        event_id=entry.event,
        source=0,
        timestamp=datetime.fromtimestamp(entry.time_ms / 1000, tz=UTC),
        device_id=entry.device_id,
        user_id=entry.user_id,
        pin_alias=entry.pin_alias,
    )


def _entries(count: int) -> list[Entry]:
    """Entries with and without the optional USER_ID and PIN_ALIAS."""
    return [
        Entry(
            event=0x20 + i % 0x23,
            time_ms=1_707_900_000_000 + i * 1000,
            device_id=35800,
            user_id=1000 + i if i % 2 else None,
            pin_alias=f"pin {i}" if i % 3 == 0 else None,
        )
        for i in range(count)
    ]


def test_the_vendors_example_package() -> None:
    package = parse_log_package(EXAMPLE)
    (record,) = package.records
    assert record.event_name == "power_on"
    assert record.device_id == 35800
    assert record.user_id == 0
    assert record.source == 0
    assert record.pin_alias is None
    assert record.timestamp == datetime(2024, 2, 14, 0, 43, 0, 734000, tzinfo=UTC)
    assert round(record.timestamp.timestamp() * 1000) == 0x018DA51124FE
    assert package.signature == bytes(range(70))


@pytest.mark.parametrize("count", [0, 1, 3, 20])
def test_packages_of_many_records_have_one_signature(count: int) -> None:
    entries = _entries(count)
    raw = encode_package(entries, KEY)
    package = parse_log_package(raw)
    assert package.records == [_record(e) for e in entries]
    assert 68 <= len(package.signature) <= 72
    # The one SIGNATURE item closes the package.
    assert raw.endswith(bytes([0x02, len(package.signature)]) + package.signature)


def test_a_package_of_version_and_signature_holds_no_records() -> None:
    package = parse_log_package(b"\x01\x01\x01\x02\x03abc")
    assert package == LogPackage([], b"abc")
    assert parse_log_package(b"") == LogPackage([], b"")


def test_a_78_byte_signature_is_accepted() -> None:
    raw = encode_package(_entries(2), KEY, signature=b"\xaa" * 78)
    package = parse_log_package(raw)
    assert package.signature == b"\xaa" * 78
    assert len(package.records) == 2


def test_records_survive_a_missing_signature() -> None:
    """We never check the signature; the lock has deleted what it sent."""
    raw = encode_package(_entries(3), KEY, signature=b"\x01" * 70)
    unsigned = raw[: -(2 + 70)]
    assert parse_log_package(unsigned).records == parse_log_package(raw).records
    assert len(parse_log_package(unsigned).records) == 3


def test_new_event_ids_have_names() -> None:
    assert EventId(0xE0).name == "FIRMWARE_UPDATE_BY_BRIDGE"
    assert EventId(0xE1).name == "FIRMWARE_UPDATE_BY_MOBILE"
    assert EventId(0xE3).name == "LOCKED_BY_BRIDGE_API"
    assert EventId(0xE5).name == "UNLOCKED_BY_BRIDGE_API"
    assert EventId(0xEB).name == "PULLED_AUTO_BY_BRIDGE_API"
    assert [e.value for e in EventId if e.value >= 0xE0] == list(range(0xE0, 0xEC))
    raw = encode_package([Entry(0xE4, 0, 1), Entry(0x99, 0, 1)], KEY)
    names = [r.event_name for r in parse_log_package(raw).records]
    assert names == ["unlocked_by_access_link", "event_0x99"]


def test_unknown_tags_are_skipped() -> None:
    package = EXAMPLE[:6] + b"\x7f\x02ab" + EXAMPLE[6:]
    assert parse_log_package(package).records == parse_log_package(EXAMPLE).records


@pytest.mark.parametrize(
    "package",
    [
        b"\x01",  # truncated header
        b"\x01\x05\x01",  # runs past the end
        b"\x03\x01\x2a",  # no VERSION first
        b"\x01\x01\x02",  # unsupported version
        b"\x01\x01\x01\x01\x01\x01",  # VERSION repeated
        b"\x01\x01\x01\x03\x02\x2a\x00",  # wrong fixed length
        b"\x01\x01\x01\x03\x01\x2a",  # record lacks date and device
        b"\x01\x01\x01\x04\x01\x00\x02\x01\x00",  # a field before any EVENT_ID
        b"\x01\x01\x01\x02\x01\x00\x03\x01\x2a",  # SIGNATURE not last
        b"\x01\x01\x01\x02\x00",  # empty signature
        b"\x01\x01\x01\x02\x4f" + bytes(79),  # signature over 78 bytes
        EXAMPLE[:6] + b"\x04\x01\x00" + EXAMPLE[6:],  # EVENT_SOURCE twice
        b"\x01\x01\x01\x03\x01\x2a\x08\x21" + bytes(33),  # PIN alias too long
        b"\x01\x01\x01\x03\x01\x2a\x05\x08"
        + b"\xff" * 8
        + b"\x06\x04"
        + bytes(4),  # timestamp out of range
    ],
)
def test_malformed_packages_raise_protocol_error(package: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_log_package(package)


entry_strategy = st.builds(
    Entry,
    event=st.integers(0, 255),
    time_ms=st.integers(0, 4_102_444_800_000),  # up to 2100
    device_id=st.integers(0, 2**32 - 1),
    user_id=st.none() | st.integers(1, 2**32 - 1),
    pin_alias=st.none() | st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(entry_strategy, max_size=20))
def test_round_trip_through_the_locks_encoder(entries: list[Entry]) -> None:
    package = parse_log_package(encode_package(entries, KEY))
    assert package.records == [_record(e) for e in entries]
