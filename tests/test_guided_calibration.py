"""Guided calibration: the repair flow walks the owner through, the lock decides.

Against the simulated lock's calibration state machine (strict: a step out of
turn is refused), through Home Assistant's real repairs flow manager.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.tedee_bluetooth.const import (
    CONF_PULL_SPRING_ENABLED,
    DOMAIN,
    ISSUE_CALIBRATE,
    ISSUE_UNCALIBRATED,
)
from custom_components.tedee_bluetooth.tedee import Command
from simulator.calibration import TIMEOUT
from simulator.wire import Note, Op, State

from .ha_fixtures import LOCK, Sim, jump, settle
from .test_what_users_read import listen_activity

SERIAL = "10000000-000001"
CALIBRATION = "binary_sensor.front_door_calibration"
BUTTON = "button.front_door_calibrate"


@pytest.fixture(autouse=True)
async def repairs(hass: HomeAssistant) -> None:
    """Home Assistant's repairs integration, which runs fix flows."""
    assert await async_setup_component(hass, "repairs", {})


async def _uncalibrated(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    sim.lock.lose_calibration()
    await settle(hass, 1)


async def _start(
    hass: HomeAssistant, issue: str = ISSUE_UNCALIBRATED
) -> dict[str, Any]:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": f"{issue}_{SERIAL}"})
    return dict(result)


async def _submit(
    hass: HomeAssistant, flow: dict[str, Any], **data: Any
) -> dict[str, Any]:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_configure(flow["flow_id"], data)
    await settle(hass, 0.5)
    return dict(result)


async def _submit_while_time_passes(
    hass: HomeAssistant, flow: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """Submit a step whose answer takes the lock ``seconds`` (virtual time)."""
    manager = repairs_flow_manager(hass)
    assert manager is not None
    task = hass.async_create_task(manager.async_configure(flow["flow_id"], {}))
    await jump(hass, seconds)
    return dict(await task)


async def _calibrated_with_a_spring(
    hass: HomeAssistant, sim: Sim, issue: str = ISSUE_UNCALIBRATED
) -> dict[str, Any]:
    """A lock with a pull spring calibrated step by step: the spring's step shown.

    From the uncalibrated issue, or from the Calibrate button's.
    """
    entry = await sim.setup()
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_PULL_SPRING_ENABLED: True}
    )
    if issue == ISSUE_CALIBRATE:
        await hass.services.async_call(
            "button", "press", {"entity_id": BUTTON}, blocking=True
        )
    else:
        sim.lock.lose_calibration()
        await settle(hass, 1)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"{issue}_{SERIAL}").is_fixable
    flow = await _submit(hass, await _start(hass, issue))
    sim.lock.calibration.turn_knob(0)
    flow = await _submit(hass, flow)
    sim.lock.calibration.turn_knob(90)
    flow = await _submit(hass, flow)
    assert flow["type"] is FlowResultType.MENU
    assert flow["menu_options"] == ["pull_spring", "done"]
    flow = await _submit(hass, flow, next_step_id="pull_spring")
    assert flow["step_id"] == "pull_spring"
    return flow


async def test_the_owner_calibrates_step_by_step(
    hass: HomeAssistant, sim: Sim, issue_registry: ir.IssueRegistry
) -> None:
    await _uncalibrated(hass, sim)
    issue = issue_registry.async_get_issue(DOMAIN, f"{ISSUE_UNCALIBRATED}_{SERIAL}")
    assert issue is not None
    assert issue.is_fixable
    fired = listen_activity(hass)
    flow = await _start(hass)
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"name": "Front door"}
    flow = await _submit(hass, flow)
    assert flow["step_id"] == "locked"
    assert sim.lock.state == State.CALIBRATION
    sim.lock.calibration.turn_knob(0)  # the owner turns it to locked
    flow = await _submit(hass, flow)
    assert flow["step_id"] == "unlocked"
    sim.lock.calibration.turn_knob(90)
    flow = await _submit(hass, flow)
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    assert [op for op, _ in sim.lock.executed if 0x53 <= op <= 0x59] == [
        Op.CALIBRATION_INIT,
        Op.CALIBRATE_LOCKED,
        Op.CALIBRATE_UNLOCKED,
    ]
    await settle(hass, 6)
    assert hass.states.get(LOCK).state == "unlocked"
    assert hass.states.get(CALIBRATION).state == "off"
    assert (
        issue_registry.async_get_issue(DOMAIN, f"{ISSUE_UNCALIBRATED}_{SERIAL}") is None
    )
    assert "calibrated" in [e.data["type"] for e in fired]  # the log says so too


