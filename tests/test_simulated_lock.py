"""The simulated lock is a second implementation, and as strict as a real lock.

It must never import the client's protocol code (that is how a misreading of the
spec once hid on both sides), and it refuses what PROTOCOL.md says a lock refuses.
"""

from __future__ import annotations

import ast
import asyncio
import base64
from pathlib import Path
import time

import pytest

from custom_components.tedee_bluetooth.tedee.wire.crypto import private_key_from_pem
from custom_components.tedee_bluetooth.tedee.wire.ptls import PTLSClient
from simulator.ptls_server import PTLSServer, ServerAlert, ServerState
from simulator.wire import Alert

from .virtual_time import all_tests_on_virtual_clock
from .world import World

SIMULATOR = Path(__file__).parent.parent / "simulator"
# bench.py measures the client library against the lock, so it must import both;
# the demo helper's cloud_url.py points the integration at the simulated cloud. Neither
# is part of the simulated lock or cloud.
CLIENT_SIDE = {"bench.py", "cloud_url.py"}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_the_simulator_imports_none_of_the_client() -> None:
    files = [p for p in SIMULATOR.rglob("*.py") if p.name not in CLIENT_SIDE]
    assert len(files) >= 10  # the lock, its PTLS, crypto, wire, link, cloud, ...
    offenders = {
        str(p.relative_to(SIMULATOR)): name
        for p in files
        for name in _imports(p)
        if name.startswith("custom_components")
    }
    assert offenders == {}


def _client(world: World, att_mtu: int = 247) -> PTLSClient:
    return PTLSClient(
        identity_key=private_key_from_pem(world.creds.private_key_pem),
        certificate=base64.b64decode(world.creds.certificate),
        device_public_key=base64.b64decode(world.creds.device_public_key),
        att_mtu=att_mtu,
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _hello(world: World) -> tuple[PTLSClient, bytes]:
    client = _client(world)
    (hello,) = client.start(_now_ms())
    return client, hello.data


def _refused(server: PTLSServer, frame: bytes) -> Alert:
    with pytest.raises(ServerAlert) as err:
        server.receive(frame)
    assert server.state is ServerState.WAIT_HELLO  # the attempt is forgotten
    return err.value.code


def test_a_nonzero_reserved_hello_byte_is_refused(world: World) -> None:
    _, hello = _hello(world)
    bad = bytearray(hello)
    bad[3] = 0x01  # header, version, mtu, reserved
    assert _refused(world.lock.ptls_server(244), bytes(bad)) is Alert.ERROR


@pytest.mark.parametrize("position", [0, 25, 51])
def test_nonzero_hello_cache_bytes_are_refused(world: World, position: int) -> None:
    _, hello = _hello(world)
    bad = bytearray(hello)
    bad[1 + 100 + position] = 0x80
    assert _refused(world.lock.ptls_server(244), bytes(bad)) is Alert.ERROR


@pytest.mark.parametrize("mtu_byte", [0, 1, 20, 244, 255])
def test_any_hello_mtu_byte_is_accepted(world: World, mtu_byte: int) -> None:
    """The vendor's clients send 0; the lock announces its own MTU instead."""
    _, hello = _hello(world)
    frame = hello[:2] + bytes([mtu_byte]) + hello[3:]
    server = world.lock.ptls_server(101)
    (reply,) = server.receive(frame)
    assert server.client_mtu == mtu_byte
    assert reply[2] == 101


@pytest.mark.parametrize("skew_s", [-3600, -301, 301, 86400])
def test_auth_data_that_is_not_now_is_refused(world: World, skew_s: int) -> None:
    client, hello = _hello(world)
    server = world.lock.ptls_server(244)
    client.receive_ptls(server.receive(hello)[0])
    stale = (_now_ms() + skew_s * 1000).to_bytes(8, "big")
    assert _refused(server, b"\x05" + stale) is Alert.ERROR


def test_auth_data_within_minutes_is_accepted(world: World) -> None:
    client, hello = _hello(world)
    server = world.lock.ptls_server(244)
    client.receive_ptls(server.receive(hello)[0])
    (reply,) = server.receive(b"\x05" + (_now_ms() - 120_000).to_bytes(8, "big"))
    assert reply[0] == 0x05


def test_a_client_verify_part_longer_than_announced_is_refused(world: World) -> None:
    """The lock announced 101; a client ignoring that is refused, not obliged."""
    client = _client(world, att_mtu=247)
    server = world.lock.ptls_server(101)
    pending = [w.data for w in client.start(_now_ms())]
    hello_reply = server.receive(pending.pop(0))
    writes = client.receive_ptls(hello_reply[0])
    (verify_reply,) = server.receive(writes[0].data)
    # Re-cut the client verify at our own MTU instead of min(lock, ours).
    parts = [w.data for w in client.receive_ptls(verify_reply)]
    sealed = b"".join(p[1:] for p in parts)
    too_long = b"\x06" + sealed[:150]
    assert _refused(server, too_long) is Alert.ERROR


def test_client_verify_parts_at_the_announced_mtu_are_accepted(world: World) -> None:
    client = _client(world, att_mtu=247)
    server = world.lock.ptls_server(101)
    pending = [w.data for w in client.start(_now_ms())]
    while pending:
        frame = pending.pop(0)
        for reply in server.receive(frame):
            pending += [w.data for w in client.receive_ptls(reply)]
    assert server.state is ServerState.ESTABLISHED
    assert client.established


async def test_the_lock_announces_its_mtu_from_the_link(world: World) -> None:
    conn = world.lock.connect(att_mtu=185)
    await conn.connect()
    assert conn.session.server.mtu == 182
    await conn.disconnect()


async def test_a_notification_larger_than_the_link_never_arrives(
    world: World,
) -> None:
    conn = world.lock.connect(att_mtu=138)
    await conn.connect()
    seen: list[bytes] = []
    await conn.start_notify(
        "00000101-4899-489f-a301-fbee544b1db0", lambda _c, data: seen.append(data)
    )
    conn.send("00000101-4899-489f-a301-fbee544b1db0", bytes(136))
    conn.send("00000101-4899-489f-a301-fbee544b1db0", bytes(135))
    await asyncio.sleep(0.1)
    assert [len(frame) for frame in seen] == [135]
    assert conn.stats.too_long == 1
    await conn.disconnect()


async def test_log_packages_fit_the_link(world: World) -> None:
    """At the smallest MTU one record per package; nothing is cut or lost."""
    for i in range(5):
        world.lock.record_event(0x22 + (i % 2), 7)
    client = await world.client(att_mtu=138)
    records = await client.get_logs()
    assert [r.event_id for r in records] == [0x22, 0x23, 0x22, 0x23, 0x22]
    assert world.lock.logs == []
    await client.disconnect()


# Every test above runs on its own virtual-time loop (tests/virtual_time.py).
all_tests_on_virtual_clock(globals())
