"""Total parser of GET_LOGS_TLV activity-log packages (PROTOCOL.md section 7).

Any byte string either parses or raises ProtocolError; never an IndexError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
import struct

from .errors import ProtocolError


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


# Fixed value sizes; PIN_ALIAS (up to 32) and SIGNATURE (DER, up to 72) vary.
_FIXED_SIZES = {
    Tag.VERSION: 1,
    Tag.EVENT_ID: 1,
    Tag.EVENT_SOURCE: 1,
    Tag.EVENT_DATE_TIME: 8,
    Tag.DEVICE_ID: 4,
    Tag.USER_ID: 4,
}
_KNOWN_TAGS = frozenset(int(t) for t in Tag)
MAX_PIN_ALIAS = 32
MAX_SIGNATURE = 72


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One activity-log entry."""

    event_id: int
    source: int
    timestamp: datetime
    device_id: int
    user_id: int | None
    pin_alias: str | None
    signature: bytes

    @property
    def event_name(self) -> str:
        """Lower-case event name, or ``event_0xNN`` for an id we do not know."""
        try:
            return EventId(self.event_id).name.lower()
        except ValueError:
            return f"event_0x{self.event_id:02x}"


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


def parse_log_package(data: bytes) -> list[LogRecord]:
    """Parse a package; an empty byte string holds no records."""
    items = _split_tlv(bytes(data))
    if not items:
        return []
    if items[0][0] != Tag.VERSION:
        raise ProtocolError("log package does not start with VERSION")
    records: list[LogRecord] = []
    current: dict[int, bytes] = {}
    for index, (tag, value) in enumerate(items):
        if index == 0:
            if len(value) != 1 or value[0] != 1:
                raise ProtocolError("unsupported log package version")
            continue
        if tag == Tag.VERSION:
            raise ProtocolError("VERSION repeated inside the package")
        expected = _FIXED_SIZES.get(Tag(tag)) if tag in _KNOWN_TAGS else None
        if expected is not None and len(value) != expected:
            raise ProtocolError(f"TLV tag 0x{tag:02x} has length {len(value)}")
        if tag == Tag.PIN_ALIAS and len(value) > MAX_PIN_ALIAS:
            raise ProtocolError("PIN alias longer than 32 bytes")
        if tag == Tag.SIGNATURE:
            if not 0 < len(value) <= MAX_SIGNATURE:
                raise ProtocolError("log signature has an impossible length")
            current[tag] = value
            records.append(_record(current))
            current = {}
            continue
        if tag not in _KNOWN_TAGS:
            continue  # unknown tag: skip its value, keep parsing
        if tag in current:
            raise ProtocolError(f"TLV tag 0x{tag:02x} repeated in one record")
        current[tag] = value
    if current:
        raise ProtocolError("log record without its closing SIGNATURE")
    return records


def _record(fields: dict[int, bytes]) -> LogRecord:
    for tag in (Tag.EVENT_ID, Tag.EVENT_DATE_TIME, Tag.DEVICE_ID):
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
        signature=fields[Tag.SIGNATURE],
    )


def encode_log_record(record: LogRecord) -> bytes:
    """Encode one record's TLV items (used by the simulator and tests)."""
    out = bytearray()
    out += bytes([Tag.EVENT_ID, 1, record.event_id])
    out += bytes([Tag.EVENT_SOURCE, 1, record.source])
    ms = int(record.timestamp.timestamp() * 1000)
    out += bytes([Tag.EVENT_DATE_TIME, 8]) + struct.pack(">Q", ms)
    out += bytes([Tag.DEVICE_ID, 4]) + struct.pack(">I", record.device_id)
    if record.user_id is not None:
        out += bytes([Tag.USER_ID, 4]) + struct.pack(">I", record.user_id)
    if record.pin_alias is not None:
        alias = record.pin_alias.encode("utf-8")[:MAX_PIN_ALIAS]
        out += bytes([Tag.PIN_ALIAS, len(alias)]) + alias
    out += bytes([Tag.SIGNATURE, len(record.signature)]) + record.signature
    return bytes(out)


def encode_log_package(records: list[LogRecord]) -> bytes:
    """A whole package: VERSION then the records."""
    return bytes([Tag.VERSION, 1, 1]) + b"".join(encode_log_record(r) for r in records)
