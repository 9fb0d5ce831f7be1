"""What a user reads when a command is refused: translated, named, never raw text."""

from __future__ import annotations

import dataclasses

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.tedee_bluetooth.tedee.errors import ProtocolError
from custom_components.tedee_bluetooth.tedee.wire.const import Command
from custom_components.tedee_bluetooth.translate import command_error

from .ha_fixtures import LOCK, STATUS, Sim, jump, settle, until_state


async def _press(hass: HomeAssistant, service: str) -> None:
    await hass.services.async_call("lock", service, {"entity_id": LOCK}, blocking=True)


async def test_a_second_command_behind_a_hung_one_is_refused_as_busy(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    session = entry.runtime_data.session
    session.config = dataclasses.replace(session.config, command_timeout=20)
    sim.lock.connections[0].drop("the next session waits 20 s for replies")
    await jump(hass, 1)
    await until_state(hass, STATUS, "connected")
    sim.lock.connections[0].latency = 6  # the unlock's round trip takes 12 s
    first = hass.async_create_task(_press(hass, "unlock"))
    await settle(hass, 0.1)
    second = hass.async_create_task(_press(hass, "lock"))
    await jump(hass, 10.2)  # the lock command's 10 s are up; the unlock still runs
    assert second.done()
    assert not first.done()
    with pytest.raises(HomeAssistantError) as err:
        second.result()
    assert err.value.translation_key == "lock_busy"
    assert str(err.value) == (
        "Another command to the lock is still running; this one was not sent"
    )
    await jump(hass, 2)
    assert first.done()
    first.result()  # the unlock itself went through
    await jump(hass, 2)
    assert [op for op, _ in sim.lock.executed].count(Command.UNLOCK) == 1
    assert Command.LOCK not in [op for op, _ in sim.lock.executed]


async def test_no_session_in_time_is_refused_with_the_lock_named(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    sim.lock.faults.stall_at = "hello"  # the reconnect hangs mid-handshake
    await entry.runtime_data.session._async_drop()
    task = hass.async_create_task(_press(hass, "unlock"))
    await jump(hass, 9.9)
    assert not task.done()
    await jump(hass, 0.2)
    assert task.done()
    with pytest.raises(HomeAssistantError) as err:
        task.result()
    assert err.value.translation_key == "not_connected"
    assert str(err.value) == (
        "No Bluetooth session with Front door within 10 seconds; "
        "the command was not sent"
    )
    await jump(hass, 60)
    await settle(hass, 0.1)
    assert hass.states.get(LOCK).state == "locked"  # reconnected afterwards
    assert Command.UNLOCK not in [op for op, _ in sim.lock.executed]  # never late


async def test_an_unexpected_failure_is_explained_without_library_text(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    err = command_error(ProtocolError("reply 0x51 is 3 bytes, want 2"), "Front door")
    assert err.translation_key == "command_failed"
    assert str(err) == (
        "Front door did not carry out the command. Try again; if it keeps "
        "failing, check the lock in the Tedee app"
    )
