"""Coordinator paths a user meets rarely: a link too small, refused time, odd results."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
import logging

from homeassistant.components.lock import LockEntityFeature
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.tedee_bluetooth.const import (
    CONF_CONNECTION_MODE,
    DEFAULT_REFRESH_INTERVAL,
    DOMAIN,
    MODE_ALWAYS,
    MODE_ON_DEMAND,
)
from custom_components.tedee_bluetooth.tedee import SessionConfig
from custom_components.tedee_bluetooth.tedee.wire.const import Command

from .ha_fixtures import (
    ACTIVITY,
    LOCK,
    STATUS,
    Sim,
    clock_of,
    jump,
    settle,
    until_state,
)
from .world import ACCOUNT


async def test_a_link_too_small_says_so_once(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    sim.lock.config.att_mtu = 104
    # Loaded first, so the entry's setup waits on no executor job, only timers.
    assert await async_setup_component(hass, DOMAIN, {})
    entry = sim.entry()
    # The handshake is tried, and waits its 15 s for a server verify that
    # cannot fit the link: on the virtual clock.
    setup = hass.async_create_task(hass.config_entries.async_setup(entry.entry_id))
    await clock_of(hass).until(setup.done, limit=20)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "ATT MTU" in entry.reason
    await jump(hass, 60)
    await jump(hass, 60)
    warnings = [r for r in caplog.records if "a Tedee handshake needs" in r.message]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


async def test_an_unknown_result_code_is_a_translated_error(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.faults.next_result = {Command.UNLOCK: 0x77}
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "lock", "unlock", {"entity_id": LOCK}, blocking=True
        )
    assert err.value.translation_key == "result_error"


async def test_refused_signed_time_during_a_session_is_logged(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    await sim.setup()
    sim.world.cloud.fail_next(500, path="getsignedtime")
    sim.lock.lose_trusted_time()
    await settle(hass, 0.2)
    assert "could not give the lock a signed time" in caplog.text
    # The session goes on, and the status says what the lock lacks.
    assert hass.states.get(STATUS).state == "no_trusted_time"
    assert hass.states.get(LOCK).state == "locked"


async def test_activity_logs_that_cannot_be_fetched_do_not_break_anything(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "custom_components.tedee_bluetooth")
    await sim.setup()
    sim.lock.faults.logs_busy = 99
    sim.lock.record_event(0x22)
    await settle(hass, 2.5)  # BUSY is retried 10 x 0.2 s, then given up
    assert "could not fetch activity logs" in caplog.text
    assert hass.states.get(STATUS).state == "connected"


async def test_on_demand_an_unanswered_command_reads_the_state_again(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    session = entry.runtime_data.session
    session.config = dataclasses.replace(session.config, command_timeout=0.5)
    sim.lock.faults.lose_reply_to = Command.UNLOCK
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "lock", "unlock", {"entity_id": LOCK}, blocking=True
        )
    assert err.value.translation_key == "outcome_unknown"
    await until_state(hass, LOCK, "unlocked")  # read again, not assumed
    assert [op for op, _ in sim.lock.executed].count(Command.UNLOCK) == 1


async def test_no_trusted_time_at_connect_with_the_cloud_refusing(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.trusted_time = False
    sim.world.cloud.keys[next(iter(sim.world.cloud.keys))] = (
        ACCOUNT,
        frozenset({"Mobile.ReadWrite", "DeviceCertificate.Operate"}),
    )
    entry = await sim.setup()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "trusted time" in entry.reason


@pytest.mark.parametrize("mode", [MODE_ALWAYS, MODE_ON_DEMAND])
async def test_a_reset_lock_added_again_is_found_within_ten_minutes(
    hass: HomeAssistant, sim: Sim, mode: str
) -> None:
    """NOT_REGISTERED: every 10 minutes ask the cloud for the lock's (new) key."""
    await sim.setup({CONF_CONNECTION_MODE: mode})
    sim.lock.factory_reset()
    if mode == MODE_ON_DEMAND:
        await jump(hass, DEFAULT_REFRESH_INTERVAL + 1)  # the next poll finds it
    else:
        await jump(hass, 1)
        await jump(hass, 31)
    assert hass.states.get(STATUS).state == "not_registered"
    # A lock that no longer knows this key sends no activity: none to wait for.
    assert hass.states.get(ACTIVITY).state == "unavailable"
    attempts = sim.lock.connect_attempts
    await jump(hass, SessionConfig().not_registered_retry - 60)
    assert sim.lock.connect_attempts == attempts  # it does not hammer the lock
    # The owner adds the lock again in the Tedee app: new keys, known to the cloud.
    record = sim.world.cloud.accounts[ACCOUNT].locks[sim.lock.config.device_id]
    record.device_public_point = sim.lock.add_again()
    await jump(
        hass, SessionConfig().not_registered_retry + 5
    )  # jumps count from now, not add up
    # The status says connected before the state read lands: wait for the state.
    await until_state(hass, LOCK, "locked")
    assert hass.states.get(ACTIVITY).state != "unavailable"
    if mode == MODE_ALWAYS:
        assert hass.states.get(STATUS).state == "connected"
    else:
        assert hass.states.get(STATUS).state == "idle"  # polled, let go on purpose
        assert sim.lock.connections == []


async def setup_update_entity(hass: HomeAssistant) -> None:
    """The homeassistant integration, which owns the update_entity action."""
    assert await async_setup_component(hass, "homeassistant", {})


async def test_update_entity_keeps_the_always_connected_session(
    hass: HomeAssistant, sim: Sim
) -> None:
    await setup_update_entity(hass)
    await sim.setup()
    (conn,) = sim.lock.connections
    before = len(sim.lock.executed)
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": LOCK}, blocking=True
    )
    assert sim.lock.executed[before:][0] == (Command.GET_STATE, b"")  # it did read
    assert conn.is_connected
    assert sim.lock.connections == [conn]
    await jump(hass, 60)  # and the session lives on: keep-alives, no reconnect
    assert conn.is_connected
    assert hass.states.get(STATUS).state == "connected"


async def test_watchdog_reconnects_a_session_that_ended_quietly(
    hass: HomeAssistant, sim: Sim
) -> None:
    """A session gone without a session-lost callback is found by the keep-alive."""
    entry = await sim.setup()
    await entry.runtime_data.session._async_drop()  # quiet: no callback, no timer
    assert sim.lock.connections == []
    await jump(hass, 16)
    assert len(sim.lock.connections) == 1
    assert hass.states.get(STATUS).state == "connected"


async def test_open_is_offered_only_where_pull_spring_is_enabled(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The cloud's lock settings decide; they are read again with each new certificate."""
    sim.world.cloud.cert_validity = timedelta(minutes=4)
    await sim.setup()
    assert (
        hass.states.get(LOCK).attributes["supported_features"] == LockEntityFeature.OPEN
    )
    record = sim.world.cloud.accounts[ACCOUNT].locks[sim.lock.config.device_id]
    record.pull_spring_enabled = False  # the owner disables it in the Tedee app
    await jump(hass, 125)  # the certificate is renewed at half its validity
    assert hass.states.get(LOCK).attributes["supported_features"] == 0
    record.pull_spring_enabled = True
    await jump(hass, 125)
    assert hass.states.get(LOCK).attributes["supported_features"] == 0
    # Renewals are at least an hour apart, however short the validity.
    await jump(hass, 3600 - 125)
    assert (
        hass.states.get(LOCK).attributes["supported_features"] == LockEntityFeature.OPEN
    )
