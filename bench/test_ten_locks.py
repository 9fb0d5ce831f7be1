"""A day in a house with ten locks and three ESPHome proxies (nine slots).

Through Home Assistant's real esphome integration and the simulated proxies, on
the virtual clock with a 15 ms link: commands to random locks every 10 minutes,
button presses, the door of the front door, one proxy unplugged for ten minutes
at noon. Printed, never asserted: the command latency (service call -> the
lock's new state), refusals and why, connections made, and the CPU and heap this
costs per lock.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import time
import tracemalloc
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from tests.esphome_fixtures import Proxied, slug
from tests.ha_fixtures import clock_of, settle

LOCKS, PROXIES = 10, 3  # three slots each: nine for ten locks
LATENCY = 0.015
DAY_MINUTES = 24 * 60


async def test_ten_locks_for_a_day(hass: HomeAssistant, proxied: Proxied) -> None:
    """Print the ten-lock figures."""
    asyncio.get_running_loop().set_debug(False)
    tracemalloc.start()
    heap_before = tracemalloc.get_traced_memory()[0]
    before = tracemalloc.take_snapshot()
    proxied.lock.config.has_door_sensor = True
    # A real motor; every proxy has the default three slots.
    await proxied.household(LOCKS, PROXIES, latency=LATENCY, move_time=2.0)
    gc.collect()  # what is still referenced, not garbage waiting for the collector
    heap_set_up = tracemalloc.get_traced_memory()[0]
    day_start = tracemalloc.take_snapshot()
    set_up = _growth_by_package(day_start.compare_to(before, "filename"), per=LOCKS)
    clock = clock_of(hass)
    rng = random.Random(2026)  # noqa: S311 - a scripted day, not crypto
    names = [slug(lock) for lock in proxied.locks]
    latencies: list[float] = []
    responses: list[float] = []  # to "locking" / "unlocking"
    refused: dict[str, int] = {}
    connects_before = sum(p.stats.connects for p in proxied.proxies)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for minute in range(DAY_MINUTES):
        if minute % 10 == 0:  # someone asks Home Assistant to lock or unlock a door
            entity = f"lock.{rng.choice(names)}"
            state = hass.states.get(entity)
            service = (
                "lock" if state is not None and state.state == "unlocked" else "unlock"
            )
            target = "locked" if service == "lock" else "unlocked"
            task = hass.async_create_task(
                hass.services.async_call(
                    "lock", service, {"entity_id": entity}, blocking=True
                )
            )

            def reached(entity: str = entity, target: str = target) -> bool:
                current = hass.states.get(entity)
                return current is not None and current.state == target

            def moving(entity: str = entity, target: str = target) -> bool:
                current = hass.states.get(entity)
                return current is not None and current.state in (
                    target,
                    "locking" if target == "locked" else "unlocking",
                )

            def started(task: asyncio.Task[Any] = task) -> bool:
                return task.done() or moving()

            responses.append(await clock.until(started, 30))

            def landed(task: asyncio.Task[Any] = task) -> bool:
                return task.done() or reached()

            took = responses[-1] + await clock.until(landed, 30)
            await clock.until(task.done, 30)
            if (err := task.exception()) is not None:
                assert isinstance(err, HomeAssistantError)
                key = err.translation_key or type(err).__name__
                refused[key] = refused.get(key, 0) + 1
            else:
                latencies.append(took)
        if minute % 30 == 15:  # someone at a door presses its button
            rng.choice(proxied.locks).press_button()
        if minute % 60 == 40:  # the front door opens and closes
            proxied.lock.set_door(door_open=True)
            await settle(hass, 20)
            proxied.lock.set_door(door_open=False)
        if minute == 12 * 60:
            await proxied.proxies[1].stop()
        if minute == 12 * 60 + 10:
            await proxied.proxies[1].start()
        await clock.advance(60)
    cpu = time.process_time() - cpu_start
    wall = time.perf_counter() - wall_start
    gc.collect()
    heap_end = tracemalloc.get_traced_memory()[0]
    day_end = tracemalloc.take_snapshot()
    growth = _growth_by_package(day_end.compare_to(day_start, "filename"))
    if os.environ.get("BENCH_HEAP_LINES"):  # where the integration's growth is
        ours = [
            d
            for d in day_end.compare_to(day_start, "lineno")
            if "tedee_bluetooth" in d.traceback[0].filename
        ]
        for diff in sorted(ours, key=lambda d: -d.size_diff)[:12]:
            print(diff)
    tracemalloc.stop()
    connects = sum(p.stats.connects for p in proxied.proxies) - connects_before
    commands = len(latencies) + sum(refused.values())
    quantiles = statistics.quantiles(latencies, n=20)
    statuses = [
        str(getattr(hass.states.get(f"sensor.{name}_connection_status"), "state", None))
        for name in names
    ]
    print(
        "\nTen locks, three proxies with three slots, one simulated day "
        f"({LATENCY * 1000:.0f} ms link, 2 s motor):\n"
        f"  commands: {commands}, landed {len(latencies)}, refused {refused or 0}\n"
        f"  command -> locking/unlocking shown: median "
        f"{statistics.median(responses) * 1000:.0f} ms, p95 "
        f"{statistics.quantiles(responses, n=20)[18] * 1000:.0f} ms\n"
        f"  command -> new state: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {quantiles[18] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms\n"
        f"  BLE connects through the proxies: {connects} "
        f"({connects / LOCKS:.1f} per lock per day)\n"
        f"  at the end: {statuses.count('connected')} connected, "
        f"{statuses.count('waiting_for_slot')} waiting for a slot\n"
        f"  CPU: {cpu:.1f} s for the day = {cpu / LOCKS:.2f} s per lock per day "
        f"(Home Assistant, the integration, aioesphomeapi and the simulators; "
        f"{wall:.0f} s wall)\n"
        f"  heap: {(heap_set_up - heap_before) / LOCKS / 1024:.0f} KiB per lock set up "
        f"(by where it was allocated, per lock: {set_up}); "
        f"{(heap_end - heap_set_up) / 1024:.0f} KiB more after the day, by where "
        f"it was allocated: {growth}"
    )


_PACKAGES = (
    ("integration", "custom_components/tedee_bluetooth"),
    ("simulators", "/simulator/"),
    ("esphome stack", "aioesphomeapi"),
    ("esphome stack", "bleak_esphome"),
    ("esphome stack", "habluetooth"),
    ("Home Assistant", "homeassistant"),
)


def _growth_by_package(diffs: list[tracemalloc.StatisticDiff], per: int = 1) -> str:
    """Heap growth, summed by who allocated it (KiB, divided by ``per``)."""
    totals: dict[str, int] = {}
    for diff in diffs:
        name = diff.traceback[0].filename
        group = next((g for g, part in _PACKAGES if part in name), "other")
        totals[group] = totals.get(group, 0) + diff.size_diff
    return ", ".join(
        f"{group} {size / per / 1024:+.0f} KiB"
        for group, size in sorted(totals.items(), key=lambda item: -abs(item[1]))
    )
