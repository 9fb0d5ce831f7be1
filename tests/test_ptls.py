"""The sans-I/O PTLS client against the simulator's server machine, frame by frame."""

from __future__ import annotations

import base64
import time

import pytest

from custom_components.tedee_bluetooth.tedee.errors import (
    AlertError,
    HandshakeError,
    IntegrityError,
    NotConnectedError,
    NotOurLockError,
    ProtocolError,
    SessionExhaustedError,
)
from custom_components.tedee_bluetooth.tedee.wire.const import AlertCode, Header
from custom_components.tedee_bluetooth.tedee.wire.crypto import (
    generate_private_key,
    private_key_from_pem,
    public_point,
)
from custom_components.tedee_bluetooth.tedee.wire.ptls import (
    PTLSClient,
    State,
    fragment,
    ptls_mtu_for,
    unpack_len16_fields,
)
from simulator.ca import CertificateAuthority
from simulator.ptls_server import PTLSServer, ServerAlert, ServerState

from .world import World

NOW_MS = 1_700_000_000_000


def make_pair(
    world: World, att_mtu: int = 247, lock_key: object | None = None
) -> tuple[PTLSClient, PTLSServer]:
    identity = private_key_from_pem(world.creds.private_key_pem)
    client = PTLSClient(
        identity_key=identity,
        certificate=base64.b64decode(world.creds.certificate),
        device_public_key=base64.b64decode(world.creds.device_public_key),
        att_mtu=att_mtu,
    )
    server = PTLSServer(
        lock_key or world.lock.identity_key,  # type: ignore[arg-type]
        min(att_mtu - 3, 255),
        world.lock.check_certificate,
        clock=lambda: NOW_MS / 1000,
    )
    return client, server


def run_handshake(client: PTLSClient, server: PTLSServer) -> list[bytes]:
    """Drive both machines to the end; return every frame the client wrote."""
    written: list[bytes] = []
    pending = [w.data for w in client.start(NOW_MS)]
    while pending:
        frame = pending.pop(0)
        written.append(frame)
        for reply in server.receive(frame):
            pending.extend(w.data for w in client.receive_ptls(reply))
    return written


@pytest.mark.parametrize(
    ("att_mtu", "min_parts"), [(104, 3), (185, 2), (247, 2), (517, 1)]
)
def test_handshake_at_every_mtu(world: World, att_mtu: int, min_parts: int) -> None:
    client, server = make_pair(world, att_mtu)
    written = run_handshake(client, server)
    assert client.state is State.ESTABLISHED
    assert server.state is ServerState.ESTABLISHED
    assert client.session_id == server.session_id
    parts = [
        f
        for f in written
        if f[0] in (Header.PTLS_CLIENT_VERIFY_I, Header.PTLS_CLIENT_VERIFY_II)
    ]
    assert len(parts) >= min_parts
    assert parts[-1][0] == Header.PTLS_CLIENT_VERIFY_II
    assert all(p[0] == Header.PTLS_CLIENT_VERIFY_I for p in parts[:-1])
    assert all(len(p) <= ptls_mtu_for(att_mtu) for p in parts)
    # Application keys work both ways and counters advance independently.
    assert server.rx is not None
    assert server.tx is not None
    sealed = client.seal(b"\x5a")
    assert server.rx.open(sealed[1:]) == b"\x5a"
    opened = client.open(bytes([0x71]) + server.tx.seal(b"\x5a\x00\x06\x00"))
    assert opened.payload == b"\x5a\x00\x06\x00"
    assert opened.encrypted


def test_client_hello_layout(world: World) -> None:
    client, _ = make_pair(world, 104)
    (hello,) = client.start(NOW_MS, random=bytes(32))
    body = hello.data[1:]
    assert hello.data[0] == Header.PTLS_HELLO
    assert len(body) == 152
    assert body[:3] == bytes([0x02, 101, 0x00])
    assert body[3:35] == bytes(32)
    assert body[35] == 0x04
    assert body[100:] == bytes(52)
    assert hello.response is True


