"""What real Bluetooth links do: frames swapped, repeated, late or lost.

Every test runs on a virtual clock (tests/virtual_time.py) with 150 +/- 100 ms of
one-way latency, at the smallest workable ATT MTU (138), 185 and 247. (23 and 104
cannot carry the lock's server verify at all; see test_leniency.) A swapped or
repeated frame must never cost the session; a forged one is still refused.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import pytest

from custom_components.tedee_bluetooth.tedee import (
    IntegrityError,
    LockState,
    LockStatusChange,
    TedeeLockClient,
)
from custom_components.tedee_bluetooth.tedee.errors import (
    NotConnectedError,
    OutcomeUnknownError,
)
from custom_components.tedee_bluetooth.tedee.wire.const import Command
from custom_components.tedee_bluetooth.tedee.wire.record import WINDOW
from simulator.link import SimulatedConnection

from .virtual_time import run_virtual
from .world import World, make_world

MTUS = [138, 185, 247]
LATENCY, JITTER = 0.15, 0.10


async def _connect(
    world: World, att_mtu: int, **faults: Any
) -> tuple[TedeeLockClient, SimulatedConnection, list[Exception]]:
    conn = world.lock.connect(att_mtu=att_mtu, latency=LATENCY)
    for name, value in {"jitter": JITTER, **faults}.items():
        setattr(conn.faults, name, value)
    await conn.connect()
    lost: list[Exception] = []
    client = TedeeLockClient(conn, world.creds, on_session_lost=lost.append)  # type: ignore[arg-type]
    conn.disconnected_callback = lambda _c: client.handle_disconnect()
    await client.connect()
    return client, conn, lost


async def _until(world: World, state: LockState) -> None:
    async with asyncio.timeout(30):
        while world.lock.state != state:
            await asyncio.sleep(0.05)


async def _operate(client: TedeeLockClient, world: World, rounds: int) -> list[Any]:
    seen: list[Any] = []
    client.subscribe(seen.append)
    for _ in range(rounds):
        await client.unlock()
        await _until(world, LockState.UNLOCKED)
        assert (await client.get_state()).state is LockState.UNLOCKED
        await client.lock()
        await _until(world, LockState.LOCKED)
        assert (await client.get_state()).state is LockState.LOCKED
    await asyncio.sleep(1)  # let the last notifications land
    return seen


def _never_goes_back(seen: list[Any]) -> None:
    """What the client delivered as current state is the lock's own order."""
    states = [n.state for n in seen if isinstance(n, LockStatusChange) and not n.late]
    for a, b in itertools.pairwise(states):
        assert (a, b) in {
            (LockState.UNLOCKING, LockState.UNLOCKED),
            (LockState.UNLOCKED, LockState.LOCKING),
            (LockState.LOCKING, LockState.LOCKED),
            (LockState.LOCKED, LockState.UNLOCKING),
        }, states


@pytest.mark.parametrize("att_mtu", MTUS)
@pytest.mark.parametrize(
    ("fault", "value", "counter"),
    [
        ("reorder", 0.3, "reordered"),
        ("duplicate", 0.3, "duplicated"),
        ("jitter", JITTER, "reordered"),
    ],
)
def test_each_fault_is_survived(
    att_mtu: int, fault: str, value: float, counter: str
) -> None:
    async def scenario() -> None:
        world = make_world()
        client, _conn, lost = await _connect(
            world, att_mtu, **{fault: value, "seed": 7}
        )
        seen = await _operate(client, world, rounds=5)
        assert lost == []
        assert client.established
        assert getattr(client.link_counts, counter) > 0
        assert client.link_counts.failed == 0
        assert client.link_counts.missed == 0
        _never_goes_back(seen)
        assert [op for op, _ in world.lock.executed].count(Command.UNLOCK) == 5
        await client.disconnect()
        world.lock.shutdown()

    run_virtual(scenario())


@pytest.mark.parametrize("att_mtu", MTUS)
def test_a_frame_dropped_on_the_way_to_us_is_waited_for_then_skipped(
    att_mtu: int,
) -> None:
    async def scenario() -> None:
        world = make_world()
        client, conn, lost = await _connect(world, att_mtu)
        conn.faults.drop_down = 1  # the UNLOCKING notification (sealed first)
        await client.unlock()  # its reply waits for the gap, then goes ahead
        await _until(world, LockState.UNLOCKED)
        assert (await client.get_state()).state is LockState.UNLOCKED
        assert lost == []
        assert client.link_counts.missed == 1
        await client.disconnect()
        world.lock.shutdown()

    run_virtual(scenario())


@pytest.mark.parametrize("att_mtu", MTUS)
def test_a_command_lost_on_the_way_to_the_lock_is_never_resent(att_mtu: int) -> None:
    """Its answer never comes: we cannot know whether the lock acted, so say so."""

    async def scenario() -> None:
        world = make_world()
        client, conn, _lost = await _connect(world, att_mtu)
        conn.faults.drop_up = 1
        with pytest.raises(OutcomeUnknownError, match="may have acted"):
            await client.unlock()
        assert Command.UNLOCK not in [op for op, _ in world.lock.executed]
        with pytest.raises(NotConnectedError):
            await client.unlock()  # that session is over; nothing is sent again
        assert Command.UNLOCK not in [op for op, _ in world.lock.executed]
        await client.disconnect()
        again, _, _ = await _connect(world, att_mtu)
        assert (await again.get_state()).state is LockState.LOCKED  # the truth
        await again.disconnect()
        world.lock.shutdown()

    run_virtual(scenario())


