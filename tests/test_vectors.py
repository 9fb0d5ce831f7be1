"""Known-answer tests: both handshakes of ``vectors/ptls_handshake.json``, byte for byte.

The vectors were checked against a client that works with real locks. The client
must produce every client frame exactly (it signs with RFC 6979), and the simulated
lock, driven with the lock's inputs, must accept them and produce every lock frame.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
import pytest

from custom_components.tedee_bluetooth.tedee.wire.const import (
    PTLS_RX_CHAR_UUID,
    Header,
)
from custom_components.tedee_bluetooth.tedee.wire.crypto import (
    LABEL_CLIENT_AP,
    LABEL_CLIENT_HS,
    LABEL_SERVER_AP,
    LABEL_SERVER_HS,
    derive_traffic_keys,
    ecdh_shared_secret,
    verify_digest,
)
from custom_components.tedee_bluetooth.tedee.wire.ptls import PTLSClient, State
from simulator.ca import verify_certificate
from simulator.ptls_server import PTLSServer, ServerState

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "ptls_handshake.json").read_text()
)["vectors"]
IDS = [f"att_mtu_{v['att_mtu']}" for v in VECTORS]


def _key(hex_scalar: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int(hex_scalar, 16), ec.SECP256R1())


def _frames(
    v: dict[str, Any], side: str, part: str = "handshake_frames"
) -> list[bytes]:
    return [bytes.fromhex(f["hex"]) for f in v[part] if f["from"] == side]


def _intermediate(v: dict[str, Any], prefix: str) -> bytes:
    (value,) = [x for k, x in v["intermediate"].items() if k.startswith(prefix)]
    return bytes.fromhex(value)


def _client(v: dict[str, Any]) -> PTLSClient:
    inputs = v["inputs"]
    return PTLSClient(
        identity_key=_key(inputs["mobile_private_scalar"]),
        certificate=base64.b64decode(inputs["certificate_b64"]),
        device_public_key=base64.b64decode(inputs["device_public_key_b64"]),
        att_mtu=v["att_mtu"],
    )


def _handshake(v: dict[str, Any]) -> tuple[PTLSClient, list[bytes]]:
    """Drive the client with the vector's inputs and the lock's frames."""
    client = _client(v)
    inputs = v["inputs"]
    writes = client.start(
        inputs["auth_data_ms"],
        random=bytes.fromhex(inputs["client_random"]),
        ephemeral_key=_key(inputs["client_ephemeral_private_scalar"]),
    )
    sent = list(writes)
    for frame in _frames(v, "lock"):
        sent += client.receive_ptls(frame)
    assert all(w.char_uuid == PTLS_RX_CHAR_UUID for w in sent)
    # Hello and verify request go with response: a long write fits any MTU.
    assert [w.response for w in sent[:2]] == [True, True]
    return client, [w.data for w in sent]


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_client_produces_every_client_frame(v: dict[str, Any]) -> None:
    client, sent = _handshake(v)
    assert [f.hex() for f in sent] == [f.hex() for f in _frames(v, "client")]
    assert client.state is State.ESTABLISHED
    assert client.session_id == bytes.fromhex(v["lock_inputs"]["session_id"])
    assert client.peer_mtu == v["lock_inputs"]["lock_announced_mtu"]


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_client_verify_parts_follow_the_smaller_mtu(v: dict[str, Any]) -> None:
    parts = [f for f in _frames(v, "client") if f[0] in (0x06, 0x07)]
    limit = min(v["lock_inputs"]["lock_announced_mtu"], v["att_mtu"] - 3) - 1
    assert [p[0] for p in parts] == [0x06] * (len(parts) - 1) + [0x07]
    assert all(len(p) - 1 <= limit for p in parts)
    assert len(parts) == (2 if v["att_mtu"] == 247 else 3)


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_application_frames_open_and_seal_with_the_derived_keys(
    v: dict[str, Any],
) -> None:
    client, _ = _handshake(v)
    for frame in v["application_frames"]:
        raw, plain = bytes.fromhex(frame["hex"]), bytes.fromhex(frame["plain"])
        if frame["from"] == "client":
            assert client.seal(plain) == raw, frame["note"]
        else:  # the reply and both notifications share the lock's one counter
            opened = client.open(raw)
            assert opened.encrypted
            assert opened.payload == plain, frame["note"]


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_the_vector_is_what_protocol_md_says(v: dict[str, Any]) -> None:
    """Recompute every intermediate value here, independently of both sides."""
    hello_c, verify_req, *_ = _frames(v, "client")
    hello_s, *_ = _frames(v, "lock")
    hellos = hello_c[1:] + hello_s[1:]
    auth = verify_req[1:]
    assert auth == v["inputs"]["auth_data_ms"].to_bytes(8, "big")
    assert hashlib.sha256(hellos).digest() == _intermediate(v, "hello_hash")
    lock_signs = hashlib.sha256(hellos + len(auth).to_bytes(2, "big") + auth).digest()
    assert lock_signs == _intermediate(v, "lock_signs")
    svp = _intermediate(v, "server_verify_plaintext")
    assert hashlib.sha256(hellos + svp).digest() == _intermediate(v, "verify_hash")
    cert = base64.b64decode(v["inputs"]["certificate_b64"])
    client_signs = hashlib.sha256(
        hellos + svp + len(cert).to_bytes(2, "big") + cert
    ).digest()
    assert client_signs == _intermediate(v, "client_signs")
    cvp = _intermediate(v, "client_verify_plaintext")
    final = hashlib.sha256(hellos + svp + cvp).digest()
    assert final == _intermediate(v, "final_hash")
    # The lock's signature verifies over the prehashed digest with its cloud key.
    sig_len = int.from_bytes(svp[10:12], "big")
    lock_key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), base64.b64decode(v["inputs"]["device_public_key_b64"])
    )
    assert verify_digest(lock_key, svp[12 : 12 + sig_len], lock_signs)
    # The key schedule, from the ECDH secret of the two ephemeral scalars.
    secret = ecdh_shared_secret(
        _key(v["inputs"]["client_ephemeral_private_scalar"]),
        _key(v["lock_inputs"]["lock_ephemeral_private_scalar"]).public_key(),
    )
    assert secret == _intermediate(v, "ecdh_shared_secret")
    hello_hash = _intermediate(v, "hello_hash")
    for label, digest, name in (
        (LABEL_SERVER_HS, hello_hash, "server_hs"),
        (LABEL_CLIENT_HS, hello_hash, "client_hs"),
        (LABEL_CLIENT_AP, final, "client_ap"),
        (LABEL_SERVER_AP, final, "server_ap"),
    ):
        keys = derive_traffic_keys(secret, label, digest)
        assert keys.key == _intermediate(v, f"{name}_key")
        assert keys.iv == _intermediate(v, f"{name}_iv")


def _lock(v: dict[str, Any]) -> PTLSServer:
    """The simulated lock's PTLS machine, with the vector's lock-side inputs."""
    lock = v["lock_inputs"]
    ca = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), base64.b64decode(lock["ca_public_key_b64"])
    )
    randoms = {
        32: bytes.fromhex(lock["server_random"]),
        4: bytes.fromhex(lock["session_id"]),
    }

    def check(cert: bytes) -> bytes:
        info = verify_certificate(ca, cert)
        assert info.device_id == lock["device_id"]
        return info.mobile_point

    return PTLSServer(
        _key(lock["device_private_scalar"]),
        lock["lock_announced_mtu"],
        check,
        clock=lambda: v["inputs"]["auth_data_ms"] / 1000 + 2.0,
        new_ephemeral=lambda: _key(lock["lock_ephemeral_private_scalar"]),
        random_bytes=randoms.__getitem__,
    )


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_simulated_lock_accepts_the_client_and_produces_every_lock_frame(
    v: dict[str, Any],
) -> None:
    lock = _lock(v)
    produced: list[bytes] = []
    for frame in _frames(v, "client"):
        produced += lock.receive(frame)
    assert [f.hex() for f in produced] == [f.hex() for f in _frames(v, "lock")]
    assert lock.state is ServerState.ESTABLISHED
    assert lock.tx is not None
    assert lock.rx is not None
    for frame in v["application_frames"]:
        raw, plain = bytes.fromhex(frame["hex"]), bytes.fromhex(frame["plain"])
        assert raw[0] == Header.DATA_ENCRYPTED
        if frame["from"] == "client":
            assert lock.rx.open(raw[1:]) == plain, frame["note"]
        else:
            assert lock.tx.seal(plain) == raw[1:], frame["note"]


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_client_and_lock_meet_with_the_vectors_inputs(v: dict[str, Any]) -> None:
    """The two implementations talk to each other and land on the same frames."""
    client, lock = _client(v), _lock(v)
    inputs = v["inputs"]
    pending = [
        w.data
        for w in client.start(
            inputs["auth_data_ms"],
            random=bytes.fromhex(inputs["client_random"]),
            ephemeral_key=_key(inputs["client_ephemeral_private_scalar"]),
        )
    ]
    wire: list[bytes] = []
    while pending:
        frame = pending.pop(0)
        wire.append(frame)
        for reply in lock.receive(frame):
            wire.append(reply)
            pending += [w.data for w in client.receive_ptls(reply)]
    expected = [bytes.fromhex(f["hex"]) for f in v["handshake_frames"]]
    assert [f.hex() for f in wire] == [f.hex() for f in expected]
    assert client.established