def test_not_our_lock_is_refused_before_the_certificate_is_sent(world: World) -> None:
    impostor = generate_private_key()
    client, server = make_pair(world, lock_key=impostor)
    written = [w.data for w in client.start(NOW_MS)]
    (server_hello,) = server.receive(written[0])
    written += [w.data for w in client.receive_ptls(server_hello)]
    (server_verify,) = server.receive(written[-1])
    with pytest.raises(NotOurLockError):
        client.receive_ptls(server_verify)
    assert client.state is State.FAILED
    cert = base64.b64decode(world.creds.certificate)
    assert not any(cert[:20] in frame for frame in written)
    assert [f[0] for f in written] == [Header.PTLS_HELLO, Header.PTLS_SERVER_VERIFY]


def _to_server_verify(world: World) -> tuple[PTLSClient, PTLSServer, bytes]:
    client, server = make_pair(world)
    (hello,) = client.start(NOW_MS)
    (server_hello,) = server.receive(hello.data)
    (request,) = client.receive_ptls(server_hello)
    (verify,) = server.receive(request.data)
    return client, server, verify


def test_server_verify_bit_flip_is_refused(world: World) -> None:
    client, _, verify = _to_server_verify(world)
    tampered = bytearray(verify)
    tampered[10] ^= 0x80
    with pytest.raises(NotOurLockError):
        client.receive_ptls(bytes(tampered))


@pytest.mark.parametrize("field", ["auth", "hash"])
def test_server_verify_with_wrong_auth_or_hash(world: World, field: str) -> None:
    client, server = make_pair(world)
    (hello,) = client.start(NOW_MS)
    (server_hello,) = server.receive(hello.data)
    client.receive_ptls(server_hello)
    # The lock answers a different request than ours, or with another hello hash.
    if field == "auth":
        other = (NOW_MS + 1).to_bytes(8, "big")  # "now" for the lock, not ours
        (verify,) = server.receive(bytes([Header.PTLS_SERVER_VERIFY]) + other)
    else:
        server._hello_hash = bytes(32)
        (verify,) = server.receive(
            bytes([Header.PTLS_SERVER_VERIFY]) + NOW_MS.to_bytes(8, "big")
        )
    with pytest.raises(HandshakeError):
        client.receive_ptls(verify)


def test_server_hello_checks(world: World) -> None:
    client, server = make_pair(world)
    (hello,) = client.start(NOW_MS)
    (server_hello,) = server.receive(hello.data)
    wrong_version = bytearray(server_hello)
    wrong_version[1] = 0x03
    with pytest.raises(HandshakeError, match="version"):
        client.receive_ptls(bytes(wrong_version))
    client.start(NOW_MS)
    bad_point = bytearray(server_hello)
    bad_point[40] ^= 0xFF  # inside the lock's ephemeral public key
    with pytest.raises(ProtocolError, match="P-256"):
        client.receive_ptls(bytes(bad_point))
    client.start(NOW_MS)
    with pytest.raises(ProtocolError, match="100"):
        client.receive_ptls(server_hello[:-1])
    client.start(NOW_MS)
    tiny_mtu = bytearray(server_hello)
    tiny_mtu[2] = 5
    with pytest.raises(ProtocolError, match="MTU"):
        client.receive_ptls(bytes(tiny_mtu))


@pytest.mark.parametrize("code", list(AlertCode))
def test_every_alert_is_typed(world: World, code: AlertCode) -> None:
    client, _ = make_pair(world)
    client.start(NOW_MS)
    with pytest.raises(AlertError) as err:
        client.receive_ptls(bytes([Header.PTLS_ALERT, code]))
    assert err.value.alert is code
    assert code.name in str(err.value)
    assert client.state is State.FAILED


