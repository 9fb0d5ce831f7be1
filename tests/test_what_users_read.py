"""What a user reads: activity events that fire once per real occurrence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import (
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.tedee_bluetooth import logbook
from custom_components.tedee_bluetooth.const import (
    CONF_PERSONAL_KEY,
    CONF_SERIAL,
    DOMAIN,
    EVENT_ACTIVITY,
)
from simulator.wire import Status

from .ha_fixtures import LOCK, Sim, jump, settle, watch_states
from .test_activity_who import watch_events
from .test_config_flow import configure, start
from .world import KEY


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
    assert jams[0]["jammed_while"] == "unlocking"
    # Jammed again after a new attempt is a new jam.
    sim.lock.jam_next = True
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "lock", "lock", {"entity_id": LOCK}, blocking=True
        )
    assert err.value.translation_key == "jammed_locking"
    await settle(hass, 2)
    jams = [e for e in events if e["event_type"] == "jammed"]
    assert [jam["jammed_while"] for jam in jams] == ["unlocking", "locking"]


SEMI_LOCKED = "binary_sensor.front_door_semi_locked"


async def test_a_semi_locked_door_is_never_shown_as_unlocked(
    hass: HomeAssistant, sim: Sim
) -> None:
    """A jam leaves the bolt part-way: jammed and semi-locked until it moves again."""
    sim.lock.config.has_door_sensor = True
    await sim.setup()
    assert hass.states.get(SEMI_LOCKED).state == "off"
    sim.lock.jam_next = True
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "lock", "lock", {"entity_id": LOCK}, blocking=True
        )
    await settle(hass, 1)
    assert (hass.states.get(LOCK).state, hass.states.get(SEMI_LOCKED).state) == (
        "jammed",
        "on",
    )
    # The lock clears its jam flag and reports the door; the bolt is still part-way.
    sim.lock.status = Status.OK
    sim.lock.set_door(door_open=True)
    await settle(hass, 1)
    assert hass.states.get("binary_sensor.front_door_door").state == "on"
    assert (hass.states.get(LOCK).state, hass.states.get(SEMI_LOCKED).state) == (
        "jammed",
        "on",
    )
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 1)
    assert (hass.states.get(LOCK).state, hass.states.get(SEMI_LOCKED).state) == (
        "locked",
        "off",
    )


async def test_the_door_entity_exists_right_after_pairing(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The cloud says a door sensor is paired: the entity is there at once."""
    sim.lock.config.has_door_sensor = True
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass, 1)
    door = hass.states.get("binary_sensor.front_door_door")
    assert door is not None  # before the lock ever reported the door
    sim.lock.set_door(door_open=True)
    await settle(hass, 1)
    assert hass.states.get("binary_sensor.front_door_door").state == "on"


async def test_no_door_entity_for_a_lock_without_a_sensor(
    hass: HomeAssistant, sim: Sim
) -> None:
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass, 1)
    assert hass.states.get("binary_sensor.front_door_door") is None


async def _logbook_lines(hass: HomeAssistant, language: str) -> list[str]:
    """What the logbook says for the activity events fired meanwhile."""
    hass.config.language = language
    await async_get_translations(hass, language, "entity", {DOMAIN})
    described: dict[str, Callable[[Event], dict[str, str]]] = {}

    def _register(
        domain: str, event_type: str, describe: Callable[[Event], dict[str, str]]
    ) -> None:
        assert domain == DOMAIN
        described[event_type] = describe

    logbook.async_describe_events(hass, _register)
    return [
        "{name}: {message}".format(**described[EVENT_ACTIVITY](event))
        for event in FIRED[hass]
    ]


FIRED: dict[HomeAssistant, list[Event]] = {}
ANNA = 1002  # a household member's user id


def listen_activity(hass: HomeAssistant) -> list[Event]:
    """Every activity bus event from now on, recorded in the loop as it fires."""
    fired: list[Event] = []

    @callback
    def _record(event: Event) -> None:
        fired.append(event)

    hass.bus.async_listen(EVENT_ACTIVITY, _record)
    return fired


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Front door: Door opened (door sensor)",
                "Front door: Unlocked with the button",
                "Front door: Locked remotely (Acct User)",
                "Front door: Unlocked with the keypad (Anna, PIN Garden gate)",
                "Front door: Jammed (while locking)",
            ],
        ),
        (
            "de",
            [
                "Front door: Tür geöffnet (Türsensor)",
                "Front door: Mit der Taste aufgeschlossen",
                "Front door: Aus der Ferne abgeschlossen (Acct User)",
                "Front door: Mit dem Keypad aufgeschlossen (Anna, PIN Garden gate)",
                "Front door: Blockiert (beim Abschließen)",
            ],
        ),
    ],
)
async def test_the_logbook_says_who_and_how(
    hass: HomeAssistant, sim: Sim, language: str, expected: list[str]
) -> None:
    sim.lock.config.has_door_sensor = True
    # Anna, who has a PIN, is in the lock's activity list: the cloud names her.
    sim.world.cloud.add_user("anna", "Anna", ANNA)
    sim.world.cloud.add_activity(sim.lock.config.device_id, "anna", 0x3D)
    await sim.setup()
    sim.lock.set_door(door_open=False)
    await settle(hass, 1)
    FIRED[hass] = listen_activity(hass)
    sim.lock.set_door(door_open=True)
    await settle(hass, 1)
    sim.lock.press_button()
    await settle(hass, 2)
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 12)
    sim.lock.keypad_unlock(ANNA, "Garden gate")  # her PIN's name
    await settle(hass, 12)
    sim.lock.jam_next = True
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "lock", "lock", {"entity_id": LOCK}, blocking=True
        )
    await settle(hass, 2)
    assert await _logbook_lines(hass, language) == expected
    del FIRED[hass]