@pytest.mark.parametrize("att_mtu", MTUS)
def test_a_forged_frame_is_still_refused(att_mtu: int) -> None:
    async def scenario() -> None:
        world = make_world()
        client, conn, lost = await _connect(world, att_mtu)
        seen: list[Any] = []
        client.subscribe(seen.append)
        task = asyncio.ensure_future(client.get_state())
        forged = bytes([0x01]) + bytes(range(9)) + bytes(16)  # "unlocked", no key
        conn.send("00000101-4899-489f-a301-fbee544b1db0", forged)
        with pytest.raises((IntegrityError, NotConnectedError)):
            await task
        assert seen == []  # never delivered
        assert client.link_counts.failed == 1
        assert len(lost) == 1
        assert isinstance(lost[0], IntegrityError)
        assert not client.established
        await client.disconnect()
        world.lock.shutdown()

    run_virtual(scenario())


def test_soak_1000_commands_over_a_link_that_reorders_and_duplicates() -> None:
    """10 % of frames held back, 2 % repeated: no session drop, state always right."""

    async def scenario() -> tuple[int, int]:
        world = make_world()
        client, _conn, lost = await _connect(
            world, 247, reorder=0.10, duplicate=0.02, seed=2024
        )
        expected = LockState.LOCKED
        for i in range(1000):
            if i % 10 == 9:
                if expected is LockState.LOCKED:
                    await client.unlock()
                    expected = LockState.UNLOCKED
                else:
                    await client.lock()
                    expected = LockState.LOCKED
                await _until(world, expected)
            else:
                report = await client.get_state()
                assert report.state is expected  # the lock finished moving
        assert (await client.get_state()).state is expected
        assert lost == []
        assert client.established
        counts = client.link_counts
        assert counts.failed == 0
        # This link loses nothing: a frame given up on after the hold time
        # (held back by up to 350 ms here) still arrives, late, and is accepted.
        assert counts.missed == counts.late
        await client.disconnect()
        world.lock.shutdown()
        return counts.reordered, counts.duplicated

    reordered, duplicated = run_virtual(scenario())
    assert reordered > 50
    assert duplicated > 10


def test_the_window_is_bounded() -> None:
    assert WINDOW == 32


def test_a_late_frame_never_overwrites_newer_state() -> None:
    """UNLOCKING arrives a second late, after UNLOCKED: it is delivered as late."""

    async def scenario() -> None:
        world = make_world()
        client, _conn, lost = await _connect(world, 247, jitter=0.0)
        seen: list[Any] = []
        client.subscribe(seen.append)
        world.lock.faults.delay_next = 1.0  # the UNLOCKING notification
        await client.unlock()
        await _until(world, LockState.UNLOCKED)
        await asyncio.sleep(2)
        changes = [(n.state, n.late) for n in seen if isinstance(n, LockStatusChange)]
        assert changes == [(LockState.UNLOCKED, False), (LockState.UNLOCKING, True)]
        assert client.link_counts.missed == 1
        assert client.link_counts.late == 1
        assert lost == []
        await client.disconnect()
        world.lock.shutdown()

    run_virtual(scenario())


def test_one_warning_per_session_with_the_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        world = make_world()
        client, _conn, _lost = await _connect(world, 247, reorder=0.5, seed=3)
        await _operate(client, world, rounds=3)
        await client.disconnect()
        world.lock.shutdown()

    caplog.set_level(logging.WARNING)
    run_virtual(scenario())
    warnings = [r.getMessage() for r in caplog.records if "flaky" in r.getMessage()]
    assert len(warnings) == 1
    assert "frames reordered" in warnings[0]
    assert "0 failed authentication" in warnings[0]


def test_a_clean_link_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        world = make_world()
        client, _conn, _lost = await _connect(world, 247, jitter=0.0)
        await _operate(client, world, rounds=2)
        assert not client.link_counts.flaky
        await client.disconnect()
        world.lock.shutdown()

    caplog.set_level(logging.WARNING)
    run_virtual(scenario())
    assert not [r for r in caplog.records if "flaky" in r.getMessage()]


def test_a_repeated_initialized_frame_keeps_the_new_session() -> None:
    async def scenario() -> None:
        world = make_world()
        client, conn, lost = await _connect(world, 247, jitter=0.0)
        conn.send("00000301-4899-489f-a301-fbee544b1db0", b"\x08" + client.session_id)
        await asyncio.sleep(1)
        assert client.established
        assert lost == []
        conn.send("00000301-4899-489f-a301-fbee544b1db0", b"\x05" + bytes(40))
        await asyncio.sleep(1)
        assert not client.established  # anything else on PTLS TX ends it
        assert len(lost) == 1
        await client.disconnect()
        world.lock.shutdown()

    run_virtual(scenario())
