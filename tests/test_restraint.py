"""Restraint: nothing reaches the lock after the integration was told to stop.

Each test drives real Home Assistant and the simulated lock; a command whose
session is still being made when the entry unloads, reloads, is removed or Home
Assistant stops must never run, and the link that handshake opened is closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tedee_bluetooth.const import (
    CONF_CERTIFICATE,
    CONF_CONNECTION_MODE,
    DOMAIN,
    MODE_ON_DEMAND,
)
from custom_components.tedee_bluetooth.tedee import SessionConfig
from custom_components.tedee_bluetooth.tedee.wire.const import Command

from .ha_fixtures import (
    LOCK,
    STATUS,
    Sim,
    clock_of,
    jump,
    settle,
    until_state,
    watch_states,
)
from .world import ACCOUNT

Stop = Callable[[HomeAssistant, MockConfigEntry], Awaitable[None]]


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_unload(entry.entry_id)


async def _remove(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_remove(entry.entry_id)


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The user's *Reload* (a new key schedules the same)."""
    hass.config_entries.async_schedule_reload(entry.entry_id)
    await settle(hass, 0)


async def _stop_home_assistant(hass: HomeAssistant, _entry: MockConfigEntry) -> None:
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await settle(hass, 0)


async def _refused(hass: HomeAssistant, action: str) -> HomeAssistantError:
    """Call a lock action, move time until it ends; the error it was refused with."""
    call = hass.async_create_task(
        hass.services.async_call("lock", action, {"entity_id": LOCK}, blocking=True)
    )
    await clock_of(hass).until(call.done, limit=15)
    err = call.exception()
    assert isinstance(err, HomeAssistantError)
    return err


STOPS = {
    "unload": _unload,
    "remove": _remove,
    "reload": _reload,
    "Home Assistant stops": _stop_home_assistant,
}


@pytest.mark.parametrize("stop", STOPS.values(), ids=STOPS.keys())
async def test_a_command_waiting_for_its_handshake_never_runs_after_stop(
    hass: HomeAssistant, sim: Sim, stop: Stop
) -> None:
    entry = await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    assert sim.lock.connections == []
    sim.lock.config.latency = 0.4  # a slow radio: the handshake takes ~2.4 s
    call = hass.async_create_task(
        hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    )
    await settle(hass, 0.5)  # the link is open, the handshake under way
    (handshake_link,) = sim.lock.connections
    await stop(hass, entry)
    await jump(hass, 30)
    assert call.done()
    with pytest.raises(HomeAssistantError) as err:
        call.result()
    assert err.value.translation_key == "stopped"
    assert str(err.value) == (
        "Front door is being unloaded or Home Assistant is stopping; "
        "the command was not sent"
    )
    assert Command.UNLOCK not in [op for op, _ in sim.lock.executed]
    assert handshake_link not in sim.lock.connections  # closed, not kept
    # After a reload the new session read the lock on its own link, and let go.
    assert sim.lock.connections == []
    if stop is _reload:
        assert entry.runtime_data.data.state is not None


