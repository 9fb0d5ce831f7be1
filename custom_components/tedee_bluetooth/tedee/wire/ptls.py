"""PTLS client as a pure, synchronous state machine (PROTOCOL.md sections 4 and 5).

In the style of h11: it never touches a socket, a clock or an event loop. The caller
feeds it the frames it received and writes out the frames it returns. Every failure
is a typed exception and leaves the machine FAILED; only ``start()`` begins anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto
import hashlib
import os
import struct

from cryptography.hazmat.primitives.asymmetric import ec

from ..errors import (
    AlertError,
    HandshakeError,
    IntegrityError,
    NotConnectedError,
    NotOurLockError,
    ProtocolError,
    TedeeError,
)
from .const import (
    ATT_HEADER_SIZE,
    MAX_PTLS_MTU,
    MAX_RECORD_COUNTER,
    PTLS_RX_CHAR_UUID,
    PTLS_VERSION,
    AlertCode,
    Header,
)
from .crypto import (
    LABEL_CLIENT_AP,
    LABEL_CLIENT_HS,
    LABEL_SERVER_AP,
    LABEL_SERVER_HS,
    POINT_SIZE,
    derive_traffic_keys,
    ecdh_shared_secret,
    generate_private_key,
    load_public_point,
    public_point,
    sign_digest,
    verify_digest,
)
from .record import REKEY_MARGIN, DuplicateFrameError, ReceiveWindow, RecordCipher

CLIENT_HELLO_SIZE = 152
SERVER_HELLO_SIZE = 100
RANDOM_SIZE = 32
CACHE_SIZE = 52
AUTH_DATA_SIZE = 8
HASH_SIZE = 32
MIN_PEER_MTU = 20


class State(Enum):
    """Where the client is in the handshake."""

    IDLE = auto()
    WAIT_SERVER_HELLO = auto()
    WAIT_SERVER_VERIFY = auto()
    WAIT_INITIALIZED = auto()
    ESTABLISHED = auto()
    FAILED = auto()


@dataclass(frozen=True, slots=True)
class Write:
    """A frame to write to a characteristic."""

    char_uuid: str
    data: bytes
    response: bool


@dataclass(frozen=True, slots=True)
class Plaintext:
    """An opened API/Notifications frame: payload, whether sealed, and its counter."""

    payload: bytes
    encrypted: bool
    counter: int | None = None


def pack_len16(value: bytes) -> bytes:
    """Prefix a field with its 2-byte big-endian length."""
    if len(value) > 0xFFFF:
        raise ValueError("field too long for a 16-bit length")
    return struct.pack(">H", len(value)) + value


def unpack_len16_fields(data: bytes, count: int) -> list[bytes]:
    """Split ``count`` length-prefixed fields that must fill ``data`` exactly."""
    fields: list[bytes] = []
    pos = 0
    for _ in range(count):
        if pos + 2 > len(data):
            raise ProtocolError("truncated length-prefixed field")
        (length,) = struct.unpack_from(">H", data, pos)
        pos += 2
        if pos + length > len(data):
            raise ProtocolError("length-prefixed field runs past the message")
        fields.append(bytes(data[pos : pos + length]))
        pos += length
    if pos != len(data):
        raise ProtocolError("trailing bytes after the last field")
    return fields


def ptls_mtu_for(att_mtu: int) -> int:
    """The mtu byte of our hello: the largest write payload, ATT MTU - 3, at most 255."""
    return max(MIN_PEER_MTU, min(att_mtu - ATT_HEADER_SIZE, MAX_PTLS_MTU))


def fragment(sealed: bytes, part_size: int) -> list[bytes]:
    """Cut a sealed client verify into 0x06 parts and one final 0x07 part."""
    if part_size < 1:
        raise ValueError("part size must be positive")
    chunks = [sealed[i : i + part_size] for i in range(0, len(sealed), part_size)]
    frames = [bytes([Header.PTLS_CLIENT_VERIFY_I]) + c for c in chunks[:-1]]
    frames.append(bytes([Header.PTLS_CLIENT_VERIFY_II]) + chunks[-1])
    return frames


class PTLSClient:
    """The client side of one PTLS session with one lock."""

    def __init__(
        self,
        *,
        identity_key: ec.EllipticCurvePrivateKey,
        certificate: bytes,
        device_public_key: bytes,
        att_mtu: int,
    ) -> None:
        """Hold our identity, our certificate and the lock key the cloud vouches for."""
        self._identity = identity_key
        self._certificate = certificate
        self._device_key = load_public_point(device_public_key)
        self.mtu = ptls_mtu_for(att_mtu)
        self.state = State.IDLE
        self.session_id: bytes | None = None
        self.peer_mtu: int | None = None
        self._reset()

    def _reset(self) -> None:
        self._transcript = hashlib.sha256()
        self._ephemeral: ec.EllipticCurvePrivateKey | None = None
        self._secret = b""
        self._hello_hash = b""
        self._auth_data = b""
        self._tx: RecordCipher | None = None
        self._rx: ReceiveWindow | None = None
        self.session_id = None
        self.peer_mtu = None
        self._last_frame = b""

    # -- handshake -------------------------------------------------------------

    def start(
        self,
        now_ms: int,
        *,
        att_mtu: int | None = None,
        random: bytes | None = None,
        ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
    ) -> list[Write]:
        """Begin a new handshake (from any state) and return the client hello.

        ``now_ms`` becomes the auth data of the server verify request; ``att_mtu``
        is the link's negotiated ATT MTU when it changed since construction.
        ``random`` and ``ephemeral_key`` exist for known-answer tests.
        """
        if not 0 <= now_ms < 1 << 64:
            raise ValueError("now_ms out of range")
        if att_mtu is not None:
            self.mtu = ptls_mtu_for(att_mtu)
        self._reset()
        self._ephemeral = ephemeral_key or generate_private_key()
        rnd = random if random is not None else os.urandom(RANDOM_SIZE)
        if len(rnd) != RANDOM_SIZE:
            raise ValueError("random must be 32 bytes")
        self._auth_data = struct.pack(">Q", now_ms)
        body = (
            bytes([PTLS_VERSION, self.mtu, 0x00])
            + rnd
            + public_point(self._ephemeral)
            + bytes(CACHE_SIZE)
        )
        self._transcript.update(body)
        self.state = State.WAIT_SERVER_HELLO
        return [Write(PTLS_RX_CHAR_UUID, bytes([Header.PTLS_HELLO]) + body, True)]

    def receive_ptls(self, frame: bytes) -> list[Write]:
        """Handle a frame from PTLS TX; return what to write next.

        Raises AlertError, NotOurLockError, HandshakeError, IntegrityError or
        ProtocolError; after any of them the machine is FAILED.
        """
        try:
            return self._receive_ptls(bytes(frame))
        except TedeeError:
            self.state = State.FAILED
            raise

    def _receive_ptls(self, frame: bytes) -> list[Write]:
        if not frame:
            raise ProtocolError("empty PTLS frame")
        if frame == self._last_frame:
            return []  # the radio delivered it twice: nothing new in it
        self._last_frame = frame
        # Only the low nibble is the header, as in the vendor's own clients.
        header, body = frame[0] & 0x0F, frame[1:]
        if header == Header.PTLS_ALERT:
            if not body:
                raise ProtocolError("PTLS alert without a code")
            if body[0] == AlertCode.OK and self.state is State.ESTABLISHED:
                return []  # "all is well" during a session: nothing to do
            # The first byte; any more are ignored.
            raise AlertError(
                body[0], refused_time=self.state is State.WAIT_SERVER_VERIFY
            )
        if self.state is State.WAIT_SERVER_HELLO and header == Header.PTLS_HELLO:
            return self._on_server_hello(body)
        if (
            self.state is State.WAIT_SERVER_VERIFY
            and header == Header.PTLS_SERVER_VERIFY
        ):
            return self._on_server_verify(body)
        if self.state is State.WAIT_INITIALIZED and header == Header.PTLS_INITIALIZED:
            return self._on_initialized(body)
        raise ProtocolError(
            f"unexpected PTLS frame 0x{header:02x} in state {self.state.name}"
        )

    def _on_server_hello(self, body: bytes) -> list[Write]:
        if len(body) != SERVER_HELLO_SIZE:
            raise ProtocolError(f"server hello is {len(body)} bytes, not 100")
        if body[0] != PTLS_VERSION:
            raise HandshakeError(f"unsupported PTLS version 0x{body[0]:02x}")
        if body[1] < MIN_PEER_MTU:
            raise ProtocolError(f"lock announced an MTU of {body[1]}")
        self.peer_mtu = body[1]
        peer_point = body[3 + RANDOM_SIZE : 3 + RANDOM_SIZE + POINT_SIZE]
        peer_key = load_public_point(peer_point)
        assert self._ephemeral is not None
        self._secret = ecdh_shared_secret(self._ephemeral, peer_key)
        self._ephemeral = None
        self._transcript.update(body)
        self._hello_hash = self._transcript.digest()
        # The request's 8 bytes are not hashed here: they enter the transcript only
        # inside the server-verify plaintext (PROTOCOL.md section 4, "Transcript").
        self.state = State.WAIT_SERVER_VERIFY
        return [
            Write(
                PTLS_RX_CHAR_UUID,
                bytes([Header.PTLS_SERVER_VERIFY]) + self._auth_data,
                True,
            )
        ]

    def _on_server_verify(self, body: bytes) -> list[Write]:
        server_hs = RecordCipher(
            derive_traffic_keys(self._secret, LABEL_SERVER_HS, self._hello_hash)
        )
        try:
            plain = server_hs.open(body)
        except IntegrityError as err:
            raise NotOurLockError(
                "server verify failed authentication: the lock does not share our keys"
            ) from err
        auth_data, signature, hello_hash = unpack_len16_fields(plain, 3)
        if auth_data != self._auth_data:
            raise HandshakeError("lock answered with different auth data")
        if hello_hash != self._hello_hash:
            raise HandshakeError("lock's hello hash differs from ours")
        signed = self._transcript.copy()  # hellos || len16(auth) || auth
        signed.update(pack_len16(auth_data))
        if not verify_digest(self._device_key, signature, signed.digest()):
            raise NotOurLockError(
                "the lock's signature does not match the certificate's device key: "
                "not our lock"
            )
        self._transcript.update(plain)
        return self._client_verify()

    def _client_verify(self) -> list[Write]:
        verify_hash = self._transcript.digest()
        signed = (
            self._transcript.copy()
        )  # hellos || server verify || len16(cert) || cert
        signed.update(pack_len16(self._certificate))
        signature = sign_digest(self._identity, signed.digest())
        plain = (
            pack_len16(self._certificate)
            + pack_len16(signature)
            + pack_len16(verify_hash)
        )
        self._transcript.update(plain)
        final_hash = self._transcript.digest()
        client_hs = RecordCipher(
            derive_traffic_keys(self._secret, LABEL_CLIENT_HS, self._hello_hash)
        )
        sealed = client_hs.seal(plain)
        self._tx = RecordCipher(
            derive_traffic_keys(self._secret, LABEL_CLIENT_AP, final_hash)
        )
        self._rx = ReceiveWindow(
            derive_traffic_keys(self._secret, LABEL_SERVER_AP, final_hash)
        )
        self._secret = b""
        assert self.peer_mtu is not None
        part_size = min(self.peer_mtu, self.mtu) - 1
        self.state = State.WAIT_INITIALIZED
        return [Write(PTLS_RX_CHAR_UUID, f, False) for f in fragment(sealed, part_size)]

    def _on_initialized(self, body: bytes) -> list[Write]:
        # 4 bytes documented, but never used: accept any length, 0 included.
        self.session_id = body
        self.state = State.ESTABLISHED
        return []

    # -- record layer ------------------------------------------------------------

    def waiting_for_the_lock(self) -> bool:
        """Our hello is out; the lock's hello or server verify has not come."""
        return self.state in (State.WAIT_SERVER_HELLO, State.WAIT_SERVER_VERIFY)

    @property
    def established(self) -> bool:
        """True once the lock sent INITIALIZED and nothing failed since."""
        return self.state is State.ESTABLISHED

    def seal(self, payload: bytes) -> bytes:
        """Encrypt a command into the API-commands frame ``0x01 | sealed``."""
        if self.state is not State.ESTABLISHED or self._tx is None:
            raise NotConnectedError("no established PTLS session")
        try:
            return bytes([Header.DATA_ENCRYPTED]) + self._tx.seal(payload)
        except TedeeError:
            self.state = State.FAILED
            raise

    def open(self, frame: bytes) -> Plaintext:
        """Open a frame from API commands or Notifications, in arrival order.

        Encrypted frames go through the lock's one sending counter; a failure kills
        the session. An unencrypted frame is returned marked as such: which ones to
        believe (only the signed-time answers) is the caller's decision.
        """
        frame = bytes(frame)
        if not frame:
            raise ProtocolError("empty frame")
        kind = frame[0] & 0x0F
        body = frame[1:]
        if kind == Header.DATA_NOT_ENCRYPTED:
            if not body:
                raise ProtocolError("empty unencrypted frame")
            return Plaintext(body, False)
        if kind != Header.DATA_ENCRYPTED:
            raise ProtocolError(f"unknown data frame header 0x{frame[0]:02x}")
        if self.state is not State.ESTABLISHED or self._rx is None:
            raise ProtocolError("encrypted frame without an established session")
        try:
            counter, plain = self._rx.open(body)
        except DuplicateFrameError:
            raise  # harmless: the copy is dropped, the session goes on
        except TedeeError:
            self.state = State.FAILED
            self._tx = self._rx = None
            raise
        return Plaintext(plain, True, counter)

    @property
    def needs_rekey(self) -> bool:
        """A counter nears its end: make a new session before it could wrap."""
        tx, rx = self._tx, self._rx
        return (tx is not None and tx.counter >= MAX_RECORD_COUNTER - REKEY_MARGIN) or (
            rx is not None and rx.needs_rekey
        )

    def fail(self) -> None:
        """Forget the session (link dropped or the caller gave up)."""
        self.state = State.FAILED
        self._tx = self._rx = None
        self._secret = b""
