"""Where the vendor's clients are lenient, so are we; where it matters, we are strict.

PROTOCOL.md sections 1, 2, 4 and 5: PTLS TX headers by their low nibble, an alert's
first byte, INITIALIZED of any length, the real ATT MTU, and which unencrypted frames
are believed.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import pytest

from custom_components.tedee_bluetooth.tedee import (
    AlertCode,
    AlertError,
    LockState,
    MtuTooSmallError,
    TedeeLockClient,
)
from custom_components.tedee_bluetooth.tedee.link.mtu import MIN_HANDSHAKE_ATT_MTU
from custom_components.tedee_bluetooth.tedee.wire.const import (
    API_COMMANDS_CHAR_UUID,
    NOTIFICATIONS_CHAR_UUID,
)
from custom_components.tedee_bluetooth.tedee.wire.crypto import private_key_from_pem
from custom_components.tedee_bluetooth.tedee.wire.notifications import (
    LockStatusChange,
    Notification,
)
from custom_components.tedee_bluetooth.tedee.wire.ptls import PTLSClient, State
from simulator.link import SimulatedConnection

from .virtual_time import all_tests_on_virtual_clock
from .world import World


def _pair(world: World) -> tuple[PTLSClient, Any]:
    client = PTLSClient(
        identity_key=private_key_from_pem(world.creds.private_key_pem),
        certificate=base64.b64decode(world.creds.certificate),
        device_public_key=base64.b64decode(world.creds.device_public_key),
        att_mtu=247,
    )
    return client, world.lock.ptls_server(244)


def _run(client: PTLSClient, server: Any, mangle: Any = None) -> None:
    pending = [w.data for w in client.start(int(time.time() * 1000))]
    while pending:
        for reply in server.receive(pending.pop(0)):
            frame = reply if mangle is None else mangle(reply)
            pending += [w.data for w in client.receive_ptls(frame)]


def test_ptls_tx_headers_are_read_by_their_low_nibble(world: World) -> None:
    client, server = _pair(world)
    _run(client, server, lambda frame: bytes([frame[0] | 0xA0]) + frame[1:])
    assert client.established


def test_initialized_of_any_length_is_accepted(world: World) -> None:
    for session_id in (b"", b"\x01", b"\x01\x02\x03\x04\x05\x06"):
        client, server = _pair(world)

        def mangle(frame: bytes, sid: bytes = session_id) -> bytes:
            return frame[:1] + sid if frame[0] == 0x08 else frame

        _run(client, server, mangle)
        assert client.established
        assert client.session_id == session_id


def test_an_alert_code_is_its_first_byte(world: World) -> None:
    client, _ = _pair(world)
    client.start(int(time.time() * 1000))
    with pytest.raises(AlertError) as err:
        client.receive_ptls(bytes([0x04, AlertCode.NOT_REGISTERED, 0xFF, 0x00]))
    assert err.value.alert is AlertCode.NOT_REGISTERED
    assert client.state is State.FAILED


def test_the_hello_announces_att_mtu_minus_3(world: World) -> None:
    client, server = _pair(world)
    (hello,) = client.start(int(time.time() * 1000), att_mtu=185)
    assert hello.data[2] == 182
    server.receive(hello.data)
    assert server.client_mtu == 182


# (At MIN_HANDSHAKE_ATT_MTU - 1 the server verify fits when the lock's DER
# signature is a byte short, so that one is tried and may well work.)
@pytest.mark.parametrize("att_mtu", [23, 104])
async def test_a_link_too_small_for_a_handshake_is_a_clear_error(
    world: World, att_mtu: int
) -> None:
    """Tried, and blamed on the MTU once the server verify never comes."""
    conn = world.lock.connect(att_mtu=att_mtu)
    await conn.connect()
    client = TedeeLockClient(conn, world.creds)  # type: ignore[arg-type]
    with pytest.raises(MtuTooSmallError) as err:
        await client.connect()
    assert err.value.mtu == att_mtu
    assert f"ATT MTU is {att_mtu}" in str(err.value)
    assert conn.stats.too_long == 1  # the 135-byte server verify did not fit
    await client.disconnect()


async def test_the_smallest_workable_mtu_completes_a_handshake(world: World) -> None:
    client = await world.client(att_mtu=MIN_HANDSHAKE_ATT_MTU)
    assert (await client.get_state()).state is LockState.LOCKED
    await client.disconnect()


class BleakClientBlueZDBus:
    """Stands in for bleak's BlueZ backend: it reports 23 until the MTU is acquired."""

    def __init__(self, negotiated: int) -> None:
        self._mtu_size: int | None = None
        self._negotiated = negotiated
        self.acquired = 0

    async def _acquire_mtu(self) -> None:
        self.acquired += 1
        self._mtu_size = self._negotiated


class OtherBackend(BleakClientBlueZDBus):
    """Any other backend (an ESPHome proxy, say) must be left alone."""