async def test_sessions_that_die_young_are_not_reconnected_in_a_storm(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Every session dies 0.5 s after its handshake: the back-off still grows."""
    await sim.setup()
    first = len(sim.lock.connect_times)
    sim.lock.faults.drop_sessions_after = 0.5
    sim.lock.connections[0].drop("the radio fades")
    for _ in range(120):  # two minutes, the lock advertising every second
        sim.advertise()
        await jump(hass, 1)
    made = len(sim.lock.connect_times) - first
    print(f"\n{made} connections in 120 s of sessions dying young")
    assert made <= 20
    # The fault ends: the next attempt holds, and a session that lives resets
    # the back-off.
    sim.lock.faults.drop_sessions_after = None
    await until_state(hass, STATUS, "connected", limit=60)
    await jump(hass, 31)
    assert hass.states.get(STATUS).state == "connected"
    sim.lock.connections[0].drop("one blip")
    await until_state(hass, STATUS, "connected", limit=1)


async def test_unlock_then_lock_in_a_script_ends_locked(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The second command waits for the motor (auto-pull included), then runs."""
    sim.lock.config.auto_pull = True  # unlock 1.5 s, pull 0.8 s, hold 1 s
    await sim.setup()
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    locking = hass.async_create_task(
        hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    )
    await jump(hass, 10)
    assert locking.done()
    locking.result()  # no error: it was sent once the motor had settled
    await until_state(hass, LOCK, "locked", limit=5)
    ops = [op for op, _ in sim.lock.executed if op in (Command.LOCK, Command.UNLOCK)]
    assert ops == [Command.UNLOCK, Command.LOCK]


async def test_a_command_is_refused_if_the_motor_does_not_settle_in_time(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.config.move_time = 30.0  # a motor that takes far too long
    await sim.setup()
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 0.5)
    err = await _refused(hass, "lock")
    assert err.translation_key == "lock_moving"
    assert Command.LOCK not in [op for op, _ in sim.lock.executed]


async def test_on_demand_a_poll_keeps_its_link_when_a_linger_ends(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    """The linger's last log fetch does not drop the link under a running poll."""
    entry = await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    sim.lock.config.latency = 0.3  # the poll's reads take a while
    for link in sim.lock.connections:
        link.latency = 0.3
    await jump(hass, 19.5)  # the linger ends at 20 s, in the middle of the poll
    coordinator = entry.runtime_data
    reads = len(sim.lock.executed)
    poll = hass.async_create_task(coordinator.async_refresh())
    await jump(hass, 10)
    assert poll.done()
    assert coordinator.poll_failure is None
    assert "Could not connect" not in caplog.text
    assert hass.states.get(LOCK).state == "unlocked"
    polled = [op for op, _ in sim.lock.executed[reads:]]
    assert Command.GET_STATE in polled and Command.GET_BATTERY in polled
    assert sim.lock.connections == []  # let go once both were done


async def test_not_registered_stays_put_until_a_handshake_works(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The 10-minute re-check neither flaps the status nor rewrites the entry."""
    entry = await sim.setup()
    sim.lock.factory_reset()
    await until_state(hass, STATUS, "not_registered", limit=60)
    states = watch_states(hass, STATUS)
    certificate = entry.data[CONF_CERTIFICATE]
    connects = sim.lock.connect_attempts
    log = len(sim.world.cloud.request_log)
    sim.world.cloud.fail_next(500, path="getformobile")  # one re-check fails
    await jump(hass, 4 * SessionConfig().not_registered_retry + 5)
    assert states == []  # no "disconnected" and back every 10 minutes
    assert entry.data[CONF_CERTIFICATE] == certificate  # nothing rewritten
    assert sim.lock.connect_attempts == connects  # the lock is left alone
    asked = [path for _, path in sim.world.cloud.request_log[log:]]
    assert asked == ["/api/v37/my/devicecertificate/getformobile"] * 4
    # Added again in the Tedee app: the next re-check connects, in one change.
    record = sim.world.cloud.accounts[ACCOUNT].locks[sim.lock.config.device_id]
    record.device_public_point = sim.lock.add_again()
    await until_state(
        hass, STATUS, "connected", limit=SessionConfig().not_registered_retry + 5
    )
    assert states == ["connected"]


def _skew_the_world(sim: Sim, seconds: float) -> None:
    """The lock and the cloud agree on a time ``seconds`` ahead of this host."""
    wall = clock_of(sim.hass).wall
    sim.lock.clock = lambda: wall() + seconds
    sim.world.cloud.clock = lambda: wall() + seconds


async def test_a_skewed_host_clock_is_named_and_spares_the_cloud(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The lock refuses our time: no certificate per attempt, a repair names it."""
    await sim.setup()
    _skew_the_world(sim, 600)  # this host is 10 minutes behind
    log = len(sim.world.cloud.request_log)
    sim.lock.connections[0].drop("the lock restarted")
    await until_state(hass, STATUS, "clock_skew", limit=5)
    await jump(hass, 3600)
    asked = [path for _, path in sim.world.cloud.request_log[log:]]
    # One signed time to measure the difference; no certificate at all.
    assert asked == ["/api/v37/datetime/getsignedtime"]
    attempts = sim.lock.connect_attempts
    assert attempts <= 20  # and the lock is not hammered either
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "clock_skew_10000000-000001")
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Front door", "minutes": "10"}
    # The clock is put right: the next attempt connects and the issue goes.
    _skew_the_world(sim, 0)
    await until_state(hass, STATUS, "connected", limit=601)
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, "clock_skew_10000000-000001") is None
    )


