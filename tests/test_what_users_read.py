"""What a user reads: activity events that fire once per real occurrence."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from .ha_fixtures import LOCK, Sim, settle
from .test_activity_who import watch_events


async def test_a_jam_fires_once_however_often_the_door_moves(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.config.has_door_sensor = True
    await sim.setup()
    events = watch_events(hass)
    sim.lock.jam_next = True
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "lock", "unlock", {"entity_id": LOCK}, blocking=True
        )
    assert err.value.translation_key == "jammed_unlocking"
    await settle(hass, 2)
    assert hass.states.get(LOCK).state == "jammed"
    sim.lock.set_door(door_open=True)  # the door moves while the lock stays jammed
    await settle(hass, 1)
    sim.lock.set_door(door_open=False)
    await settle(hass, 1)
    jams = [e for e in events if e["event_type"] == "jammed"]
    assert len(jams) == 1
    # Jammed again after a new attempt is a new jam.
    sim.lock.jam_next = True
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "lock", "lock", {"entity_id": LOCK}, blocking=True
        )
    assert err.value.translation_key == "jammed_locking"
    await settle(hass, 2)
    assert len([e for e in events if e["event_type"] == "jammed"]) == 2
