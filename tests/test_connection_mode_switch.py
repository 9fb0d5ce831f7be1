"""Always connected and on demand, switched in the options on the same entry.

No reload: the entities keep their states (no "unavailable" and back, which the
logbook would show), and the session changes how it reaches the lock from now on.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.tedee_bluetooth.const import (
    CONF_CONNECTION_MODE,
    CONF_REFRESH_INTERVAL,
    DOMAIN,
    ISSUE_NO_CONNECTION_SLOT,
    MODE_ALWAYS,
    MODE_ON_DEMAND,
)
from custom_components.tedee_bluetooth.tedee.wire.const import Command

from .ha_fixtures import (
    LOCK,
    STATUS,
    Sim,
    clock_of,
    jump,
    settle,
    until_state,
    watch_states,
)

ON_DEMAND = {CONF_CONNECTION_MODE: MODE_ON_DEMAND}
ALWAYS = {CONF_CONNECTION_MODE: MODE_ALWAYS}


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_to_on_demand_lets_go_and_polls(hass: HomeAssistant, sim: Sim) -> None:
    """The link goes, the lock stays as it was, and it is read at the poll interval."""
    entry = await sim.setup()
    coordinator = entry.runtime_data
    seen = watch_states(hass, LOCK)
    attempts = sim.lock.connect_attempts
    sim.change_options(entry, **ON_DEMAND, **{CONF_REFRESH_INTERVAL: 60})
    await settle(hass, 1)
    assert entry.runtime_data is coordinator  # no reload
    assert sim.lock.connections == []  # let go
    assert sim.lock.connect_attempts == attempts  # read on the link that was up
    assert _state(hass, STATUS) == "idle"
    assert seen == []  # no state written: no logbook line
    assert coordinator.update_interval is not None
    sim.lock.press_button()
    await jump(hass, 20)
    assert seen == []  # no keep-alive, no push: not known before the next poll
    assert sim.lock.connect_attempts == attempts
    await jump(hass, 45)
    assert seen == ["unlocked"]  # the poll
    assert sim.lock.connections == []
    assert sim.lock.connect_attempts == attempts + 1


async def test_to_always_connected_connects_and_stops_polling(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The session connects now; a button press is pushed; polling ends."""
    entry = await sim.setup({**ON_DEMAND, CONF_REFRESH_INTERVAL: 60})
    coordinator = entry.runtime_data
    assert sim.lock.connections == []
    seen = watch_states(hass, LOCK)
    sim.change_options(entry, **ALWAYS)
    await until_state(hass, STATUS, "connected", limit=5)
    assert entry.runtime_data is coordinator  # no reload
    assert len(sim.lock.connections) == 1
    assert coordinator.update_interval is None
    sim.lock.press_button()
    await settle(hass, 1)
    assert seen == ["unlocking", "unlocked"]  # pushed as it moves
    attempts = sim.lock.connect_attempts
    await jump(hass, 300)  # keep-alives, no poll of its own
    assert sim.lock.connect_attempts == attempts
    assert len(sim.lock.connections) == 1


async def test_to_on_demand_out_of_range_stays_unavailable(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Switched while the lock is away: its entities do not come back by themselves."""
    entry = await sim.setup()
    await sim.out_of_range()
    seen = watch_states(hass, LOCK)
    sim.change_options(entry, **ON_DEMAND, **{CONF_REFRESH_INTERVAL: 60})
    await settle(hass, 30)
    assert seen == []
    assert _state(hass, LOCK) == "unavailable"
    sim.lock.in_range = True
    sim.advertise()
    await jump(hass, 60)  # the next poll reaches it
    assert seen == ["locked"]
    assert sim.lock.connections == []


async def test_to_always_connected_after_a_failed_poll_waits_for_the_link(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Unavailable on demand stays unavailable until the session is up."""
    entry = await sim.setup({**ON_DEMAND, CONF_REFRESH_INTERVAL: 60})
    sim.lock.go_out_of_range()
    await jump(hass, 61)  # the poll fails
    assert _state(hass, LOCK) == "unavailable"
    seen = watch_states(hass, LOCK)
    sim.change_options(entry, **ALWAYS)
    await jump(hass, 60)
    assert seen == []  # no flip to available and back
    await sim.back_in_range()
    assert seen == ["locked"]
    assert len(sim.lock.connections) == 1


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (ON_DEMAND, {CONF_REFRESH_INTERVAL: 60}),
        (ON_DEMAND, ALWAYS),
        ({}, ON_DEMAND),
    ],
    ids=["poll interval", "to always connected", "to on demand"],
)
async def test_a_switch_during_a_command_runs_it_once(
    hass: HomeAssistant, sim: Sim, first: dict[str, str], then: dict[str, object]
) -> None:
    """The command keeps its link and its deadline, and runs alone."""
    entry = await sim.setup(first)
    sim.lock.config.latency = 0.4  # a slow radio: handshake ~2.4 s, command ~0.8 s
    call = hass.async_create_task(
        hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    )
    await settle(hass, 0.5)  # the handshake or the command under way
    sim.change_options(entry, **then)
    await clock_of(hass).until(call.done, limit=15)
    call.result()  # it ran
    await settle(hass, 30)
    assert [op for op, _ in sim.lock.executed].count(Command.UNLOCK) == 1
    assert _state(hass, LOCK) == "unlocked"
    # And the session now works the new way.
    on_demand = {**first, **then}.get(CONF_CONNECTION_MODE) == MODE_ON_DEMAND
    assert len(sim.lock.connections) == (0 if on_demand else 1)


