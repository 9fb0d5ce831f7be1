"""Hypothesis fuzzing: every parser and the handshake take garbage with typed errors only."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.tedee_bluetooth.tedee import TedeeError, TedeeLockClient
from custom_components.tedee_bluetooth.tedee.wire.commands import (
    decode_battery,
    decode_response,
    decode_state,
    decode_version,
)
from custom_components.tedee_bluetooth.tedee.wire.const import PTLS_TX_CHAR_UUID, Header
from custom_components.tedee_bluetooth.tedee.wire.crypto import private_key_from_pem
from custom_components.tedee_bluetooth.tedee.wire.logs import parse_log_package
from custom_components.tedee_bluetooth.tedee.wire.notifications import (
    decode_notification,
)
from custom_components.tedee_bluetooth.tedee.wire.ptls import PTLSClient, State
from simulator.ptls_server import ServerAlert

from .world import make_world

FUZZ = settings(
    max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck)
)
WORLD = make_world()


def _client() -> PTLSClient:
    return PTLSClient(
        identity_key=private_key_from_pem(WORLD.creds.private_key_pem),
        certificate=base64.b64decode(WORLD.creds.certificate),
        device_public_key=base64.b64decode(WORLD.creds.device_public_key),
        att_mtu=247,
    )


CLIENT = _client()


@FUZZ
@given(st.binary(max_size=300))
def test_log_parser_is_total(data: bytes) -> None:
    try:
        parse_log_package(data)
    except TedeeError:
        pass


# Structured garbage reaches deeper than random bytes: valid TLV framing, random tags.
tlv_item = st.tuples(st.integers(0, 9), st.binary(max_size=12)).map(
    lambda t: bytes([t[0], len(t[1])]) + t[1]
)


@FUZZ
@given(st.lists(tlv_item, max_size=20))
def test_log_parser_on_structured_garbage(items: list[bytes]) -> None:
    try:
        parse_log_package(b"\x01\x01\x01" + b"".join(items))
    except TedeeError:
        pass


@FUZZ
@given(st.binary(max_size=40))
def test_notification_and_response_decoders_are_total(data: bytes) -> None:
    for decoder in (
        decode_notification,
        decode_response,
        decode_state,
        decode_battery,
        decode_version,
    ):
        try:
            decoder(data)
        except TedeeError:
            pass


@FUZZ
@given(
    st.integers(0, 3), st.binary(max_size=200), st.sampled_from(list(Header) + [0xFF])
)
def test_handshake_takes_garbage_with_typed_errors(
    step: int, body: bytes, header: int
) -> None:
    """Advance a real handshake ``step`` frames, then inject one garbage frame."""
    client = CLIENT
    server = WORLD.lock.ptls_server(244)
    pending = [w.data for w in client.start(int(time.time() * 1000))]
    for _ in range(step):
        if not pending:
            break
        replies = server.receive(pending.pop(0))
        pending = []
        for reply in replies:
            pending += [w.data for w in client.receive_ptls(reply)]
    try:
        client.receive_ptls(bytes([header]) + body)
    except TedeeError:
        assert client.state is State.FAILED
    try:
        client.open(bytes([header]) + body)
    except TedeeError:
        pass


@FUZZ
@given(st.binary(max_size=400))
def test_lock_side_takes_garbage(frame: bytes) -> None:
    server = WORLD.lock.ptls_server(244)
    try:
        server.receive(frame)
    except ServerAlert:
        pass


class GarbageLock:
    """A 'lock' that answers every PTLS write with the next garbage frame.

    When it has nothing left to say it drops the link, so a handshake that is
    still waiting ends at once instead of on a real-time timeout.
    """

    mtu_size = 247
    is_connected = True

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.callbacks: dict[str, Any] = {}
        self.on_drop: Any = None

    async def start_notify(self, uuid: str, callback: Any, **_: Any) -> None:
        self.callbacks[uuid] = callback

    async def stop_notify(self, uuid: str) -> None:
        self.callbacks.pop(uuid, None)

    async def write_gatt_char(
        self, uuid: str, data: bytes, response: bool = False
    ) -> None:
        loop = asyncio.get_running_loop()
        if self.frames:
            frame = self.frames.pop(0)
            loop.call_soon(self.callbacks[PTLS_TX_CHAR_UUID], None, bytearray(frame))
        else:
            loop.call_soon(self.on_drop)

    async def disconnect(self) -> None:
        self.is_connected = False


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.binary(min_size=1, max_size=120), min_size=1, max_size=4))
async def test_async_handshake_with_garbage_never_hangs(frames: list[bytes]) -> None:
    """An async test (not asyncio.run), so it shares the suite's event loop policy."""
    lock = GarbageLock(list(frames))
    client = TedeeLockClient(lock, WORLD.creds)  # type: ignore[arg-type]
    lock.on_drop = client.handle_disconnect
    with pytest.raises(TedeeError):
        await client.connect()
