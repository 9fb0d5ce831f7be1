"""The README's automation examples, exactly as written, in a real Home Assistant.

Only each example's action is swapped for a recording one; triggers and conditions
are read from the README itself, so a user who copies them gets what is tested.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components import automation
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component
import yaml

from custom_components.tedee_bluetooth.tedee.wire.logs import EventId

from .ha_fixtures import ACTIVITY, LOCK, Sim, jump, settle, until_state

README = Path(__file__).parent.parent / "README.md"


def readme_automations() -> list[dict[str, Any]]:
    """The automations of the README's YAML example block."""
    text = README.read_text()
    start = text.index("## Automation examples")
    block = text[text.index("```yaml\n", start) + 8 : text.index("```\n", start + 30)]
    automations: list[dict[str, Any]] = yaml.safe_load(block)["automation"]
    return automations


async def _set_up(hass: HomeAssistant, alias: str) -> list[ServiceCall]:
    """The example with its action recorded instead, the action's data kept."""
    (example,) = [a for a in readme_automations() if a["alias"] == alias]
    calls: list[ServiceCall] = []

    @callback
    def _record(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("test", "record", _record)
    data = example["actions"][0].get("data", {})
    example = {**example, "actions": [{"action": "test.record", "data": data}]}
    assert await async_setup_component(hass, automation.DOMAIN, {"automation": example})
    await hass.async_block_till_done()
    return calls


async def test_keypad_example_fires_once_per_keypad_unlock(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    calls = await _set_up(hass, "Keypad unlock")
    sim.lock.record_event(EventId.UNLOCK_BY_PIN, 3)
    await settle(hass, 1)
    assert hass.states.get(ACTIVITY).attributes["event_type"] == "unlocked_keypad"
    assert len(calls) == 1
    sim.lock.press_button()  # an unlock at the button is not a keypad unlock
    await settle(hass, 1)
    assert len(calls) == 1
    sim.lock.record_event(EventId.UNLOCK_BY_PIN, 3)  # the same operation again
    await settle(hass, 1)
    assert len(calls) == 2

    # A reload brings the entity back with its last event: not a new unlock.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await settle(hass, 1)
    assert hass.states.get(ACTIVITY).attributes["event_type"] == "unlocked_keypad"
    assert len(calls) == 2

    # Out of range past the grace period (the lock unavailable), then back: not
    # either. The activity entity stays as it was: the lock's log fills the gap.
    sim.lock.go_out_of_range()
    last_event = hass.states.get(ACTIVITY).state
    await jump(hass, 31)
    await settle(hass, 0.02)
    assert hass.states.get(LOCK).state == "unavailable"
    assert hass.states.get(ACTIVITY).state == last_event
    await jump(hass, 120)
    sim.lock.in_range = True
    sim.advertise()
    await until_state(hass, LOCK, "unlocked", limit=31)  # as the button left it
    await jump(hass, 5)
    assert len(calls) == 2


async def test_who_unlocked_example_names_the_user_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    calls = await _set_up(hass, "Who unlocked")
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 1)
    assert [call.data["message"] for call in calls] == [
        "Front door unlocked by Acct User"
    ]
    sim.lock.press_button()  # locks at the button: not a remote unlock
    await settle(hass, 1)
    await hass.config_entries.async_reload(entry.entry_id)
    await until_state(hass, LOCK, "locked")
    await jump(hass, 60)
    assert len(calls) == 1
