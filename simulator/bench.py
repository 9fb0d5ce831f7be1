"""Benchmarks (not part of the test run): ``scripts/bench``.

Measures, does not assert: handshake CPU on both sides, round trips over a 15 ms
link, time to the first GET_STATE answer, memory per open session.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import os
import statistics
import time
import tracemalloc

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custom_components.tedee_bluetooth.tedee import Credentials, TedeeLockClient
from custom_components.tedee_bluetooth.tedee.errors import IntegrityError
from custom_components.tedee_bluetooth.tedee.wire.crypto import (
    TrafficKeys,
    nonce_for,
    private_key_from_pem,
)
from custom_components.tedee_bluetooth.tedee.wire.ptls import PTLSClient
from custom_components.tedee_bluetooth.tedee.wire.record import WINDOW, ReceiveWindow

from .cloud import CloudState
from .lock import LockConfig, SimulatedLock

LATENCY = 0.015
RUNS = 200


def _world(**config: object) -> tuple[SimulatedLock, Credentials]:
    cloud = CloudState()
    cloud.add_key("bench", "bench")
    lock = SimulatedLock(cloud.ca.public_key, LockConfig(**config))  # type: ignore[arg-type]
    cloud.add_simulated_lock("bench", lock)
    pem, _, cert, dev = cloud.issue_credentials("bench", lock.config.device_id)
    return lock, Credentials(pem, cert, dev)


def handshake_cpu() -> tuple[float, float]:
    """Median CPU milliseconds of one handshake, client side and lock side."""
    lock, creds = _world()
    identity = private_key_from_pem(creds.private_key_pem)
    cert = base64.b64decode(creds.certificate)
    device_key = base64.b64decode(creds.device_public_key)
    client_ms: list[float] = []
    server_ms: list[float] = []
    clock = time.thread_time_ns
    for _ in range(RUNS):
        client_ns = server_ns = 0
        t = clock()
        client = PTLSClient(
            identity_key=identity,
            certificate=cert,
            device_public_key=device_key,
            att_mtu=247,
        )
        pending = [w.data for w in client.start(int(time.time() * 1000))]
        client_ns += clock() - t
        t = clock()
        server = lock.ptls_server(244)
        server_ns += clock() - t
        while pending:
            frame = pending.pop(0)
            t = clock()
            replies = server.receive(frame)
            server_ns += clock() - t
            for reply in replies:
                t = clock()
                pending += [w.data for w in client.receive_ptls(reply)]
                client_ns += clock() - t
        assert client.established
        client_ms.append(client_ns / 1e6)
        server_ms.append(server_ns / 1e6)
    return statistics.median(client_ms), statistics.median(server_ms)


async def link_numbers() -> dict[str, float]:
    """Round trips and latency over a link with 15 ms one-way latency."""
    lock, creds = _world(latency=LATENCY)
    conn = lock.connect()
    start = time.perf_counter()
    await conn.connect()
    client = TedeeLockClient(conn, creds)
    await client.connect()
    handshake_s = time.perf_counter() - start
    handshake_flights = conn.stats.uplink_flights
    t = time.perf_counter()
    await client.get_state()
    first_state_s = time.perf_counter() - start
    command_s = time.perf_counter() - t
    before = conn.stats.uplink_flights
    commands = 20
    t = time.perf_counter()
    for _ in range(commands):
        await client.get_state()
    per_command_s = (time.perf_counter() - t) / commands
    command_flights = (conn.stats.uplink_flights - before) / commands
    await client.disconnect()
    lock.shutdown()
    rtt = 2 * LATENCY
    return {
        "handshake_flights": handshake_flights,
        "handshake_ms": handshake_s * 1000,
        "handshake_rtts": handshake_s / rtt,
        "first_state_ms": first_state_s * 1000,
        "command_ms": command_s * 1000,
        "per_command_ms": per_command_s * 1000,
        "command_flights": command_flights,
    }


async def memory_per_session(sessions: int = 50) -> float:
    """Bytes allocated per open, established client session (client side only)."""
    lock, creds = _world(max_connections=sessions)
    conns = [lock.connect() for _ in range(sessions)]
    for conn in conns:
        await conn.connect()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    clients = [TedeeLockClient(conn, creds) for conn in conns]
    for client in clients:
        await client.connect()
    gc.collect()
    snap = tracemalloc.take_snapshot()
    tracemalloc.stop()
    client_files = ("tedee/",)
    stats = snap.compare_to(base, "filename")
    total = sum(
        s.size_diff
        for s in stats
        if any(f in s.traceback[0].filename for f in client_files)
    )
    everything = sum(s.size_diff for s in stats)
    for client in clients:
        await client.disconnect()
    lock.shutdown()
    print(
        f"  (all allocations incl. simulator per session: {everything / sessions / 1024:.1f} KiB)"
    )
    return total / sessions


def window_cpu(frames: int = 2000) -> tuple[float, float, float]:
    """CPU microseconds per frame in the receive window: in order, swapped, forged."""
    keys = TrafficKeys(os.urandom(16), os.urandom(12))
    aead = AESGCM(keys.key)
    sealed = [
        aead.encrypt(nonce_for(keys.iv, n), b"\xba\x02\x00", None)
        for n in range(frames)
    ]
    swapped = [sealed[n ^ 1] for n in range(frames)]  # every pair arrives reversed
    clock = time.thread_time_ns
    results = []
    for order in (sealed, swapped):
        window = ReceiveWindow(keys)
        t = clock()
        for frame in order:
            window.open(frame)
        results.append((clock() - t) / frames / 1000)
    window = ReceiveWindow(keys)
    forged = [os.urandom(19) for _ in range(frames // 10)]
    t = clock()
    for frame in forged:
        with contextlib.suppress(IntegrityError):
            window.open(frame)
    results.append((clock() - t) / len(forged) / 1000)
    return results[0], results[1], results[2]


def main() -> None:
    """Print every number."""
    client_ms, server_ms = handshake_cpu()
    print(
        f"Handshake CPU, median of {RUNS}: client {client_ms:.2f} ms, lock (simulator) {server_ms:.2f} ms"
    )
    numbers = asyncio.run(link_numbers())
    print(
        f"Link with {LATENCY * 1000:.0f} ms one-way latency (RTT {2 * LATENCY * 1000:.0f} ms):"
    )
    print(
        f"  round trips per handshake: {numbers['handshake_flights']:.0f} "
        f"(elapsed {numbers['handshake_ms']:.1f} ms = {numbers['handshake_rtts']:.2f} RTT)"
    )
    print(
        f"  round trips per command:   {numbers['command_flights']:.0f} "
        f"(elapsed {numbers['per_command_ms']:.1f} ms on average over 20)"
    )
    print(f"  connect -> first GET_STATE answer: {numbers['first_state_ms']:.1f} ms")
    in_order, swapped, forged = window_cpu()
    print(
        f"Receive window CPU per frame: {in_order:.1f} us in order, {swapped:.1f} us "
        f"swapped pairs, {forged:.1f} us for a forged frame (all {WINDOW} tried)"
    )
    memory = asyncio.run(memory_per_session())
    print(f"Memory per open session (client library): {memory / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