def test_unknown_alert_and_malformed_alert(world: World) -> None:
    client, _ = make_pair(world)
    client.start(NOW_MS)
    with pytest.raises(AlertError, match="UNKNOWN"):
        client.receive_ptls(bytes([Header.PTLS_ALERT, 0x77]))
    client.start(NOW_MS)
    with pytest.raises(ProtocolError):
        client.receive_ptls(bytes([Header.PTLS_ALERT]))


def test_out_of_order_frames_are_protocol_errors(world: World) -> None:
    client, _ = make_pair(world)
    with pytest.raises(ProtocolError):
        client.receive_ptls(bytes([Header.PTLS_INITIALIZED, 1, 2, 3, 4]))
    client.start(NOW_MS)
    with pytest.raises(ProtocolError):
        client.receive_ptls(bytes([Header.PTLS_INITIALIZED, 1, 2, 3, 4]))
    with pytest.raises(ProtocolError):
        client.receive_ptls(b"")


def test_record_layer_rules(world: World) -> None:
    client, server = make_pair(world)
    with pytest.raises(NotConnectedError):
        client.seal(b"\x5a")
    with pytest.raises(ProtocolError):
        client.open(b"\x01" + bytes(20))  # encrypted before any session
    run_handshake(client, server)
    assert server.tx is not None
    # Unencrypted frames come out marked as such; the lock client believes only
    # the signed-time answers (tested in test_lock_client).
    assert client.open(b"\x00\x7b\x00").encrypted is False
    assert client.open(b"\xf0\x71\x00").payload == b"\x71\x00"  # high nibble ignored
    assert client.open(b"\x00\x5a\x00\x02\x00").encrypted is False
    with pytest.raises(ProtocolError):
        client.open(b"\x00")
    with pytest.raises(ProtocolError):
        client.open(b"\x09\x00")
    with pytest.raises(ProtocolError):
        client.open(b"")
    # A flipped bit kills the session; nothing more is opened or sealed.
    sealed = bytearray(server.tx.seal(b"\xba\x02\x00"))
    sealed[0] ^= 1
    with pytest.raises(IntegrityError):
        client.open(b"\x01" + bytes(sealed))
    assert client.state is State.FAILED
    with pytest.raises(NotConnectedError):
        client.seal(b"\x5a")


def test_counters_never_wrap(world: World) -> None:
    client, server = make_pair(world)
    run_handshake(client, server)
    assert client._tx is not None
    client._tx.counter = 0xFFFE
    client.seal(b"\x5a")
    with pytest.raises(SessionExhaustedError):
        client.seal(b"\x5a")
    assert client.state is State.FAILED


def test_new_hello_restarts_after_failure(world: World) -> None:
    client, server = make_pair(world)
    client.start(NOW_MS)
    with pytest.raises(AlertError):
        client.receive_ptls(bytes([Header.PTLS_ALERT, AlertCode.ERROR]))
    run_handshake(client, server)
    assert client.established


def test_lock_refuses_a_certificate_the_cloud_never_signed(world: World) -> None:
    other_ca = CertificateAuthority()
    identity = private_key_from_pem(world.creds.private_key_pem)
    forged = other_ca.issue(
        world.lock.config.device_id,
        public_point(identity),
        int(time.time() * 1000) + 10_000,
    )
    client, server = make_pair(world)
    client._certificate = forged
    with pytest.raises(ServerAlert) as err:
        run_handshake(client, server)
    assert err.value.code == AlertCode.INVALID_CERT


def test_fragment_and_field_helpers() -> None:
    frames = fragment(bytes(250), 100)
    assert [len(f) for f in frames] == [101, 101, 51]
    assert [f[0] for f in frames] == [6, 6, 7]
    assert fragment(bytes(5), 100) == [b"\x07" + bytes(5)]
    with pytest.raises(ValueError):
        fragment(b"x", 0)
    assert unpack_len16_fields(b"\x00\x01a\x00\x00", 2) == [b"a", b""]
    for bad in (b"\x00", b"\x00\x05ab", b"\x00\x01a\x00\x00x"):
        with pytest.raises(ProtocolError):
            unpack_len16_fields(bad, 2)
