"""The simulated cloud's certificate authority and time signer.

Certificates are opaque to the integration. This layout is the simulator's own and
the one the known-answer vectors use:
``len16(body) || DER ECDSA-SHA256 signature by the CA over body``, where
``body = device_id u32 || expires_ms u64 || len16(mobile point) || mobile point``,
optionally followed by ``user_id u32``: the account the lock logs as USER_ID for
this mobile (a lock is offline, so who a mobile is can only come with its
certificate). The vectors' certificates carry no user id.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric import ec

from .lock_crypto import new_key, sign, verify


class CertificateInvalid(Exception):
    """A certificate the lock must refuse (reason in the message)."""


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What a verified certificate vouches for."""

    device_id: int
    not_after_ms: int
    mobile_point: bytes
    user_id: int = 0  # 0: the certificate does not say


class CertificateAuthority:
    """Signs mobile certificates and time stamps; locks trust its public key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None) -> None:
        """Make (or take) the CA key."""
        self.key = key or new_key()
        self.public_key = self.key.public_key()

    def issue(
        self, device_id: int, mobile_point: bytes, not_after_ms: int, user_id: int = 0
    ) -> bytes:
        """Issue a certificate for ``mobile_point`` on lock ``device_id``."""
        body = (
            struct.pack(">IQH", device_id, not_after_ms, len(mobile_point))
            + mobile_point
            + (struct.pack(">I", user_id) if user_id else b"")
        )
        signature = sign(self.key, hashlib.sha256(body).digest())
        return struct.pack(">H", len(body)) + body + signature

    def sign_time(self, ms: int) -> tuple[bytes, bytes]:
        """A signed time: 8 bytes of ms since epoch and the CA's signature over them."""
        data = struct.pack(">Q", ms)
        return data, sign(self.key, hashlib.sha256(data).digest())


def verify_certificate(
    ca_public: ec.EllipticCurvePublicKey, cert: bytes
) -> CertificateInfo:
    """Check the CA signature and decode; raise CertificateInvalid otherwise."""
    if len(cert) < 2:
        raise CertificateInvalid("certificate too short")
    (size,) = struct.unpack_from(">H", cert)
    body, signature = cert[2 : 2 + size], cert[2 + size :]
    if len(body) != size or size < 14 or not signature:
        raise CertificateInvalid("certificate truncated")
    if not verify(ca_public, signature, hashlib.sha256(body).digest()):
        raise CertificateInvalid("certificate not signed by the cloud")
    device_id, not_after, point_size = struct.unpack_from(">IQH", body)
    point, rest = body[14 : 14 + point_size], body[14 + point_size :]
    if len(point) != point_size or len(rest) not in (0, 4):
        raise CertificateInvalid("certificate key has the wrong length")
    user_id = int(struct.unpack(">I", rest)[0]) if rest else 0
    return CertificateInfo(device_id, not_after, point, user_id)


def verify_time(
    ca_public: ec.EllipticCurvePublicKey, data: bytes, sig: bytes
) -> int | None:
    """Return the signed ms if the cloud signed ``data``, else None."""
    if len(data) != 8 or not verify(ca_public, sig, hashlib.sha256(data).digest()):
        return None
    return int(struct.unpack(">Q", data)[0])
