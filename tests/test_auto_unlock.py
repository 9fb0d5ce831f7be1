"""Auto-unlock: this integration's unlock action, for presence automations.

The lock applies its own guard: an auto-unlock within 3 minutes of any unlock
is refused, and the refusal says how long ago that unlock was.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.tedee_bluetooth.const import DOMAIN
from custom_components.tedee_bluetooth.tedee.wire.const import Command
from simulator.wire import Result

from .ha_fixtures import LOCK, Sim, jump, settle, until_state
from .test_activity_who import OWNER, watch_events, who

AUTO = 0x01


async def _auto_unlock(hass: HomeAssistant, auto: bool = True) -> None:
    await hass.services.async_call(
        DOMAIN, "unlock", {"entity_id": LOCK, "auto_unlock": auto}, blocking=True
    )


def _unlocks(sim: Sim) -> list[bytes]:
    return [params for op, params in sim.lock.executed if op == Command.UNLOCK]


async def _lock(hass: HomeAssistant) -> None:
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await until_state(hass, LOCK, "locked")


async def test_an_auto_unlock_unlocks_and_is_logged_as_one(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    await settle(hass, 0.1)
    events = watch_events(hass)
    await _auto_unlock(hass)
    await until_state(hass, LOCK, "unlocked")
    await settle(hass, 2)
    assert _unlocks(sim) == [bytes([AUTO])]
    assert [e["event_type"] for e in events] == ["unlocked_auto"]
    assert who(events[0]) == OWNER


async def test_the_action_without_auto_is_a_plain_unlock(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    await _auto_unlock(hass, auto=False)
    await until_state(hass, LOCK, "unlocked")
    assert _unlocks(sim) == [bytes([0x00])]


async def test_an_auto_unlock_soon_after_an_unlock_is_refused_with_its_age(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await until_state(hass, LOCK, "unlocked")
    await _lock(hass)
    await jump(hass, 40)
    with pytest.raises(HomeAssistantError) as err:
        await _auto_unlock(hass)
    assert err.value.translation_key == "result_already_called_by_other_operation"
    seconds = int(err.value.translation_placeholders["seconds"])
    assert 40 <= seconds <= 45  # the lock counts from the unlock's start
    assert str(err.value) == (
        f"Front door was unlocked {seconds} seconds ago; the lock does not "
        "auto-unlock within 3 minutes of an unlock"
    )
    await settle(hass, 1)
    assert hass.states.get(LOCK).state == "locked"  # refused: nothing moved
    await jump(hass, 180)
    await _auto_unlock(hass)  # the guard is over
    await until_state(hass, LOCK, "unlocked")


async def test_a_second_auto_unlock_names_auto_unlock(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    await _auto_unlock(hass)
    await until_state(hass, LOCK, "unlocked")
    await _lock(hass)
    await jump(hass, 10)
    with pytest.raises(HomeAssistantError) as err:
        await _auto_unlock(hass)
    assert err.value.translation_key == "result_already_called_by_autounlock"
    assert str(err.value).startswith("Front door was auto-unlocked ")
    assert len(_unlocks(sim)) == 2  # sent once each, never retried


async def test_a_refusal_without_its_seconds_still_reads_well(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.faults.next_result[Command.UNLOCK] = Result.ALREADY_CALLED_BY_AUTOUNLOCK
    with pytest.raises(HomeAssistantError) as err:
        await _auto_unlock(hass)
    assert str(err.value) == (
        "Front door was auto-unlocked less than 3 minutes ago; the lock does "
        "not auto-unlock again within 3 minutes"
    )
