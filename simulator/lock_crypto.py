"""The lock's cryptography, on ``cryptography`` directly (PROTOCOL.md section 4).

Independent of the client's ``tedee/crypto.py`` and ``tedee/record.py`` on purpose.
Signatures are RFC 6979 deterministic, so the lock reproduces the vectors' frames.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

P256 = ec.SECP256R1()
_ECDSA = ec.ECDSA(Prehashed(hashes.SHA256()), deterministic_signing=True)
_ECDSA_VERIFY = ec.ECDSA(Prehashed(hashes.SHA256()))


class BadFrame(Exception):
    """A sealed frame that did not authenticate, or a point that is not on P-256."""


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key."""
    return ec.generate_private_key(P256)


def key_from_scalar(hex_scalar: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key from a hex scalar (the vectors give keys this way)."""
    return ec.derive_private_key(int(hex_scalar, 16), P256)


def point_of(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The 65-byte uncompressed point."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def point_key(point: bytes) -> ec.EllipticCurvePublicKey:
    """Load an uncompressed P-256 point; BadFrame when it is not one."""
    if len(point) != 65 or point[0] != 4:
        raise BadFrame("not an uncompressed point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(P256, point)
    except ValueError as err:
        raise BadFrame("not a point on P-256") from err


def sign(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    """ECDSA over a prehashed SHA-256 digest, DER."""
    return key.sign(digest, _ECDSA)


def verify(key: ec.EllipticCurvePublicKey, signature: bytes, digest: bytes) -> bool:
    """Check ECDSA over a prehashed digest."""
    try:
        key.verify(signature, digest, _ECDSA_VERIFY)
    except (InvalidSignature, ValueError):
        return False
    return True


def shared_secret(
    key: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey
) -> bytes:
    """ECDH: the raw X coordinate."""
    return key.exchange(ec.ECDH(), peer)


def traffic(secret: bytes, label: str, digest: bytes) -> tuple[bytes, bytes]:
    """(key, iv) = HMAC-SHA256(secret, label || digest)[0:16], [16:28]."""
    out = hmac.new(secret, label.encode("ascii") + digest, hashlib.sha256).digest()
    return out[:16], out[16:28]


class Direction:
    """One direction of records: AES-128-GCM, empty AAD, a 16-bit counter."""

    def __init__(self, key_iv: tuple[bytes, bytes]) -> None:
        """Counter 0 for every new key."""
        self._aead = AESGCM(key_iv[0])
        self._iv = key_iv[1]
        self.counter = 0

    def nonce(self, n: int) -> bytes:
        """IV with n XORed into its last two bytes."""
        tail = struct.unpack(">H", self._iv[10:])[0] ^ n
        return self._iv[:10] + struct.pack(">H", tail)

    def seal(self, plain: bytes) -> bytes:
        """Encrypt under the next counter."""
        if self.counter > 0xFFFF:
            raise BadFrame("counter exhausted")
        sealed = self._aead.encrypt(self.nonce(self.counter), plain, None)
        self.counter += 1
        return sealed

    def open(self, sealed: bytes) -> bytes:
        """Decrypt under the next counter; BadFrame when it does not authenticate."""
        if len(sealed) < 16 or self.counter > 0xFFFF:
            raise BadFrame("frame too short or counter exhausted")
        try:
            plain = self._aead.decrypt(self.nonce(self.counter), sealed, None)
        except InvalidTag as err:
            raise BadFrame("authentication failed") from err
        self.counter += 1
        return plain


def key_to_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """Unencrypted PKCS#8 PEM (the demo's git-ignored state file)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def key_from_pem(pem: str) -> ec.EllipticCurvePrivateKey:
    """Load a P-256 key written by key_to_pem."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("not an EC private key")
    return key
