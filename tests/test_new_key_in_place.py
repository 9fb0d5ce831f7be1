"""A new Personal Access Key, taken without a reload.

The user enters it in the re-authentication (or reconfigure) dialog; the link
and the entities stay, so the logbook gets no "unavailable" and back, and what
the cloud refused for the old key is done at once with the new one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tedee_bluetooth.const import (
    CONF_CERTIFICATE,
    CONF_PERSONAL_KEY,
    DOMAIN,
)
from simulator.cloud import ALL_SCOPES

from .ha_fixtures import LOCK, STATUS, Sim, jump, settle, until_state, watch_states
from .world import ACCOUNT, KEY

NEW_KEY = "new-key"
AUTO_LOCK = "switch.front_door_auto_lock"
READ_ONLY_AUTO_LOCK = "binary_sensor.front_door_auto_lock"


def _status(hass: HomeAssistant) -> str:
    state = hass.states.get(STATUS)
    assert state is not None
    return state.state


async def _answer_reauth(hass: HomeAssistant, key: str) -> dict[str, Any]:
    """The user enters ``key`` in the one re-authentication dialog."""
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    result: dict[str, Any] = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PERSONAL_KEY: key}
    )
    await settle(hass, 1)
    return result


async def _renewal_refused(sim: Sim) -> MockConfigEntry:
    """A lock set up with a short certificate; the key deleted before its renewal.

    The renewal is due and refused: the user is asked for a new key.
    """
    sim.world.cloud.cert_validity = timedelta(minutes=4)
    entry = await sim.setup()
    sim.world.cloud.reject_key(KEY)
    await jump(sim.hass, 125)
    return entry


async def test_a_deleted_key_replaced_keeps_the_link_and_the_states(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The lock asked for a signed time the old key could not get: now it has it."""
    entry = await sim.setup()
    coordinator, link = entry.runtime_data, sim.lock.connections[0]
    seen = watch_states(hass, LOCK)
    await sim.key_deleted_as_the_lock_wants_time()
    assert _status(hass) == "no_trusted_time"
    sim.world.cloud.add_key(NEW_KEY, ACCOUNT)
    assert (await _answer_reauth(hass, NEW_KEY))["reason"] == "reauth_successful"
    assert entry.data[CONF_PERSONAL_KEY] == NEW_KEY
    assert entry.runtime_data is coordinator  # no reload
    assert sim.lock.connections == [link]
    assert sim.lock.trusted_time  # the signed time, with the new key
    assert _status(hass) == "connected"
    assert seen == []  # nothing for the logbook
    # From now on every cloud request carries the new key.
    sim.lock.lose_trusted_time()
    await settle(hass, 0.1)
    assert sim.lock.trusted_time
    assert _status(hass) == "connected"
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_a_renewal_refused_for_the_old_key_is_made_at_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await _renewal_refused(sim)
    coordinator = entry.runtime_data
    old = entry.data[CONF_CERTIFICATE]
    sim.world.cloud.add_key(NEW_KEY, ACCOUNT)
    assert (await _answer_reauth(hass, NEW_KEY))["reason"] == "reauth_successful"
    assert entry.data[CONF_CERTIFICATE] != old  # renewed now, not in an hour
    assert entry.runtime_data is coordinator
    assert _status(hass) == "connected"


async def test_a_session_that_wanted_a_signed_time_is_made_at_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Not after the back-off: the lock is connected as soon as the key works."""
    await sim.setup()
    sim.world.cloud.reject_key(KEY)
    sim.lock.trusted_time = False  # it lost its clock (a battery change) ...
    sim.lock.connections[0].drop("supervision timeout")  # ... and the link
    await jump(hass, 120)  # every reconnect is refused for want of a signed time
    assert _status(hass) == "no_trusted_time"
    attempts = sim.lock.connect_attempts
    sim.world.cloud.add_key(NEW_KEY, ACCOUNT)
    assert (await _answer_reauth(hass, NEW_KEY))["reason"] == "reauth_successful"
    assert _status(hass) == "connected"
    assert sim.lock.connect_attempts == attempts + 1
    assert sim.lock.trusted_time


async def test_settings_read_only_for_want_of_a_scope_come_back_with_a_key_that_has_it(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The sensors become switches again, in place like the key."""
    sim.world.cloud.keys[KEY] = (ACCOUNT, ALL_SCOPES - {"Device.ReadWrite"})
    entry = await sim.setup()
    coordinator = entry.runtime_data
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "switch", "turn_on", {"entity_id": AUTO_LOCK}, blocking=True
        )
    await settle(hass, 1)
    assert hass.states.get(READ_ONLY_AUTO_LOCK) is not None
    sim.world.cloud.add_key(NEW_KEY, ACCOUNT)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PERSONAL_KEY: NEW_KEY}
    )
    assert result["reason"] == "reconfigure_successful"
    await settle(hass, 2)
    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get(AUTO_LOCK)
    assert state is not None
    assert state.state == "off"
    assert er.async_get(hass).async_get(READ_ONLY_AUTO_LOCK) is None
    assert entry.runtime_data is coordinator  # no reload
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": AUTO_LOCK}, blocking=True
    )
    assert hass.states.get(AUTO_LOCK).state == "on"  # and the new key may change it


async def test_a_key_given_as_the_entry_unloads_changes_nothing_after(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The certificate is fetched with the new key; the entry unloads meanwhile."""
    entry = await _renewal_refused(sim)
    coordinator = entry.runtime_data
    sim.world.cloud.add_key(NEW_KEY, ACCOUNT)
    sim.world.cloud.slow_next(5, path="getformobile")
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PERSONAL_KEY: NEW_KEY}
    )
    await settle(hass, 1)  # the renewal is under way
    since = len(sim.world.cloud.request_log)
    await hass.config_entries.async_unload(entry.entry_id)
    await jump(hass, 600)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert sim.lock.connections == []
    # Nothing asked of the cloud after the unload (no names, no signed time).
    assert sim.world.cloud.request_log[since:] == []
    assert coordinator.session.stopped


async def test_the_same_key_valid_again_on_a_lock_out_of_range(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Nothing to connect to: the key is kept, and used when the lock is back."""
    await sim.setup()
    await sim.key_deleted_as_the_lock_wants_time()
    await sim.out_of_range()
    sim.world.cloud.accept_key(KEY)
    assert (await _answer_reauth(hass, KEY))["reason"] == "reauth_successful"
    await jump(hass, 60)
    assert sim.lock.connections == []
    sim.lock.in_range = True
    sim.advertise()
    await until_state(hass, STATUS, "connected", limit=10)
    assert sim.lock.trusted_time


async def test_a_lock_that_refused_the_expired_certificate_is_connected_at_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The key was deleted long enough for the certificate to expire.

    The lock refuses the old certificate, no renewal is possible; the new key
    renews it and the lock is connected now, not at the end of the back-off.
    """
    entry = await _renewal_refused(sim)
    await jump(hass, 180)  # the 4-minute certificate has expired meanwhile
    sim.lock.connections[0].drop("supervision timeout")
    await jump(hass, 70)  # refused at once and again 60 s later; next in 300 s
    assert _status(hass) == "invalid_certificate"
    attempts = sim.lock.connect_attempts
    old = entry.data[CONF_CERTIFICATE]
    sim.world.cloud.add_key(NEW_KEY, ACCOUNT)
    assert (await _answer_reauth(hass, NEW_KEY))["reason"] == "reauth_successful"
    assert entry.data[CONF_CERTIFICATE] != old
    assert _status(hass) == "connected"
    assert sim.lock.connect_attempts == attempts + 1
