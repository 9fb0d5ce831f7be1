"""What a user waits for, in wall-clock time, on a simulated 15 ms Bluetooth link.

Entry setup -> the lock shows "locked"; a dropped link -> "connected" again;
pressing unlock -> the lock shows "unlocking". Each figure is the median of
several runs, in milliseconds and in round trips of the link. Printed, never
asserted: a benchmark measures, the test suite decides.

A drop after a session that lived ``stable_session`` (30 s) is retried at once;
one after a short session waits out the back-off, by design. The drops here come
0.3 s apart, so the session counts as stable after 0.2 s: the figure is the
user's occasional drop, without 15 half-minute waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import dataclasses
import statistics
import time

from homeassistant.core import HomeAssistant

from tests.ha_fixtures import LOCK, STATUS, Sim

LATENCY = 0.015  # one way, like a good Bluetooth link through a proxy
RTT = 2 * LATENCY
RUNS = 15
STABLE = 0.2  # a session this old counts as stable (30 s in use)


async def _wall_until(condition: Callable[[], bool], limit: float = 10.0) -> float:
    """Wait in real time until ``condition``; the seconds it took."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > limit:
            raise TimeoutError("the integration never got there")
        await asyncio.sleep(0.0005)
    return time.perf_counter() - start


def _state_is(hass: HomeAssistant, entity_id: str, state: str) -> Callable[[], bool]:
    def check() -> bool:
        current = hass.states.get(entity_id)
        return current is not None and current.state == state

    return check


def _report(what: str, samples: list[float]) -> None:
    median = statistics.median(samples)
    spread = f"{min(samples) * 1000:.0f}-{max(samples) * 1000:.0f}"
    print(
        f"  {what}: {median * 1000:.0f} ms median of {len(samples)} "
        f"({spread} ms) = {median / RTT:.1f} RTT"
    )


async def test_integration_path(hass: HomeAssistant, sim: Sim) -> None:
    """Print the three figures of the integration path."""
    asyncio.get_running_loop().set_debug(False)
    sim.lock.config.latency = LATENCY
    sim.lock.config.move_time = 0.3
    entry = sim.entry()
    setups: list[float] = []
    for run in range(RUNS + 1):
        start = time.perf_counter()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await _wall_until(_state_is(hass, LOCK, "locked"))
        if run:  # the first includes importing the platforms
            setups.append(time.perf_counter() - start)
        await asyncio.sleep(0.3)  # the battery and version reads finish
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await _wall_until(_state_is(hass, STATUS, "connected"))
    session = entry.runtime_data.session
    session.config = dataclasses.replace(session.config, stable_session=STABLE)
    await asyncio.sleep(0.3)
    reconnects: list[float] = []
    for _ in range(RUNS):
        sim.lock.connections[0].drop("benchmark")
        await _wall_until(lambda: not sim.lock.connections)
        reconnects.append(await _wall_until(_state_is(hass, STATUS, "connected")))
        await asyncio.sleep(0.3)
    unlocks: list[float] = []
    for _ in range(RUNS):
        task = hass.async_create_task(
            hass.services.async_call("lock", "unlock", {"entity_id": LOCK})
        )
        unlocks.append(await _wall_until(_state_is(hass, LOCK, "unlocking")))
        await task
        await _wall_until(_state_is(hass, LOCK, "unlocked"))
        await hass.services.async_call("lock", "lock", {"entity_id": LOCK})
        await _wall_until(_state_is(hass, LOCK, "locked"))
        await asyncio.sleep(1)  # the lock's activity log is fetched: idle again
    print(f"\nIntegration path, HA test harness, {LATENCY * 1000:.0f} ms one-way link:")
    _report("entry setup -> lock shows locked", setups)
    _report("link dropped -> connected again ", reconnects)
    _report("unlock pressed -> shows unlocking", unlocks)
