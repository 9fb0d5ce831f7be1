"""On demand, what happened at the lock while nobody was connected is not lost."""

from __future__ import annotations

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event

from custom_components.tedee_bluetooth.const import CONF_CONNECTION_MODE, MODE_ON_DEMAND
from custom_components.tedee_bluetooth.tedee.wire.logs import EventId

from .ha_fixtures import ACTIVITY, LOCK, Sim, jump, settle, watch_states


async def test_every_poll_fetches_the_activity_log(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    await settle(hass, 1)
    assert sim.lock.connections == []  # on demand: let go after reading
    sim.lock.record_event(EventId.UNLOCK_BY_PIN, 3)  # nobody hears its HAS_LOGS
    fired = watch_states(hass, ACTIVITY)
    await jump(hass, 301)  # the next poll
    await settle(hass, 1)
    assert len(fired) == 1
    assert hass.states.get(ACTIVITY).attributes["event_type"] == "unlocked_keypad"
    assert sim.lock.logs == []  # fetched (the lock deletes what is fetched)
    assert sim.lock.connections == []  # and let go again


async def test_a_command_shows_its_activity_before_letting_go(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    await settle(hass, 1)
    sim.lock.record_event(EventId.UNLOCK_BY_PIN, 3)  # while nobody was connected
    types: list[str] = []

    @callback
    def _fired(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None and new.state != "unavailable":
            types.append(new.attributes["event_type"])

    async_track_state_change_event(hass, [ACTIVITY], _fired)
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await jump(hass, 25)  # the command's linger is over
    assert sim.lock.connections == []
    assert sim.lock.logs == []
    # Once each, in the order they happened: the keypad unlock from before, then
    # ours, which waited for its own record to say who unlocked.
    assert types == ["unlocked_keypad", "unlocked_remote"]
    assert hass.states.get(ACTIVITY).attributes["user_id"] == 1001
