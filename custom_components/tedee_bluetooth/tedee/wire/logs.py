"""Total parser of GET_LOGS_TLV activity-log packages (PROTOCOL.md section 7).

A package is VERSION, any number of record groups (each starting with EVENT_ID),
then one SIGNATURE for the whole package. Any byte string either parses or raises
ProtocolError; never an IndexError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
import struct

from ..errors import ProtocolError


class Tag(IntEnum):
    """TLV tags."""

    VERSION = 0x01
    SIGNATURE = 0x02
    EVENT_ID = 0x03
    EVENT_SOURCE = 0x04
    EVENT_DATE_TIME = 0x05
    DEVICE_ID = 0x06
    USER_ID = 0x07
    PIN_ALIAS = 0x08


class EventId(IntEnum):
    """Activity log event ids."""

    LOCKED_REMOTE = 0x20
    UNLOCKED_REMOTE = 0x21
    LOCKED_BUTTON = 0x22
    UNLOCKED_BUTTON = 0x23
    LOCKED_AUTO = 0x24
    UNLOCKED_AUTO = 0x25
    LOCKED_MANUAL = 0x26
    UNLOCKED_MANUAL = 0x27
    JAMMED = 0x28
    POWER_OFF = 0x29
    POWER_ON = 0x2A
    CALIBRATION = 0x2B
    BATTERY_CHARGING = 0x2E
    PARTIALLY_OPEN_MANUAL = 0x2F
    PARTIALLY_OPEN_BUTTON = 0x30
    PARTIALLY_OPEN_AUTO = 0x31
    BATTERY_STOP_CHARGING = 0x32
    PULLED_REMOTE = 0x33
    PULLED_AUTO = 0x34
    PULLED_MANUAL = 0x35
    PARTIALLY_OPEN_REMOTE = 0x36
    PULLED_AUTO_BY_REMOTE = 0x37
    POSTPONED_LOCK = 0x38
    HOMEKIT_UNLOCK = 0x39
    HOMEKIT_PARTIAL = 0x3A
    HOMEKIT_LOCK = 0x3B
    HOMEKIT_PULL = 0x3C
    UNLOCK_BY_PIN = 0x3D
    INCORRECT_PIN = 0x3E
    PULL_SPRING_BY_PIN = 0x3F
    PARTIALLY_OPEN_BY_PIN = 0x40
    LOCKED_BY_KEYPAD_WITH_PIN = 0x41
    LOCKED_BY_KEYPAD_WITHOUT_PIN = 0x42
    FIRMWARE_UPDATE_BY_BRIDGE = 0xE0
    FIRMWARE_UPDATE_BY_MOBILE = 0xE1
    LOCKED_BY_ACCESS_LINK = 0xE2
    # The vendor's table names 0xE3 "UnlockedByBridgeApi" like 0xE5; its place in
    # the access-link / bridge-API pairs and other published lists say "locked".
    LOCKED_BY_BRIDGE_API = 0xE3
    UNLOCKED_BY_ACCESS_LINK = 0xE4
    UNLOCKED_BY_BRIDGE_API = 0xE5
    PULLED_BY_ACCESS_LINK = 0xE6
    PULLED_BY_BRIDGE_API = 0xE7
    PARTIALLY_OPEN_BY_ACCESS_LINK = 0xE8
    PARTIALLY_OPEN_BY_BRIDGE_API = 0xE9
    PULLED_AUTO_BY_ACCESS_LINK = 0xEA
    PULLED_AUTO_BY_BRIDGE_API = 0xEB


# Fixed value sizes; PIN_ALIAS (up to 32) and SIGNATURE (up to 78) vary.
_FIXED_SIZES = {
    Tag.VERSION: 1,
    Tag.EVENT_ID: 1,
    Tag.EVENT_SOURCE: 1,
    Tag.EVENT_DATE_TIME: 8,
    Tag.DEVICE_ID: 4,
    Tag.USER_ID: 4,
}
_RECORD_TAGS = frozenset(
    {
        Tag.EVENT_SOURCE,
        Tag.EVENT_DATE_TIME,
        Tag.DEVICE_ID,
        Tag.USER_ID,
        Tag.PIN_ALIAS,
    }
)
MAX_PIN_ALIAS = 32
MAX_SIGNATURE = 78


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One activity-log entry."""

    event_id: int
    source: int
    timestamp: datetime
    device_id: int
    user_id: int | None
    pin_alias: str | None

    @property
    def event_name(self) -> str:
        """Lower-case event name, or ``event_0xNN`` for an id we do not know."""
        try:
            return EventId(self.event_id).name.lower()
        except ValueError:
            return f"event_0x{self.event_id:02x}"


