"""The lock's side of PTLS, written from PROTOCOL.md section 4 (not from the client).

A pure machine: PTLS RX frames in, PTLS TX frames out. It is as strict as a lock:
every refusal is a ServerAlert with the code a real lock would send.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto
import hashlib
import os
import struct

from cryptography.hazmat.primitives.asymmetric import ec

from .lock_crypto import (
    BadFrame,
    Direction,
    new_key,
    point_key,
    point_of,
    shared_secret,
    sign,
    traffic,
    verify,
)
from .wire import Alert, Frame

HELLO_BODY = 152
MAX_CLIENT_VERIFY = 1024
AUTH_SKEW_S = 300.0  # the auth data must be "now" within minutes

# Checks the certificate and returns the mobile's public point; raises ServerAlert.
CertificateCheck = Callable[[bytes], bytes]


class ServerAlert(Exception):
    """The lock refuses: send this alert code and forget the attempt."""

    def __init__(self, code: Alert, reason: str) -> None:
        """Keep the code and why (for simulator logs and tests)."""
        self.code = code
        super().__init__(f"{code.name}: {reason}")


class ServerState(Enum):
    """Where the lock is in the handshake."""

    WAIT_HELLO = auto()
    WAIT_VERIFY_REQUEST = auto()
    WAIT_CLIENT_VERIFY = auto()
    ESTABLISHED = auto()


def _len16(value: bytes) -> bytes:
    return struct.pack(">H", len(value)) + value


def _fields(data: bytes, count: int) -> list[bytes]:
    """``count`` len16 fields filling ``data`` exactly, or a refusal."""
    out: list[bytes] = []
    pos = 0
    for _ in range(count):
        if pos + 2 > len(data):
            raise ServerAlert(Alert.ERROR, "truncated field")
        (size,) = struct.unpack_from(">H", data, pos)
        out.append(data[pos + 2 : pos + 2 + size])
        pos += 2 + size
        if pos > len(data):
            raise ServerAlert(Alert.ERROR, "field runs past the message")
    if pos != len(data):
        raise ServerAlert(Alert.ERROR, "trailing bytes")
    return out


class PTLSServer:
    """One handshake and session on the lock side."""

    def __init__(
        self,
        identity_key: ec.EllipticCurvePrivateKey,
        mtu: int,
        check: CertificateCheck,
        *,
        clock: Callable[[], float],
        new_ephemeral: Callable[[], ec.EllipticCurvePrivateKey] = new_key,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        """Long-term key, announced mtu, certificate check, clock and entropy."""
        self._identity = identity_key
        self.mtu = mtu
        self._check = check
        self._clock = clock
        self._new_ephemeral = new_ephemeral
        self._random = random_bytes
        self.session_id = b""
        self.client_mtu = 0
        self.mobile_point = b""
        self._reset()

    def _reset(self) -> None:
        self.state = ServerState.WAIT_HELLO
        self._transcript = hashlib.sha256()
        self._hellos = b""
        self._secret = b""
        self._hello_hash = b""
        self._parts = bytearray()
        self.tx: Direction | None = None
        self.rx: Direction | None = None

    def receive(self, frame: bytes) -> list[bytes]:
        """Handle a PTLS RX frame; return PTLS TX frames. Raises ServerAlert."""
        try:
            return self._receive(bytes(frame))
        except ServerAlert:
            self._reset()
            raise

    def _receive(self, frame: bytes) -> list[bytes]:
        if not frame:
            raise ServerAlert(Alert.ERROR, "empty frame")
        header, body = frame[0], frame[1:]
        if header == Frame.HELLO:
            self._reset()  # a hello always starts over, even in a live session
            return self._on_hello(body)
        if self.state is ServerState.WAIT_VERIFY_REQUEST and (
            header == Frame.SERVER_VERIFY
        ):
            return self._on_verify_request(body)
        if self.state is ServerState.WAIT_CLIENT_VERIFY and header in (
            Frame.CLIENT_VERIFY_MORE,
            Frame.CLIENT_VERIFY_LAST,
        ):
            if len(frame) > self.mtu:
                raise ServerAlert(Alert.ERROR, "client verify part exceeds our mtu")
            self._parts += body
            if len(self._parts) > MAX_CLIENT_VERIFY:
                raise ServerAlert(Alert.ERROR, "client verify too long")
            if header == Frame.CLIENT_VERIFY_MORE:
                return []
            return self._on_client_verify(bytes(self._parts))
        raise ServerAlert(Alert.ERROR, f"unexpected frame 0x{header:02x}")

    def _on_hello(self, body: bytes) -> list[bytes]:
        if len(body) != HELLO_BODY:
            raise ServerAlert(Alert.ERROR, "client hello has the wrong size")
        if body[0] != 0x02:
            raise ServerAlert(Alert.ERROR, "unsupported version")
        if body[2] != 0x00:
            raise ServerAlert(Alert.ERROR, "reserved hello byte is not zero")
        if any(body[100:]):
            raise ServerAlert(Alert.ERROR, "hello cache bytes are not zero")
        self.client_mtu = body[1]  # any value, 0 included: never relied on
        try:
            peer = point_key(body[35:100])
        except BadFrame as err:
            raise ServerAlert(Alert.ERROR, str(err)) from err
        ephemeral = self._new_ephemeral()
        self._secret = shared_secret(ephemeral, peer)
        reply = bytes([0x02, self.mtu, 0x00]) + self._random(32) + point_of(ephemeral)
        self._hellos = body + reply
        self._transcript.update(self._hellos)
        self._hello_hash = self._transcript.digest()
        self.state = ServerState.WAIT_VERIFY_REQUEST
        return [bytes([Frame.HELLO]) + reply]

    def _on_verify_request(self, auth: bytes) -> list[bytes]:
        if len(auth) != 8:
            raise ServerAlert(Alert.ERROR, "auth data must be 8 bytes")
        sent_ms = struct.unpack(">Q", auth)[0]
        if abs(sent_ms / 1000 - self._clock()) > AUTH_SKEW_S:
            raise ServerAlert(Alert.ERROR, "auth data is not the current time")
        signed = hashlib.sha256(self._hellos + _len16(auth)).digest()
        plain = (
            _len16(auth)
            + _len16(sign(self._identity, signed))
            + _len16(self._hello_hash)
        )
        key = traffic(self._secret, "ptlss hs traffic", self._hello_hash)
        sealed = Direction(key).seal(plain)
        self._transcript.update(plain)
        self.state = ServerState.WAIT_CLIENT_VERIFY
        return [bytes([Frame.SERVER_VERIFY]) + sealed]

    def _on_client_verify(self, sealed: bytes) -> list[bytes]:
        key = traffic(self._secret, "ptlsc hs traffic", self._hello_hash)
        try:
            plain = Direction(key).open(sealed)
        except BadFrame as err:
            raise ServerAlert(Alert.ERROR, "client verify: " + str(err)) from err
        cert, signature, verify_hash = _fields(plain, 3)
        if verify_hash != self._transcript.digest():
            raise ServerAlert(Alert.ERROR, "transcript mismatch")
        mobile_point = self._check(cert)
        signed = self._transcript.copy()
        signed.update(_len16(cert))
        try:
            mobile_key = point_key(mobile_point)
        except BadFrame as err:
            raise ServerAlert(Alert.INVALID_CERT, "bad key in certificate") from err
        if not verify(mobile_key, signature, signed.digest()):
            raise ServerAlert(Alert.INVALID_CERT, "client signature does not verify")
        self._transcript.update(plain)
        final_hash = self._transcript.digest()
        self.rx = Direction(traffic(self._secret, "ptlsc ap traffic", final_hash))
        self.tx = Direction(traffic(self._secret, "ptlss ap traffic", final_hash))
        self._secret = b""
        self.mobile_point = mobile_point
        self.session_id = self._random(4)
        self.state = ServerState.ESTABLISHED
        return [bytes([Frame.INITIALIZED]) + self.session_id]

    def fail(self) -> None:
        """Forget the session (after an alert or a forged frame)."""
        self._reset()