async def test_positions_too_close_start_again(hass: HomeAssistant, sim: Sim) -> None:
    await _uncalibrated(hass, sim)
    flow = await _submit(hass, await _start(hass))
    sim.lock.calibration.turn_knob(0)
    flow = await _submit(hass, flow)
    sim.lock.calibration.turn_knob(20)  # not turned far enough
    flow = await _submit(hass, flow)
    assert flow["step_id"] == "too_close"
    assert sim.lock.state == State.UNCALIBRATED
    flow = await _submit(hass, flow)  # try again
    assert flow["step_id"] == "locked"
    assert sim.lock.state == State.CALIBRATION


async def test_the_locks_three_minutes_run_out(hass: HomeAssistant, sim: Sim) -> None:
    await _uncalibrated(hass, sim)
    flow = await _submit(hass, await _start(hass))
    await jump(hass, TIMEOUT + 1)
    assert (Note.CALIBRATION_FINISHED, 3) in sim.lock.calibration.results
    flow = await _submit(hass, flow)
    assert flow["step_id"] == "timed_out"
    assert Op.CALIBRATE_LOCKED not in [op for op, _ in sim.lock.executed]


async def test_closing_the_dialog_cancels_at_the_lock(
    hass: HomeAssistant, sim: Sim
) -> None:
    await _uncalibrated(hass, sim)
    flow = await _submit(hass, await _start(hass))
    assert flow["step_id"] == "locked"
    manager = repairs_flow_manager(hass)
    assert manager is not None
    manager.async_abort(flow["flow_id"])
    await settle(hass, 1)
    assert Op.CALIBRATION_CANCEL in [op for op, _ in sim.lock.executed]
    assert sim.lock.state == State.CALIBRATION_CANCELLED
    assert hass.states.get(LOCK).state == "unknown"


