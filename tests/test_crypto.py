"""Known-answer tests for the PTLS key schedule, nonces and record protection.

Expected values were computed with an independent implementation (the
``cryptography`` package's HMAC and AESGCM) and are pinned here.
"""

from __future__ import annotations

import pytest

from custom_components.tedee_bluetooth.tedee.errors import (
    IntegrityError,
    ProtocolError,
    SessionExhaustedError,
)
from custom_components.tedee_bluetooth.tedee.wire.crypto import (
    LABEL_CLIENT_HS,
    LABEL_SERVER_AP,
    TrafficKeys,
    b64decode_strict,
    derive_traffic_keys,
    generate_private_key,
    load_public_point,
    nonce_for,
    private_key_from_pem,
    private_key_to_pem,
    public_point,
    public_point_b64,
)
from custom_components.tedee_bluetooth.tedee.wire.record import RecordCipher

SECRET = bytes(range(32))
DIGEST = bytes([0xAA]) * 32


@pytest.mark.parametrize(
    ("label", "key", "iv"),
    [
        (
            LABEL_CLIENT_HS,
            "9cae9a0f65eec2e923f9be70f243e83c",
            "fa631af8d01b3b393cf9ad96",
        ),
        (
            LABEL_SERVER_AP,
            "a35bb2f17a8eba967cb620eb3934ff0c",
            "e0e17c479da2457a7d1eeec0",
        ),
    ],
)
def test_key_derivation_known_answer(label: bytes, key: str, iv: str) -> None:
    keys = derive_traffic_keys(SECRET, label, DIGEST)
    assert keys.key.hex() == key
    assert keys.iv.hex() == iv


def test_nonce_known_answer() -> None:
    iv = bytes(range(0x20, 0x2C))
    assert nonce_for(iv, 0) == iv
    assert nonce_for(iv, 0x0102).hex() == "202122232425262728292b29"
    assert nonce_for(iv, 0xFFFF)[10:] == bytes([0x2A ^ 0xFF, 0x2B ^ 0xFF])
    with pytest.raises(ValueError):
        nonce_for(iv, 0x10000)


def test_record_known_answer_and_counter() -> None:
    keys = TrafficKeys(bytes(range(16)), bytes(range(0x20, 0x2C)))
    cipher = RecordCipher(keys)
    cipher.counter = 0x0102
    assert cipher.seal(b"\x5a").hex() == "18f922added84ddad064cecf3fc936550b"
    assert cipher.counter == 0x0103


def test_record_roundtrip_tamper_and_exhaustion() -> None:
    keys = TrafficKeys(bytes(16), bytes(12))
    tx, rx = RecordCipher(keys), RecordCipher(keys)
    assert rx.open(tx.seal(b"hello")) == b"hello"
    sealed = bytearray(tx.seal(b"again"))
    sealed[0] ^= 1
    with pytest.raises(IntegrityError):
        rx.open(bytes(sealed))
    with pytest.raises(IntegrityError):
        rx.open(b"short")
    tx.counter = 0xFFFE
    tx.seal(b"last")
    with pytest.raises(SessionExhaustedError):  # 0xFFFF is never used: no wrap
        tx.seal(b"one too many")


def test_key_helpers_roundtrip() -> None:
    key = generate_private_key()
    pem = private_key_to_pem(key)
    again = private_key_from_pem(pem)
    assert public_point(again) == public_point(key)
    point = b64decode_strict(public_point_b64(key))
    assert len(point) == 65
    assert point[0] == 4
    assert public_point(load_public_point(point)) == point


def test_key_helpers_refuse_garbage() -> None:
    with pytest.raises(ValueError):
        private_key_from_pem("not a key")
    with pytest.raises(ValueError):
        b64decode_strict("***")
    with pytest.raises(ProtocolError):
        load_public_point(b"\x04" + bytes(64))  # not on the curve
    with pytest.raises(ProtocolError):
        load_public_point(b"\x02" + bytes(32))  # compressed form is not accepted
