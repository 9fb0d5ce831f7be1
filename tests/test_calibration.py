"""An uncalibrated lock: said by a problem sensor and a repair issue, cleared after."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.tedee_bluetooth.const import DOMAIN, ISSUE_UNCALIBRATED
from simulator.wire import Door

from .ha_fixtures import LOCK, Sim, settle
from .test_what_users_read import listen_activity

CALIBRATION = "binary_sensor.front_door_calibration"


async def test_uncalibrated_is_a_problem_and_a_repair_until_calibrated(
    hass: HomeAssistant, sim: Sim, issue_registry: ir.IssueRegistry
) -> None:
    await sim.setup()
    issue_id = f"{ISSUE_UNCALIBRATED}_{sim.lock.config.serial}"
    assert hass.states.get(CALIBRATION).state == "off"
    sim.lock.lose_calibration()
    await settle(hass, 1)
    assert hass.states.get(CALIBRATION).state == "on"
    assert hass.states.get(LOCK).state == "unknown"  # neither locked nor unlocked
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Front door"}
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "lock", "unlock", {"entity_id": LOCK}, blocking=True
        )
    assert err.value.translation_key == "result_not_calibrated"
    sim.lock.calibrated_in_app()  # the owner calibrates it in the Tedee app
    await settle(hass, 1)
    assert hass.states.get(CALIBRATION).state == "off"
    assert hass.states.get(LOCK).state == "unlocked"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_lock_uncalibrated_at_setup_raises_the_issue_at_once(
    hass: HomeAssistant, sim: Sim, issue_registry: ir.IssueRegistry
) -> None:
    sim.lock.lose_calibration()
    await sim.setup()
    assert hass.states.get(CALIBRATION).state == "on"
    issue_id = f"{ISSUE_UNCALIBRATED}_{sim.lock.config.serial}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None


DOOR = "binary_sensor.front_door_door"
DOOR_SENSOR = "binary_sensor.front_door_door_sensor"


@pytest.mark.parametrize("trouble", [Door.DISCONNECTED, Door.UNCALIBRATED])
async def test_a_door_sensor_in_trouble_makes_the_door_unavailable_and_says_why(
    hass: HomeAssistant, sim: Sim, trouble: Door
) -> None:
    sim.lock.config.has_door_sensor = True
    await sim.setup()
    sim.lock.set_door(door_open=False)
    await settle(hass, 1)
    assert hass.states.get(DOOR).state == "off"
    assert hass.states.get(DOOR_SENSOR).state == "off"
    fired = listen_activity(hass)
    sim.lock.door_sensor_trouble(trouble)
    await settle(hass, 1)
    # Not "closed", not "unknown": the position is not known, and this says why.
    assert hass.states.get(DOOR).state == "unavailable"
    problem = hass.states.get(DOOR_SENSOR)
    assert problem.state == "on"
    assert problem.attributes["reason"] == trouble.name.lower()
    sim.lock.set_door(door_open=True)  # back, and the door was opened meanwhile
    await settle(hass, 1)
    assert hass.states.get(DOOR).state == "on"
    assert hass.states.get(DOOR_SENSOR).state == "off"
    assert hass.states.get(DOOR_SENSOR).attributes["reason"] is None
    assert [e.data["type"] for e in fired] == ["door_opened"]  # nothing else moved