async def test_a_command_right_after_a_switch_runs_the_new_way(
    hass: HomeAssistant, sim: Sim
) -> None:
    """To on demand, the next command connects for itself and lets go after."""
    entry = await sim.setup()
    sim.change_options(entry, **ON_DEMAND)
    await settle(hass, 1)
    assert sim.lock.connections == []
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    assert _state(hass, LOCK) == "unlocked"
    assert len(sim.lock.connections) == 1  # it stays a while to see the end
    await jump(hass, 30)
    assert sim.lock.connections == []
    assert _state(hass, STATUS) == "idle"


async def test_a_switch_after_unload_changes_nothing(
    hass: HomeAssistant, sim: Sim
) -> None:
    """An unloaded entry's session stays stopped, whatever the options say."""
    entry = await sim.setup()
    coordinator = entry.runtime_data
    session = coordinator.session
    await hass.config_entries.async_unload(entry.entry_id)
    attempts = sim.lock.connect_attempts
    sim.change_options(entry, **ON_DEMAND)
    # As if the update listener had run just as the entry unloaded.
    await coordinator.async_apply_options(ON_DEMAND)
    await session.async_set_always_connected(False)
    await settle(hass, 600)
    assert session.always_connected
    assert coordinator.always_connected
    assert coordinator.update_interval is None  # no poll scheduled
    assert sim.lock.connect_attempts == attempts
    assert sim.lock.connections == []
    assert _state(hass, LOCK) == "unavailable"


async def test_the_no_slot_repairs_advice_works_without_a_reload(
    hass: HomeAssistant, sim: Sim, issue_registry: ir.IssueRegistry
) -> None:
    """No free proxy slot; the repair says "switch to on demand", the user does.

    From then on only the polls try the proxy (no always-connected back-off),
    and the first that finds a slot clears the repair and lets go again.
    """
    entry = await sim.setup()
    issue_id = f"{ISSUE_NO_CONNECTION_SLOT}_{sim.lock.config.serial}"
    sim.scanner.slots = sim.scanner.in_use - 1  # a camera takes our slot
    sim.lock.connections[0].drop("supervision timeout")
    await until_state(hass, STATUS, "no_connection_slot", limit=10)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    sim.change_options(entry, **ON_DEMAND, **{CONF_REFRESH_INTERVAL: 600})
    await settle(hass, 1)
    attempts = sim.lock.connect_attempts
    await jump(hass, 590)  # the always-connected back-off would have tried by now
    assert sim.lock.connect_attempts == attempts
    sim.scanner.slots = None  # the camera lets go
    await jump(hass, 15)  # the poll
    assert _state(hass, STATUS) == "idle"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert sim.lock.connections == []
    assert _state(hass, LOCK) == "locked"


async def test_a_link_dropped_as_the_mode_switches_to_on_demand(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The read on the way out connects again or fails: either way no link stays."""
    entry = await sim.setup()
    sim.lock.connections[0].drop("supervision timeout")
    sim.change_options(entry, **ON_DEMAND, **{CONF_REFRESH_INTERVAL: 60})
    await settle(hass, 5)
    assert sim.lock.connections == []
    assert _state(hass, STATUS) == "idle"
    assert _state(hass, LOCK) == "locked"
    attempts = sim.lock.connect_attempts
    await jump(hass, 50)  # no always-connected retry after the drop
    assert sim.lock.connect_attempts == attempts
    await jump(hass, 15)  # the poll
    assert sim.lock.connect_attempts == attempts + 1
    assert sim.lock.connections == []
