"""A lock that comes back is connected at once, not when the back-off says."""

from __future__ import annotations

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant

from .ha_fixtures import LOCK, STATUS, Sim, jump, settle, until_state


async def test_back_in_range_is_available_within_two_seconds(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.go_out_of_range()
    await jump(hass, 31)
    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE
    await jump(hass, 120)  # the back-off has grown to 30 s between attempts
    await jump(hass, 1)
    sim.lock.in_range = True
    sim.advertise()  # the same advertisement as before the dropout
    took = await until_state(hass, LOCK, "locked", limit=2)
    print(f"\navailable again {took * 1000:.0f} ms after the first advertisement")
    assert took < 2
    assert hass.states.get(STATUS).state == "connected"


async def test_a_dropped_session_with_the_lock_in_range_reconnects_at_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    """A radio blip: the next advertisement (unchanged) brings the session back."""
    await sim.setup()
    sim.lock.go_out_of_range()  # a blip: the retries at 0, 1 and 3 s fail
    await settle(hass, 4)  # the next retry is 5 s away
    assert hass.states.get(STATUS).state != "connected"
    sim.lock.in_range = True
    sim.advertise()
    took = await until_state(hass, STATUS, "connected", limit=2)
    assert took < 2
    assert hass.states.get(LOCK).state == "locked"  # never unavailable
