"""The lock's side of PTLS as a pure state machine, mirroring the client.

Every refusal is a ServerAlert carrying the alert code a real lock sends.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto
import hashlib
import os

from cryptography.hazmat.primitives.asymmetric import ec

from custom_components.tedee_bluetooth.tedee.const import (
    PTLS_VERSION,
    AlertCode,
    Header,
)
from custom_components.tedee_bluetooth.tedee.crypto import (
    LABEL_CLIENT_AP,
    LABEL_CLIENT_HS,
    LABEL_SERVER_AP,
    LABEL_SERVER_HS,
    derive_traffic_keys,
    ecdh_shared_secret,
    generate_private_key,
    load_public_point,
    public_point,
    sign_digest,
    verify_digest,
)
from custom_components.tedee_bluetooth.tedee.errors import ProtocolError, TedeeError
from custom_components.tedee_bluetooth.tedee.ptls import (
    CLIENT_HELLO_SIZE,
    HASH_SIZE,
    pack_len16,
    unpack_len16_fields,
)
from custom_components.tedee_bluetooth.tedee.record import RecordCipher

MAX_CLIENT_VERIFY = 1024

# Checks the certificate and returns the mobile's public point; raises ServerAlert.
CertificateCheck = Callable[[bytes], bytes]


class ServerAlert(Exception):
    """The lock refuses: send this alert code and forget the attempt."""

    def __init__(self, code: AlertCode, reason: str) -> None:
        """Keep the code and why (for simulator logs and tests)."""
        self.code = code
        super().__init__(f"{code.name}: {reason}")


class ServerState(Enum):
    """Where the lock is in the handshake."""

    WAIT_HELLO = auto()
    WAIT_VERIFY_REQUEST = auto()
    WAIT_CLIENT_VERIFY = auto()
    ESTABLISHED = auto()


class PTLSServer:
    """One handshake/session on the lock side."""

    def __init__(
        self,
        identity_key: ec.EllipticCurvePrivateKey,
        mtu: int,
        check: CertificateCheck,
    ) -> None:
        """The lock's long-term key, the mtu it announces, its certificate check."""
        self._identity = identity_key
        self.mtu = mtu
        self._check = check
        self.state = ServerState.WAIT_HELLO
        self.session_id = b""
        self.client_mtu = 0
        self.mobile_point = b""
        self._reset()

    def _reset(self) -> None:
        self.state = ServerState.WAIT_HELLO
        self._transcript = hashlib.sha256()
        self._secret = b""
        self._hello_hash = b""
        self._parts = bytearray()
        self.tx: RecordCipher | None = None
        self.rx: RecordCipher | None = None

    def receive(self, frame: bytes) -> list[bytes]:
        """Handle a PTLS RX frame; return PTLS TX frames. Raises ServerAlert."""
        if not frame:
            raise ServerAlert(AlertCode.ERROR, "empty frame")
        header, body = frame[0], bytes(frame[1:])
        try:
            if header == Header.PTLS_HELLO:
                self._reset()  # a hello always starts a new handshake
                return self._on_hello(body)
            if (
                self.state is ServerState.WAIT_VERIFY_REQUEST
                and header == Header.PTLS_SERVER_VERIFY
            ):
                return self._on_verify_request(body)
            if self.state is ServerState.WAIT_CLIENT_VERIFY and header in (
                Header.PTLS_CLIENT_VERIFY_I,
                Header.PTLS_CLIENT_VERIFY_II,
            ):
                self._parts += body
                if len(self._parts) > MAX_CLIENT_VERIFY:
                    raise ServerAlert(AlertCode.ERROR, "client verify too long")
                if header == Header.PTLS_CLIENT_VERIFY_I:
                    return []
                return self._on_client_verify(bytes(self._parts))
        except ServerAlert:
            self._reset()
            raise
        except TedeeError as err:
            self._reset()
            raise ServerAlert(AlertCode.ERROR, str(err)) from err
        self._reset()
        raise ServerAlert(AlertCode.ERROR, f"unexpected frame 0x{header:02x}")

    def _on_hello(self, body: bytes) -> list[bytes]:
        if len(body) != CLIENT_HELLO_SIZE:
            raise ServerAlert(AlertCode.ERROR, "client hello has the wrong size")
        if body[0] != PTLS_VERSION:
            raise ServerAlert(AlertCode.ERROR, "unsupported version")
        self.client_mtu = body[1]
        peer = load_public_point(body[35:100])
        ephemeral = generate_private_key()
        self._secret = ecdh_shared_secret(ephemeral, peer)
        reply = (
            bytes([PTLS_VERSION, self.mtu, 0])
            + os.urandom(32)
            + public_point(ephemeral)
        )
        self._transcript.update(body)
        self._transcript.update(reply)
        self._hello_hash = self._transcript.digest()
        self.state = ServerState.WAIT_VERIFY_REQUEST
        return [bytes([Header.PTLS_HELLO]) + reply]

    def _on_verify_request(self, auth: bytes) -> list[bytes]:
        if len(auth) != 8:
            raise ServerAlert(AlertCode.ERROR, "auth data must be 8 bytes")
        self._transcript.update(auth)
        signed = self._transcript.copy()
        signed.update(pack_len16(auth))
        signature = sign_digest(self._identity, signed.digest())
        plain = pack_len16(auth) + pack_len16(signature) + pack_len16(self._hello_hash)
        sealed = RecordCipher(
            derive_traffic_keys(self._secret, LABEL_SERVER_HS, self._hello_hash)
        ).seal(plain)
        self._transcript.update(plain)
        self.state = ServerState.WAIT_CLIENT_VERIFY
        return [bytes([Header.PTLS_SERVER_VERIFY]) + sealed]

    def _on_client_verify(self, sealed: bytes) -> list[bytes]:
        plain = RecordCipher(
            derive_traffic_keys(self._secret, LABEL_CLIENT_HS, self._hello_hash)
        ).open(sealed)  # IntegrityError -> alert ERROR (wrong transcript or keys)
        try:
            cert, signature, verify_hash = unpack_len16_fields(plain, 3)
        except ProtocolError as err:
            raise ServerAlert(AlertCode.ERROR, str(err)) from err
        if len(verify_hash) != HASH_SIZE or verify_hash != self._transcript.digest():
            raise ServerAlert(AlertCode.ERROR, "transcript mismatch")
        mobile_point = self._check(cert)
        signed = self._transcript.copy()
        signed.update(pack_len16(cert))
        try:
            mobile_key = load_public_point(mobile_point)
        except ProtocolError as err:
            raise ServerAlert(AlertCode.INVALID_CERT, "bad key in certificate") from err
        if not verify_digest(mobile_key, signature, signed.digest()):
            raise ServerAlert(
                AlertCode.INVALID_CERT, "client signature does not verify"
            )
        self._transcript.update(plain)
        final_hash = self._transcript.digest()
        self.rx = RecordCipher(
            derive_traffic_keys(self._secret, LABEL_CLIENT_AP, final_hash)
        )
        self.tx = RecordCipher(
            derive_traffic_keys(self._secret, LABEL_SERVER_AP, final_hash)
        )
        self._secret = b""
        self.mobile_point = mobile_point
        self.session_id = os.urandom(4)
        self.state = ServerState.ESTABLISHED
        return [bytes([Header.PTLS_INITIALIZED]) + self.session_id]
