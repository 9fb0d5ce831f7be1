"""Ten locks behind three ESPHome proxies with three slots each: nine slots.

What the integration does with fewer slots than always-connected locks: a
command borrows the slot of the lock idle longest, which keeps its last state
and takes a slot back in turn. Every lock stays usable, none is starved.
"""

from __future__ import annotations

import random

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.tedee_bluetooth.const import DOMAIN
from custom_components.tedee_bluetooth.tedee import SessionConfig
from simulator.lock import SimulatedLock

from .esphome_fixtures import Proxied, slug
from .ha_fixtures import clock_of, settle, until_state, watch_states

LOCKS, PROXIES = 10, 3
SLOT_HOLD = SessionConfig().slot_hold


async def household(hass: HomeAssistant, proxied: Proxied) -> list[SimulatedLock]:
    """Ten locks set up, three proxies (three slots each) that each hear all of them."""
    return await proxied.household(LOCKS, PROXIES)


def statuses(hass: HomeAssistant, locks: list[SimulatedLock]) -> dict[str, str]:
    return {
        slug(lock): hass.states.get(f"sensor.{slug(lock)}_connection_status").state
        for lock in locks
    }


async def test_a_command_to_the_lock_without_a_slot_lands(
    hass: HomeAssistant, proxied: Proxied
) -> None:
    locks = await household(hass, proxied)
    now = statuses(hass, locks)
    assert sorted(now.values()).count("connected") == 9, now
    slotless = next(name for name, state in now.items() if state != "connected")
    # The tenth lock borrowed a slot at setup; the lender waits for its turn.
    assert now[slotless] == "waiting_for_slot"
    # A command to the lock without a slot lands at once: another lends it one.
    await hass.services.async_call(
        "lock", "unlock", {"entity_id": f"lock.{slotless}"}, blocking=True
    )
    await until_state(hass, f"lock.{slotless}", "unlocked")
    now = statuses(hass, locks)
    assert now[slotless] == "connected"
    lenders = [name for name, state in now.items() if state == "waiting_for_slot"]
    assert len(lenders) == 1
    # The lender keeps showing its state; no repair issue for taking turns.
    assert hass.states.get(f"lock.{lenders[0]}").state == "locked"
    # Commands to random locks, the lender among them: every one lands in time.
    rng = random.Random(7)
    for lock in [*rng.sample(locks, 5), *(x for x in locks if slug(x) == lenders[0])]:
        entity = f"lock.{slug(lock)}"
        target = "locked" if hass.states.get(entity).state == "unlocked" else "unlocked"
        service = "lock" if target == "locked" else "unlock"
        await hass.services.async_call(
            "lock", service, {"entity_id": entity}, blocking=True
        )
        await until_state(hass, entity, target)
        await settle(hass, 20)
    assert sorted(statuses(hass, locks).values()).count("connected") == 9


async def test_no_lock_is_starved(
    hass: HomeAssistant, proxied: Proxied, issue_registry: ir.IssueRegistry
) -> None:
    """Without any command, the lock without a slot gets one in turn."""
    locks = await household(hass, proxied)
    first = statuses(hass, locks)
    later = {
        slug(lock): watch_states(hass, f"sensor.{slug(lock)}_connection_status")
        for lock in locks
    }
    history = {name: [first[name], *later[name]] for name in first}
    slotless = [name for name, states in history.items() if states[0] != "connected"]
    # At setup the tenth lock borrowed the slot of the lock idle longest.
    assert [first[name] for name in slotless] == ["waiting_for_slot"]
    # Waiting its turn is not an outage: still shown, no repair issue.
    await clock_of(hass).advance(SessionConfig().unavailable_grace + 60)
    assert hass.states.get(f"lock.{slotless[0]}").state == "locked"
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    await clock_of(hass).advance(SLOT_HOLD)
    history = {name: [first[name], *later[name]] for name in first}
    # Its turn came: it borrowed the slot of the lock idle longest.
    assert "connected" in history[slotless[0]]
    now = statuses(hass, locks)
    assert sorted(now.values()).count("connected") == 9, now
    assert list(now.values()).count("waiting_for_slot") == 1
    assert proxied.hass.states.get(f"lock.{slotless[0]}").state == "locked"


async def test_a_waiting_lock_that_is_unloaded_never_takes_a_slot_again(
    hass: HomeAssistant, proxied: Proxied
) -> None:
    locks = await household(hass, proxied)
    waiting = next(
        lock
        for lock in locks
        if statuses(hass, [lock])[slug(lock)] == "waiting_for_slot"
    )
    entry = next(
        e
        for e in hass.config_entries.async_entries(DOMAIN)
        if e.unique_id == waiting.config.serial
    )
    attempts = waiting.connect_attempts
    assert await hass.config_entries.async_unload(entry.entry_id)
    await clock_of(hass).advance(2 * SLOT_HOLD)
    assert waiting.connect_attempts == attempts  # its turn never comes
    assert waiting.connections == []
    # Nobody else lent a slot for it: nine locks, nine slots, all connected.
    assert (
        sorted(statuses(hass, [x for x in locks if x is not waiting]).values())
        == ["connected"] * 9
    )
