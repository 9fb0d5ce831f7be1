"""Cryptographic building blocks of PTLS: keys, ECDH, key schedule, nonces.

Kept free of protocol state so known-answer tests can pin it down. The lock
simulator has its own implementation (``simulator/lock_crypto.py``) on purpose.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
import hashlib
import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from ..errors import ProtocolError

CURVE = ec.SECP256R1()
POINT_SIZE = 65
KEY_SIZE = 16
IV_SIZE = 12

LABEL_CLIENT_HS = b"ptlsc hs traffic"
LABEL_SERVER_HS = b"ptlss hs traffic"
LABEL_CLIENT_AP = b"ptlsc ap traffic"
LABEL_SERVER_AP = b"ptlss ap traffic"


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """Make a fresh P-256 key (identity or ephemeral)."""
    return ec.generate_private_key(CURVE)


def private_key_to_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """Serialize a private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def private_key_from_pem(pem: str) -> ec.EllipticCurvePrivateKey:
    """Load a P-256 private key from PEM; refuse anything else."""
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as err:
        raise ValueError("not a PEM private key") from err
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != CURVE.name:
        raise ValueError("the private key is not a P-256 key")
    return key


def public_point(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """Return the 65-byte uncompressed point ``04 || X || Y``."""
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return pub.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_point_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """Return the public point as the cloud wants it: base64."""
    return base64.b64encode(public_point(key)).decode("ascii")


def load_public_point(point: bytes) -> ec.EllipticCurvePublicKey:
    """Load an uncompressed P-256 point; raise ProtocolError if it is not one."""
    if len(point) != POINT_SIZE or point[0] != 0x04:
        raise ProtocolError("public key is not an uncompressed P-256 point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, point)
    except ValueError as err:
        raise ProtocolError("public key is not a point on P-256") from err


def b64decode_strict(value: str) -> bytes:
    """Decode base64, raising ValueError (never binascii.Error) on bad input.

    White space is ignored: the vendor's examples send line-wrapped base64.
    """
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError, TypeError) as err:
        raise ValueError("not valid base64") from err


def ecdh_shared_secret(
    private: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey
) -> bytes:
    """Return the raw 32-byte X coordinate of the ECDH product."""
    return private.exchange(ec.ECDH(), peer)


@dataclass(frozen=True, slots=True)
class TrafficKeys:
    """AES-128 key and 12-byte IV for one direction."""

    key: bytes
    iv: bytes


def derive_traffic_keys(secret: bytes, label: bytes, digest: bytes) -> TrafficKeys:
    """HMAC-SHA256(secret, label || digest): bytes 0-15 key, 16-27 IV."""
    out = hmac.new(secret, label + digest, hashlib.sha256).digest()
    return TrafficKeys(out[:KEY_SIZE], out[KEY_SIZE : KEY_SIZE + IV_SIZE])


def nonce_for(iv: bytes, counter: int) -> bytes:
    """XOR the 16-bit message counter into the last two bytes of the IV."""
    if not 0 <= counter <= 0xFFFF:
        raise ValueError("record counter out of range")
    nonce = bytearray(iv)
    nonce[10] ^= counter >> 8
    nonce[11] ^= counter & 0xFF
    return bytes(nonce)


def sign_digest(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    """ECDSA-SHA256 (DER) over a message whose SHA-256 is ``digest``.

    RFC 6979 deterministic: no dependence on the RNG for the nonce, and the
    client-verify frames are reproducible against the known-answer vectors.
    """
    return key.sign(
        digest, ec.ECDSA(Prehashed(hashes.SHA256()), deterministic_signing=True)
    )


def verify_digest(
    key: ec.EllipticCurvePublicKey, signature: bytes, digest: bytes
) -> bool:
    """Check an ECDSA-SHA256 (DER) signature over a prehashed message."""
    try:
        key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError):
        return False
    return True
