"""The lock's activity log and its GET_LOGS_TLV packages (PROTOCOL.md section 7).

A package is VERSION, then one group per record (each starting with EVENT_ID), then
one SIGNATURE over the bytes before it. Written here from the spec, not shared with
the client's parser.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric import ec

from .lock_crypto import sign

VERSION, SIGNATURE, EVENT_ID, EVENT_SOURCE, EVENT_DATE_TIME = 1, 2, 3, 4, 5
DEVICE_ID, USER_ID, PIN_ALIAS = 6, 7, 8
SIGNATURE_ROOM = 2 + 72  # a DER P-256 signature is at most 72 bytes


@dataclass(frozen=True, slots=True)
class Entry:
    """One event the lock remembers."""

    event: int
    time_ms: int
    device_id: int
    user_id: int | None = None
    pin_alias: str | None = None


def _item(tag: int, value: bytes) -> bytes:
    return bytes([tag, len(value)]) + value


def encode_entry(entry: Entry) -> bytes:
    """One record group, EVENT_ID first."""
    out = _item(EVENT_ID, bytes([entry.event]))
    out += _item(EVENT_SOURCE, b"\x00")
    out += _item(EVENT_DATE_TIME, struct.pack(">Q", entry.time_ms))
    out += _item(DEVICE_ID, struct.pack(">I", entry.device_id))
    if entry.user_id is not None:
        out += _item(USER_ID, struct.pack(">I", entry.user_id))
    if entry.pin_alias is not None:
        out += _item(PIN_ALIAS, entry.pin_alias.encode("utf-8")[:32])
    return out


def encode_package(
    entries: list[Entry],
    key: ec.EllipticCurvePrivateKey,
    *,
    signature: bytes | None = None,
) -> bytes:
    """A whole package; the signature covers every byte before its item."""
    unsigned = _item(VERSION, b"\x01") + b"".join(encode_entry(e) for e in entries)
    if signature is None:
        signature = sign(key, hashlib.sha256(unsigned).digest())
    return unsigned + _item(SIGNATURE, signature)


def entries_that_fit(entries: list[Entry], room: int) -> int:
    """How many leading entries fit a package of at most ``room`` bytes."""
    used = 3 + SIGNATURE_ROOM
    count = 0
    for entry in entries:
        used += len(encode_entry(entry))
        if used > room:
            break
        count += 1
    return count
