"""The radio path in Home Assistant: no free connection slot, late frames, counts."""

from __future__ import annotations

import dataclasses
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.tedee_bluetooth.const import (
    DOMAIN,
    ISSUE_NO_CONNECTION_SLOT,
)
from custom_components.tedee_bluetooth.tedee import SessionConfig
from custom_components.tedee_bluetooth.tedee.wire.const import Command

from .ha_fixtures import LOCK, STATUS, Sim, jump, settle, until_state


async def until_status(hass: HomeAssistant, state: str) -> None:
    """Move time until the connection status shows ``state``."""
    await until_state(hass, STATUS, state)


async def test_no_free_slot_is_named_and_clears_itself(
    hass: HomeAssistant,
    sim: Sim,
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await sim.setup()
    assert hass.states.get(STATUS).state == "connected"
    issue_id = f"{ISSUE_NO_CONNECTION_SLOT}_{sim.lock.config.serial}"
    # A doorbell camera takes the proxy's last slot, then our link drops.
    sim.scanner.slots = sim.scanner.in_use - 1  # ours is the one it takes
    sim.lock.connections[0].drop("supervision timeout")
    await jump(hass, 1)
    await until_status(hass, "no_connection_slot")
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Front door"}
    # The back-off is the longer one: nothing before its first step.
    attempts = sim.lock.connect_attempts
    await jump(hass, SessionConfig().no_slot_backoff[0] - 5)
    assert sim.lock.connect_attempts == attempts
    assert hass.states.get(STATUS).state == "no_connection_slot"
    # The camera lets go: the next attempt connects, the repair issue goes.
    sim.scanner.slots = None
    await jump(hass, SessionConfig().no_slot_backoff[-1])
    await until_status(hass, "connected")
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert entry.state is ConfigEntryState.LOADED


async def test_diagnostics_show_what_the_radio_did(
    hass: HomeAssistant, sim: Sim, hass_client: Any
) -> None:
    entry = await sim.setup()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["session"]["link"] == {
        "reordered": 0,
        "duplicated": 0,
        "missed": 0,
        "late": 0,
        "failed": 0,
    }
    sim.lock.go_out_of_range()  # no session: nothing to count
    await jump(hass, 1)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["session"]["link"] is None


async def test_a_late_status_never_moves_the_lock_entity_back(
    hass: HomeAssistant, sim: Sim
) -> None:
    """UNLOCKING arrives after UNLOCKED (the radio held it back): still unlocked."""
    await sim.setup()
    sim.lock.faults.delay_next = 0.6  # the UNLOCKING notification
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await until_state(hass, LOCK, "unlocked")
    await settle(hass, 0.8)  # the late frame lands
    assert hass.states.get(LOCK).state == "unlocked"
    counts = sim.hass.config_entries.async_entries(DOMAIN)[0].runtime_data.link_counts
    assert counts is not None
    assert counts["late"] == 1


async def setup_with_command_timeout(
    hass: HomeAssistant, sim: Sim, seconds: float
) -> None:
    """A session whose client waits ``seconds`` for each reply."""
    entry = await sim.setup()
    session = entry.runtime_data.session
    session.config = dataclasses.replace(session.config, command_timeout=seconds)
    # (taken by the next session)
    sim.lock.connections[0].drop("new session")
    await jump(hass, 1)
    await until_status(hass, "connected")


async def test_an_unanswered_unlock_is_reported_and_never_resent(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The reply is lost but the lock moves: say so, resend nothing, show the truth."""
    await setup_with_command_timeout(hass, sim, 0.5)
    sim.lock.faults.lose_reply_to = Command.UNLOCK
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "lock", "unlock", {"entity_id": LOCK}, blocking=True
        )
    assert err.value.translation_key == "outcome_unknown"
    assert "may have moved" in str(err.value)
    await until_state(hass, LOCK, "unlocked")  # reconnected, the lock's own state
    assert [op for op, _ in sim.lock.executed].count(Command.UNLOCK) == 1


async def test_one_deadline_covers_waiting_and_connecting(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Queued behind a slow command, then a slow reconnect: refused, never late."""
    await setup_with_command_timeout(hass, sim, 9.5)
    sim.lock.faults.lose_reply_to = Command.UNLOCK  # the first command hangs 9.5 s
    sim.lock.config.latency = 0.2  # and the reconnect after it takes ~1.6 s
    first = hass.async_create_task(
        hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    )
    await settle(hass, 0.1)
    second = hass.async_create_task(
        hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    )
    await jump(hass, 10.5)
    assert first.done()
    assert second.done()
    with pytest.raises(HomeAssistantError) as err:
        second.result()
    assert err.value.translation_key == "not_connected"
    with pytest.raises(HomeAssistantError):
        first.result()
    await jump(hass, 30)
    executed = [op for op, _ in sim.lock.executed]
    assert Command.LOCK not in executed  # not sent late, not sent at all
    assert executed.count(Command.UNLOCK) == 1
