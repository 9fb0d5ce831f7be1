"""A day of cloud traffic for one account: restraint, measured.

Two locks on one account: one whose clock is ten minutes off (it refuses every
handshake), one reset to factory settings (not registered). Neither can be
reached all day, which is when an integration is most tempted to ask the cloud
again and again. Every request the simulated cloud sees is counted.
"""

from __future__ import annotations

from collections import Counter

from homeassistant.core import HomeAssistant

from .ha_fixtures import STATUS, Sim, clock_of, jump, until_state

HOURS = 24
HOURLY_CAP = 100  # the integration's own cap per account (the account allows 700)


async def test_a_day_of_two_unreachable_locks_stays_within_the_budget(
    hass: HomeAssistant, sim: Sim
) -> None:
    back = sim.add_lock(serial="10000000-000002", device_id=35801, name="Back door")
    for lock in (sim.lock, back):
        entry = sim.entry(lock=lock)
        await hass.config_entries.async_setup(entry.entry_id)
    await jump(hass, 1)
    assert hass.states.get(STATUS).state == "connected"
    wall = clock_of(hass).wall
    sim.lock.clock = lambda: wall() + 600  # its clock drifted ten minutes
    sim.lock.connections[0].drop("the lock restarted")
    back.factory_reset()
    await until_state(hass, STATUS, "clock_skew", limit=60)
    await until_state(hass, "sensor.back_door_connection_status", "not_registered")

    start = len(sim.world.cloud.request_log)
    per_hour: list[int] = []
    for _ in range(HOURS):
        before = len(sim.world.cloud.request_log)
        await jump(hass, 3600)
        per_hour.append(len(sim.world.cloud.request_log) - before)
    asked = sim.world.cloud.request_log[start:]
    kinds = Counter(path.rsplit("/", 1)[-1] for _, path in asked)
    print(
        f"\n{len(asked)} cloud requests in {HOURS} h for two unreachable locks "
        f"(at most {max(per_hour)} in one hour): {dict(kinds)}"
    )
    assert max(per_hour) <= HOURLY_CAP
    # Steady state: the not-registered re-check (one certificate request every
    # ten minutes) and the clock check (one signed time an hour, while the
    # lock refuses our time); nothing else.
    assert kinds["getformobile"] <= 6 * HOURS
    assert kinds["getsignedtime"] <= HOURS
    assert len(asked) <= 7 * HOURS