class WrappedConnection(SimulatedConnection):
    """A connection whose MTU comes from its backend, as a BleakClient's does."""

    _backend: BleakClientBlueZDBus

    @property
    def mtu_size(self) -> int:
        return self._backend._mtu_size or 23  # the link itself carries 247


async def _wrapped(
    world: World, backend: BleakClientBlueZDBus
) -> tuple[WrappedConnection, TedeeLockClient]:
    conn = WrappedConnection(world.lock, att_mtu=247)
    conn._backend = backend
    await conn.connect()
    return conn, TedeeLockClient(conn, world.creds)  # type: ignore[arg-type]


async def test_bluez_mtu_is_acquired_before_the_handshake(world: World) -> None:
    conn, client = await _wrapped(world, BleakClientBlueZDBus(247))
    await client.connect()
    assert conn._backend.acquired == 1
    assert client.att_mtu == 247
    assert client.established
    await client.disconnect()


async def test_a_known_bluez_mtu_is_not_acquired_again(world: World) -> None:
    backend = BleakClientBlueZDBus(247)
    backend._mtu_size = 185
    conn, client = await _wrapped(world, backend)
    await client.connect()
    assert conn._backend.acquired == 0
    assert client.att_mtu == 185
    await client.disconnect()


def _bluez(**methods: Any) -> type[BleakClientBlueZDBus]:
    """A BlueZ-named backend class with other behaviour."""
    return type("BleakClientBlueZDBus", (BleakClientBlueZDBus,), methods)


async def _failing_acquire(self: BleakClientBlueZDBus) -> None:
    self.acquired += 1
    raise OSError("AcquireWrite not permitted")


@pytest.mark.parametrize(
    ("backend", "acquired"),
    [
        (OtherBackend, 0),  # an ESPHome proxy, say: never asked
        (_bluez(_acquire_mtu=_failing_acquire), 1),  # keeps reporting 23
        (_bluez(_acquire_mtu=None), 0),  # an older bleak without the call
    ],
)
async def test_where_the_mtu_cannot_be_learned_the_handshake_is_tried_anyway(
    world: World, backend: type[BleakClientBlueZDBus], acquired: int
) -> None:
    """A reported 23 is often wrong: the real link carries the handshake."""
    conn, client = await _wrapped(world, backend(247))
    await client.connect()
    assert client.established
    assert client.att_mtu == 23  # the client verify went in small parts
    assert conn._backend.acquired == acquired
    await client.get_state()
    await client.disconnect()


async def test_unencrypted_frames_that_must_be_sealed_are_ignored(
    world: World,
) -> None:
    """Anyone in radio range can inject a plain frame; only signed time passes."""
    client = await world.client()
    seen: list[Notification] = []
    client.subscribe(seen.append)
    conn = client._ble
    # A forged "unlocked" notification and a forged GET_STATE answer, in clear.
    conn.send(NOTIFICATIONS_CHAR_UUID, bytes([0x00, 0xBA, 0x02, 0x00]))
    task = asyncio.ensure_future(client.get_state())
    conn.send(API_COMMANDS_CHAR_UUID, bytes([0x00, 0x5A, 0x00, 0x02, 0x00]))
    state = await task
    assert state.state is LockState.LOCKED  # the sealed answer, not the forgery
    assert not [n for n in seen if isinstance(n, LockStatusChange)]
    assert client.established
    await client.disconnect()


async def test_signed_time_answer_with_any_opcode_byte(world: World) -> None:
    """The unencrypted answer's opcode byte is not relied on (PROTOCOL.md 5)."""
    client = await world.client(signed_time=world.signed_time)
    conn = client._ble
    original = conn.send

    def odd_opcode(uuid: str, frame: bytes, extra_delay: float = 0.0) -> None:
        if uuid == API_COMMANDS_CHAR_UUID and frame[:2] == b"\x00\x71":
            frame = b"\x00\x00" + frame[2:]
        original(uuid, frame, extra_delay)

    conn.send = odd_opcode  # type: ignore[method-assign]
    world.lock.trusted_time = False
    await client.set_signed_time()
    assert world.lock.trusted_time
    assert world.lock.signed_time_writes == [False]  # we send it unencrypted
    await client.disconnect()


async def test_the_lock_accepts_a_sealed_signed_time_too(world: World) -> None:
    client = await world.client()
    datetime_bytes, signature = await world.signed_time()
    world.lock.trusted_time = False
    await client._ble.write_gatt_char(
        API_COMMANDS_CHAR_UUID,
        client._ptls.seal(b"\x71" + datetime_bytes + signature),
        response=True,
    )  # the write's response comes after the lock handled it
    assert world.lock.trusted_time
    assert world.lock.signed_time_writes == [True]
    await client.disconnect()


# Every test above runs on its own virtual-time loop (tests/virtual_time.py).
all_tests_on_virtual_clock(globals())
