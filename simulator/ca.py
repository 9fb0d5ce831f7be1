"""The simulated cloud's certificate authority and time signer.

Certificates are opaque to the integration; this format is the simulator's own:
``0x01 | device_id (4) | mobile_id (16) | not_after_ms (8) | mobile point (65) | DER sig``
where the signature (ECDSA-SHA256 by the CA) covers everything before it.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import struct
import uuid

from cryptography.hazmat.primitives.asymmetric import ec

from custom_components.tedee_bluetooth.tedee.crypto import (
    POINT_SIZE,
    generate_private_key,
    sign_digest,
    verify_digest,
)

CERT_VERSION = 1
_BODY = struct.Struct(">BI16sQ")
_BODY_SIZE = _BODY.size + POINT_SIZE


class CertificateInvalid(Exception):
    """A certificate the lock must refuse (reason in the message)."""


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What a verified certificate vouches for."""

    device_id: int
    mobile_id: str
    not_after_ms: int
    mobile_point: bytes


class CertificateAuthority:
    """Signs mobile certificates and time stamps; locks trust its public key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None) -> None:
        """Make (or take) the CA key."""
        self.key = key or generate_private_key()
        self.public_key = self.key.public_key()

    def issue(
        self, device_id: int, mobile_id: str, mobile_point: bytes, not_after_ms: int
    ) -> bytes:
        """Issue a certificate for ``mobile_point`` on lock ``device_id``."""
        body = (
            _BODY.pack(
                CERT_VERSION, device_id, uuid.UUID(mobile_id).bytes, not_after_ms
            )
            + mobile_point
        )
        return body + sign_digest(self.key, hashlib.sha256(body).digest())

    def sign_time(self, ms: int) -> tuple[bytes, bytes]:
        """A signed time: 8 bytes of ms since epoch and the CA's signature over them."""
        data = struct.pack(">Q", ms)
        return data, sign_digest(self.key, hashlib.sha256(data).digest())


def verify_certificate(
    ca_public: ec.EllipticCurvePublicKey, cert: bytes
) -> CertificateInfo:
    """Check the CA signature and decode; raise CertificateInvalid otherwise."""
    if len(cert) <= _BODY_SIZE:
        raise CertificateInvalid("certificate too short")
    body, signature = cert[:_BODY_SIZE], cert[_BODY_SIZE:]
    if not verify_digest(ca_public, signature, hashlib.sha256(body).digest()):
        raise CertificateInvalid("certificate not signed by the cloud")
    version, device_id, mobile, not_after = _BODY.unpack_from(body)
    if version != CERT_VERSION:
        raise CertificateInvalid("unknown certificate version")
    return CertificateInfo(
        device_id, str(uuid.UUID(bytes=mobile)), not_after, body[_BODY.size :]
    )


def verify_time(
    ca_public: ec.EllipticCurvePublicKey, data: bytes, sig: bytes
) -> int | None:
    """Return the signed ms if the cloud signed ``data``, else None."""
    if len(data) != 8 or not verify_digest(
        ca_public, sig, hashlib.sha256(data).digest()
    ):
        return None
    return int(struct.unpack(">Q", data)[0])