@dataclass(frozen=True, slots=True)
class LogPackage:
    """The records of one package and the one signature over the package.

    The signature is kept, not checked: which bytes it covers and which key signs
    it are undocumented.
    """

    records: list[LogRecord]
    signature: bytes


@dataclass(frozen=True, slots=True)
class FetchedPackage:
    """A package as the lock sent it: its bytes, and its records if it parses.

    The lock deletes what it sends, so the bytes are kept even when they do not
    parse (``error`` says why; ``records`` is then empty).
    """

    raw: bytes
    records: list[LogRecord]
    error: str | None = None


def read_log_package(raw: bytes) -> FetchedPackage:
    """Parse a package without raising: a malformed one keeps its bytes."""
    try:
        return FetchedPackage(bytes(raw), parse_log_package(raw).records)
    except ProtocolError as err:
        return FetchedPackage(bytes(raw), [], str(err))


def _split_tlv(data: bytes) -> list[tuple[int, bytes]]:
    items: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ProtocolError("TLV item truncated before its length")
        tag, length = data[pos], data[pos + 1]
        pos += 2
        if pos + length > len(data):
            raise ProtocolError(f"TLV item 0x{tag:02x} runs past the package")
        items.append((tag, bytes(data[pos : pos + length])))
        pos += length
    return items


def parse_log_package(data: bytes) -> LogPackage:
    """Parse a package; an empty byte string holds no records and no signature."""
    items = _split_tlv(bytes(data))
    if not items:
        return LogPackage([], b"")
    tag, value = items[0]
    if tag != Tag.VERSION:
        raise ProtocolError("log package does not start with VERSION")
    if value != b"\x01":
        raise ProtocolError("unsupported log package version")
    body, signature = items[1:], b""
    if body and body[-1][0] == Tag.SIGNATURE:
        signature = body.pop()[1]
        if not 0 < len(signature) <= MAX_SIGNATURE:
            raise ProtocolError("log signature has an impossible length")
    # A package without its SIGNATURE still gives its records: we never check the
    # signature, and the lock has already deleted what it sent.
    records: list[LogRecord] = []
    current: dict[int, bytes] | None = None
    for tag, value in body:
        if tag in (Tag.VERSION, Tag.SIGNATURE):
            raise ProtocolError(f"{Tag(tag).name} inside the package")
        if tag == Tag.EVENT_ID:
            _check_size(tag, value)
            if current is not None:
                records.append(_record(current))
            current = {tag: value}
            continue
        if tag not in _RECORD_TAGS:
            continue  # a tag we do not know: skip its value
        if current is None:
            raise ProtocolError(f"TLV tag 0x{tag:02x} before the first EVENT_ID")
        _check_size(tag, value)
        if tag in current:
            raise ProtocolError(f"TLV tag 0x{tag:02x} repeated in one record")
        current[tag] = value
    if current is not None:
        records.append(_record(current))
    return LogPackage(records, signature)


def _check_size(tag: int, value: bytes) -> None:
    expected = _FIXED_SIZES.get(Tag(tag))
    if expected is not None and len(value) != expected:
        raise ProtocolError(f"TLV tag 0x{tag:02x} has length {len(value)}")
    if tag == Tag.PIN_ALIAS and len(value) > MAX_PIN_ALIAS:
        raise ProtocolError("PIN alias longer than 32 bytes")


def _record(fields: dict[int, bytes]) -> LogRecord:
    for tag in (Tag.EVENT_DATE_TIME, Tag.DEVICE_ID):
        if tag not in fields:
            raise ProtocolError(f"log record lacks {tag.name}")
    ms = int(struct.unpack(">Q", fields[Tag.EVENT_DATE_TIME])[0])
    try:
        timestamp = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise ProtocolError("log timestamp out of range") from err
    user = fields.get(Tag.USER_ID)
    alias = fields.get(Tag.PIN_ALIAS)
    return LogRecord(
        event_id=fields[Tag.EVENT_ID][0],
        source=fields.get(Tag.EVENT_SOURCE, b"\x00")[0],
        timestamp=timestamp,
        device_id=int(struct.unpack(">I", fields[Tag.DEVICE_ID])[0]),
        user_id=int(struct.unpack(">I", user)[0]) if user is not None else None,
        pin_alias=alias.decode("utf-8", errors="replace")
        if alias is not None
        else None,
    )