async def test_a_step_out_of_turn_is_refused_by_the_lock(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The simulated lock is strict: CALIBRATE_LOCKED outside calibration is an ERROR."""
    entry = await sim.setup()
    calibrator = entry.runtime_data.calibrator

    with pytest.raises(HomeAssistantError) as err:
        await calibrator.async_step(Command.CALIBRATE_LOCKED)
    assert err.value.translation_key == "result_error"
    assert sim.lock.state == State.LOCKED  # nothing moved


async def test_the_button_offers_calibration_with_the_pull_spring(
    hass: HomeAssistant, sim: Sim, issue_registry: ir.IssueRegistry
) -> None:
    flow = await _calibrated_with_a_spring(hass, sim, ISSUE_CALIBRATE)
    flow = await _submit_while_time_passes(hass, flow, 4)  # it finds the spring
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    assert (Note.PULL_CALIBRATION_FINISHED, 0) in sim.lock.calibration.results
    assert issue_registry.async_get_issue(DOMAIN, f"{ISSUE_CALIBRATE}_{SERIAL}") is None


async def test_a_refused_step_stays_and_says_why(hass: HomeAssistant, sim: Sim) -> None:
    await _uncalibrated(hass, sim)
    sim.lock.faults.next_result[Op.CALIBRATION_INIT] = 0x02  # ERROR, once
    flow = await _submit(hass, await _start(hass))
    assert flow["step_id"] == "confirm"
    assert flow["errors"] == {"base": "result_error"}
    flow = await _submit(hass, flow)  # again: it goes on
    assert flow["step_id"] == "locked"


async def test_no_verdict_from_the_lock_reads_as_failed(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The lock accepted the last step but never said how it went."""
    await _uncalibrated(hass, sim)
    flow = await _submit(hass, await _start(hass))
    flow = await _submit(hass, flow)
    sim.lock.faults.next_result[Op.CALIBRATE_UNLOCKED] = 0x00  # no notification
    flow = await _submit_while_time_passes(hass, flow, 31)
    assert flow["step_id"] == "failed"


async def test_a_spring_that_is_not_found_can_be_tried_again(
    hass: HomeAssistant, sim: Sim
) -> None:
    flow = await _calibrated_with_a_spring(hass, sim)
    sim.lock.faults.next_result[Op.PULL_CALIBRATION_START] = 0x02  # ERROR
    flow = await _submit(hass, flow)
    assert flow["step_id"] == "pull_spring"
    assert flow["errors"] == {"base": "result_error"}
    # Closing now cancels the spring's calibration the lock began.
    manager = repairs_flow_manager(hass)
    assert manager is not None
    manager.async_abort(flow["flow_id"])
    await settle(hass, 1)
    assert Op.PULL_CALIBRATION_CANCEL in [op for op, _ in sim.lock.executed]
    assert (Note.PULL_CALIBRATION_FINISHED, 4) in sim.lock.calibration.results


async def test_a_lock_that_is_not_set_up_cannot_be_calibrated(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    sim.lock.lose_calibration()
    await settle(hass, 1)
    assert await hass.config_entries.async_unload(entry.entry_id)
    flow = await _start(hass)
    assert flow["type"] is FlowResultType.ABORT
    assert flow["reason"] == "not_loaded"


async def test_each_step_the_lock_refuses_stays_on_screen(
    hass: HomeAssistant, sim: Sim
) -> None:
    await _uncalibrated(hass, sim)
    flow = await _submit(hass, await _start(hass))
    sim.lock.faults.next_result[Op.CALIBRATE_LOCKED] = 0x02
    flow = await _submit(hass, flow)
    assert (flow["step_id"], flow["errors"]) == ("locked", {"base": "result_error"})
    flow = await _submit(hass, flow)
    sim.lock.faults.next_result[Op.CALIBRATE_UNLOCKED] = 0x02
    flow = await _submit(hass, flow)
    assert (flow["step_id"], flow["errors"]) == ("unlocked", {"base": "result_error"})
    await jump(hass, TIMEOUT + 1)  # and then the lock's 3 minutes run out
    flow = await _submit(hass, flow)
    assert flow["step_id"] == "timed_out"
    flow = await _submit(hass, flow)  # start again
    assert flow["step_id"] == "locked"


async def test_a_stuck_spring_is_reported_and_an_unreachable_lock_is_let_be(
    hass: HomeAssistant, sim: Sim
) -> None:
    flow = await _calibrated_with_a_spring(hass, sim)
    sim.lock.calibration.spring_stuck = True
    flow = await _submit_while_time_passes(hass, flow, 4)
    assert (flow["step_id"], flow["errors"]) == ("pull_spring", {"base": "pull_failed"})
    # A calibration begun, then the lock out of reach: closing cannot cancel it
    # (its own 3 minutes end it), and says so only in the debug log.
    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON}, blocking=True
    )
    flow = await _submit(hass, await _start(hass, ISSUE_CALIBRATE))
    assert flow["step_id"] == "locked"
    sim.lock.go_out_of_range()
    manager = repairs_flow_manager(hass)
    assert manager is not None
    manager.async_abort(flow["flow_id"])
    await jump(hass, 15)
    assert Op.CALIBRATION_CANCEL not in [op for op, _ in sim.lock.executed]


async def test_a_failed_verdict_offers_to_start_again(
    hass: HomeAssistant, sim: Sim
) -> None:
    await _uncalibrated(hass, sim)
    flow = await _submit(hass, await _start(hass))
    flow = await _submit(hass, flow)
    sim.lock.faults.next_result[Op.CALIBRATE_UNLOCKED] = 0x00  # no verdict comes
    flow = await _submit_while_time_passes(hass, flow, 31)
    assert flow["step_id"] == "failed"
    flow = await _submit(hass, flow)
    assert flow["step_id"] == "locked"


async def test_an_unloaded_lock_ends_the_steps(hass: HomeAssistant, sim: Sim) -> None:
    entry = await sim.setup()
    sim.lock.lose_calibration()
    await settle(hass, 1)
    flow = await _submit(hass, await _start(hass))
    assert await hass.config_entries.async_unload(entry.entry_id)
    flow = await _submit(hass, flow)
    assert (flow["step_id"], flow["errors"]) == ("locked", {"base": "not_loaded"})


async def test_the_button_stays_available_out_of_range(
    hass: HomeAssistant, sim: Sim
) -> None:
    """No unavailable-and-back (two logbook lines) each time the lock is away."""
    await sim.setup()
    sim.lock.go_out_of_range()
    await jump(hass, 120)
    assert hass.states.get(LOCK).state == "unavailable"
    assert hass.states.get(BUTTON).state == "unknown"  # never pressed, available