async def test_a_certificate_expired_on_arrival_is_not_fetched_in_a_loop(
    hass: HomeAssistant, sim: Sim
) -> None:
    """A cloud (or clock) that hands out dead certificates costs one an hour."""
    entry = sim.entry_issued_ago(timedelta(days=6))  # due for renewal
    sim.world.cloud.cert_validity = timedelta(days=-1)
    log = len(sim.world.cloud.request_log)
    await hass.config_entries.async_setup(entry.entry_id)
    await jump(hass, 2 * 3600 + 60)
    asked = [path for _, path in sim.world.cloud.request_log[log:]]
    certificates = asked.count("/api/v37/my/devicecertificate/getformobile")
    print(f"\n{len(asked)} cloud requests in 2 h ({certificates} certificates)")
    assert certificates <= 4  # at setup, one refusal, then at most hourly
    assert len(asked) <= 12


async def test_open_from_locked_with_auto_pull_pulls_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The lock pulls by itself on unlocking: the spring is never pulled twice."""
    sim.lock.config.auto_pull = True
    await sim.setup()
    await hass.services.async_call("lock", "open", {"entity_id": LOCK}, blocking=True)
    await until_state(hass, LOCK, "unlocked", limit=5)
    ops = [op for op, _ in sim.lock.executed if op != Command.GET_LOGS_TLV]
    assert ops.count(Command.UNLOCK) == 1
    assert Command.PULL_SPRING not in ops


async def test_open_that_cannot_pull_in_time_says_the_door_is_unlocked(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.config.move_time = 12.0  # unlocking outlasts the one deadline
    await sim.setup()
    err = await _refused(hass, "open")
    assert err.translation_key == "unlocked_not_opened"
    ops = [op for op, _ in sim.lock.executed]
    assert ops.count(Command.UNLOCK) == 1
    assert Command.PULL_SPRING not in ops


async def test_a_renewal_running_at_unload_writes_nothing(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The renewal belongs to the entry: unloading cancels it mid-request."""
    sim.world.cloud.cert_validity = timedelta(minutes=4)
    entry = await sim.setup()
    certificate = entry.data[CONF_CERTIFICATE]
    sim.world.cloud.slow_next(5.0, path="getformobile")
    await jump(hass, 121)  # due at half the validity: the request is under way
    asked = [path for _, path in sim.world.cloud.request_log]
    assert asked[-1] == "/api/v37/my/devicecertificate/getformobile"
    await hass.config_entries.async_unload(entry.entry_id)
    await jump(hass, 10)
    assert entry.data[CONF_CERTIFICATE] == certificate
    assert sim.lock.connections == []


async def test_a_clock_check_the_cloud_cannot_answer_raises_no_issue(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    _skew_the_world(sim, 600)
    sim.world.cloud.fail_next(500, path="getsignedtime")
    sim.lock.connections[0].drop("the lock restarted")
    await until_state(hass, STATUS, "clock_skew", limit=5)
    await settle(hass, 1)
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, "clock_skew_10000000-000001") is None
    )


async def test_a_cloud_that_cannot_list_the_locks_changes_nothing_at_renewal(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.world.cloud.cert_validity = timedelta(minutes=4)
    entry = await sim.setup()
    certificate = entry.data[CONF_CERTIFICATE]
    sim.world.cloud.fail_next(500, path="/my/lock")
    await jump(hass, 125)  # renewed at half the validity; the settings read fails
    assert entry.data[CONF_CERTIFICATE] != certificate
    assert hass.states.get(LOCK).attributes["supported_features"] == 1  # still open
    assert hass.states.get(STATUS).state == "connected"