async def test_the_logbook_falls_back_to_english_then_to_the_type(
    hass: HomeAssistant, sim: Sim
) -> None:
    await async_get_translations(hass, "en", "entity", {DOMAIN})
    hass.config.language = "fr"  # not translated: English
    assert logbook.describe(hass, {"type": "locked_button"}) == "Locked with the button"
    assert logbook.describe(hass, {"type": "something_new"}) == "something new"
    assert logbook.icon("door_opened") == "mdi:door-open"
    assert logbook.icon("unlocked_button") == "mdi:lock-open-variant"
    assert logbook.icon("locked_remote") == "mdi:lock"
    assert logbook.icon("something_new") == "mdi:history"


async def test_on_demand_says_idle_and_when_the_state_was_read(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup({"connection_mode": "on_demand"})
    await settle(hass, 1)
    status = hass.states.get("sensor.front_door_connection_status")
    assert status.state == "idle"  # not "disconnected": letting go is the plan
    first = status.attributes["last_read"]
    assert first is not None
    await jump(hass, 301)  # the next poll
    status = hass.states.get("sensor.front_door_connection_status")
    assert status.state == "idle"
    assert status.attributes["last_read"] > first


async def test_always_connected_has_no_last_read_to_churn(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    status = hass.states.get("sensor.front_door_connection_status")
    assert status.state == "connected"
    assert "last_read" not in status.attributes


async def test_a_reload_writes_no_unknown_on_the_way_back(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Battery, charging and the door come back with their last values at once."""
    sim.lock.config.has_door_sensor = True
    entry = await sim.setup()
    sim.lock.set_door(door_open=True)
    sim.lock.set_charging(True)
    await settle(hass, 1)
    entities = [
        "sensor.front_door_battery",
        "binary_sensor.front_door_charging",
        "binary_sensor.front_door_door",
    ]
    seen = {e: watch_states(hass, e) for e in entities}
    fired = listen_activity(hass)
    await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass, 5)
    assert seen == {
        "sensor.front_door_battery": ["unavailable", "87"],
        "binary_sensor.front_door_charging": ["unavailable", "on"],
        "binary_sensor.front_door_door": ["unavailable", "on"],
    }
    assert fired == []  # nothing happened at the lock


async def test_a_move_at_the_lock_is_not_the_last_action_in_the_logbook(
    hass: HomeAssistant, sim: Sim, hass_admin_user: Any
) -> None:
    """A keypad unlock seconds after "lock" from Home Assistant is nobody's action."""
    await sim.setup()
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 1)
    action = Context(user_id=hass_admin_user.id)
    await hass.services.async_call(
        "lock", "lock", {"entity_id": LOCK}, blocking=True, context=action
    )
    await settle(hass, 0.5)
    locked = hass.states.get(LOCK)
    assert locked.state == "locked"
    assert locked.context.id == action.id  # our command: the user's action
    sim.lock.keypad_unlock(ANNA, "Anna")  # 1 s later, well within 5 s
    seen: list[State] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            seen.append(new)

    async_track_state_change_event(hass, [LOCK], _record)
    await settle(hass, 1)
    assert [s.state for s in seen] == ["unlocking", "unlocked"]
    assert all(s.context.id != action.id for s in seen)
    assert all(s.context.user_id is None for s in seen)


async def test_a_logbook_line_names_its_entity_so_filters_find_it(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The door's lines belong to the door entity, the lock's to the lock entity."""
    sim.lock.config.has_door_sensor = True
    await sim.setup()
    sim.lock.set_door(door_open=False)
    await settle(hass, 1)
    fired = listen_activity(hass)
    sim.lock.set_door(door_open=True)
    await settle(hass, 1)
    sim.lock.press_button()
    await settle(hass, 3)
    assert [(e.data["type"], e.data["entity_id"]) for e in fired] == [
        ("door_opened", "binary_sensor.front_door_door"),
        ("unlocked_button", LOCK),
    ]
    described: dict[str, Callable[[Event], dict[str, str]]] = {}
    logbook.async_describe_events(
        hass,
        lambda _d, event_type, describe: described.setdefault(event_type, describe),
    )
    line = described[EVENT_ACTIVITY](fired[0])
    assert line["entity_id"] == "binary_sensor.front_door_door"
