"""Alerts, certificates and time jumps, handled without the user."""

from __future__ import annotations

from datetime import timedelta
import json

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.tedee_bluetooth.const import (
    CONF_CERT_EXPIRATION,
    CONF_CERT_ISSUED,
    CONF_CERTIFICATE,
    CONF_PERSONAL_KEY,
    DOMAIN,
    ISSUE_NOT_REGISTERED,
)
from custom_components.tedee_bluetooth.tedee.wire.logs import EventId

from .ha_fixtures import (
    ACTIVITY,
    LOCK,
    STATUS,
    Sim,
    clock_of,
    jump,
    settle,
    watch_states,
)
from .world import ACCOUNT, KEY


def shift_clocks(sim: Sim, seconds: float) -> None:
    """The lock, the cloud and Home Assistant's wall clock live ``seconds`` ahead."""
    wall = clock_of(sim.hass).wall
    sim.lock.clock = lambda: wall() + seconds
    sim.world.cloud.clock = lambda: wall() + seconds
    for entry in sim.hass.config_entries.async_entries(DOMAIN):
        entry.runtime_data.session.clock = sim.lock.clock


async def test_no_trusted_time_is_recovered_from_the_cloud(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.lock.trusted_time = False
    await sim.setup()
    assert sim.lock.trusted_time
    assert hass.states.get(STATUS).state == "connected"
    assert ("GET", "/api/v37/datetime/getsignedtime") in sim.world.cloud.request_log


@pytest.mark.parametrize("answer", ["short", "none"])
async def test_signed_time_answered_briefly_or_only_by_its_notification(
    hass: HomeAssistant, sim: Sim, answer: str
) -> None:
    """The BLE doc's one-byte answer, or none: the notification is the verdict."""
    sim.lock.trusted_time = False
    sim.lock.faults.signed_time_answer = answer
    entry = await sim.setup()
    assert entry.state is ConfigEntryState.LOADED
    assert sim.lock.trusted_time
    sim.lock.lose_trusted_time()  # and again during the session
    await settle(hass, 0.1)
    assert sim.lock.trusted_time
    assert hass.states.get(STATUS).state == "connected"
    assert len(sim.lock.connect_times) == 1  # the session was never lost


async def test_need_date_time_during_a_session(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    sim.lock.lose_trusted_time()
    await settle(hass, 0.1)
    assert sim.lock.trusted_time
    assert hass.states.get(STATUS).state == "connected"


async def test_key_rejected_when_the_lock_needs_time_starts_reauth(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The key was deleted in the Tedee portal: the user is asked for a new one."""
    await sim.setup()
    await sim.key_deleted_as_the_lock_wants_time()
    assert hass.states.get(STATUS).state == "no_trusted_time"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_the_same_key_accepted_again_brings_the_lock_back(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Reauth with the key the cloud refused, now valid again: taken in place."""
    entry = await sim.setup()
    coordinator, link = entry.runtime_data, sim.lock.connections[0]
    await sim.key_deleted_as_the_lock_wants_time()
    assert hass.states.get(STATUS).state == "no_trusted_time"
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    assert result["errors"] == {"base": "invalid_auth"}  # still refused
    sim.world.cloud.accept_key(KEY)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    assert result["reason"] == "reauth_successful"
    await settle(hass, 1)
    assert entry.state is ConfigEntryState.LOADED
    assert sim.lock.trusted_time  # the signed time went through with the key
    assert hass.states.get(STATUS).state == "connected"
    assert entry.runtime_data is coordinator  # no reload
    assert sim.lock.connections == [link]


async def test_no_trusted_time_and_cloud_down(hass: HomeAssistant, sim: Sim) -> None:
    sim.lock.trusted_time = False
    for _ in range(5):
        sim.world.cloud.fail_next(503, path="getsignedtime")
    entry = sim.entry()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_invalid_cert_is_refreshed_and_retried_once(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry, stale = sim.entry_with_refused_certificate()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_CERTIFICATE] != stale
    assert hass.states.get(STATUS).state == "connected"


def certificate_requests(sim: Sim) -> int:
    return sum(1 for _, path in sim.world.cloud.request_log if "getformobile" in path)


async def test_one_error_alert_is_retried_without_the_cloud(
    hass: HomeAssistant, sim: Sim
) -> None:
    """PROTOCOL.md 2: ERROR - retry the handshake once, then renew the certificate."""
    entry = sim.entry()
    sim.lock.faults.error_on_verify = 1
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "connected"
    assert certificate_requests(sim) == 0


async def test_a_second_error_alert_renews_the_certificate(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = sim.entry()
    old = entry.data[CONF_CERTIFICATE]
    sim.lock.faults.error_on_verify = 2
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert certificate_requests(sim) == 1
    assert entry.data[CONF_CERTIFICATE] != old
    assert hass.states.get(STATUS).state == "connected"


async def test_error_alerts_that_persist_fail_clearly(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = sim.entry()
    sim.lock.faults.error_on_verify = 3
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert certificate_requests(sim) == 1
    assert sim.lock.faults.error_on_verify == 0  # three attempts, no more


async def test_invalid_cert_with_cloud_down(hass: HomeAssistant, sim: Sim) -> None:
    entry, _ = sim.entry_with_refused_certificate()
    sim.world.cloud.fail_next(500, path="getformobile")
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


# Certificates valid 4 minutes: the refresh is due after 2, a few keep-alives in.
SHORT_VALIDITY = timedelta(minutes=4)


async def test_certificate_refreshed_at_half_validity_without_interruption(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.world.cloud.cert_validity = SHORT_VALIDITY
    entry = await sim.setup()
    (conn,) = sim.lock.connections
    old = entry.data[CONF_CERTIFICATE]
    statuses = watch_states(hass, STATUS)
    await jump(hass, 110)
    assert entry.data[CONF_CERTIFICATE] == old  # not yet due
    await jump(hass, 15)
    assert entry.data[CONF_CERTIFICATE] != old
    # The same link and session carried on throughout: no reconnect, no flicker.
    assert conn.is_connected
    assert sim.lock.connections == [conn]
    assert statuses == []
    assert hass.states.get(STATUS).state == "connected"
    issued = dt_util.parse_datetime(entry.data[CONF_CERT_ISSUED])
    assert issued is not None
    assert dt_util.parse_datetime(entry.data[CONF_CERT_EXPIRATION]) > issued


async def test_cloud_failure_during_refresh_retries_later(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.world.cloud.cert_validity = SHORT_VALIDITY
    entry = await sim.setup()
    old = entry.data[CONF_CERTIFICATE]
    sim.world.cloud.fail_next(500, path="getformobile")
    await jump(hass, 125)
    assert certificate_requests(sim) == 1
    assert entry.data[CONF_CERTIFICATE] == old
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await jump(hass, 3600 - 60)
    assert certificate_requests(sim) == 1  # retried after an hour, not before
    await jump(hass, 120)
    assert entry.data[CONF_CERTIFICATE] != old


@pytest.mark.parametrize("status", [401, 403])
async def test_cloud_rejects_key_during_refresh_starts_reauth(
    hass: HomeAssistant, sim: Sim, status: int
) -> None:
    sim.world.cloud.cert_validity = SHORT_VALIDITY
    await sim.setup()
    sim.world.cloud.fail_next(status, path="getformobile")
    await jump(hass, 125)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_ten_day_jump_renews_before_connecting(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = sim.entry_issued_ago(timedelta(days=10, minutes=1))
    old = entry.data[CONF_CERTIFICATE]
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_CERTIFICATE] != old


async def test_expired_certificate_and_rejected_key_start_reauth(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = sim.entry_issued_ago(timedelta(days=11))
    sim.world.cloud.keys.pop(KEY)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    # The user enters a working key: the entry (not loaded, no listener) reloads.
    sim.world.cloud.add_key("fresh-key", ACCOUNT)
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_PERSONAL_KEY: "fresh-key"}
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(STATUS).state == "connected"


async def test_ten_day_jump_lock_side(hass: HomeAssistant, sim: Sim) -> None:
    """The lock lives 10 days ahead: the old certificate is expired for it."""
    await sim.setup()
    shift_clocks(sim, 10 * 24 * 3600 + 60)
    sim.lock.connections[0].drop("time jump")
    await jump(hass, 1)
    await settle(hass, 0.1)
    assert hass.states.get(STATUS).state == "connected"


async def test_24_hour_session_timeout_makes_a_new_session(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    (conn,) = sim.lock.connections
    first_session = conn.session.server.session_id
    shift_clocks(sim, 24 * 3600 + 5)
    await jump(hass, 16)  # keep-alive hits the 24 h limit
    await jump(hass, 1)
    assert hass.states.get(STATUS).state == "connected"
    assert hass.states.get(LOCK).state == "locked"
    sessions = [c.session.server.session_id for c in sim.lock.connections]
    assert sessions
    assert first_session not in sessions


async def test_factory_reset_raises_repair_issue(
    hass: HomeAssistant, sim: Sim, issue_registry: ir.IssueRegistry
) -> None:
    await sim.setup()
    sim.lock.factory_reset()
    await jump(hass, 1)
    await jump(hass, 31)
    assert hass.states.get(STATUS).state == "not_registered"
    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE
    issue = issue_registry.async_get_issue(
        DOMAIN, f"{ISSUE_NOT_REGISTERED}_{sim.lock.config.serial}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {
        "name": "Front door",
        "serial": sim.lock.config.serial,
    }


async def test_flipped_bit_ends_session_and_reconnects(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    (conn,) = sim.lock.connections
    sim.lock.faults.corrupt_next = 1
    sim.lock.set_battery(5)  # this notification arrives tampered
    await settle(hass, 0.05)
    assert not conn.is_connected  # the untrustworthy session was dropped at once
    await jump(hass, 1)
    assert hass.states.get(STATUS).state == "connected"
    assert len(sim.lock.connections) == 1
    # The new session reads the real value from the lock.
    assert hass.states.get("sensor.front_door_battery").state == "5"


async def test_activity_events_live_and_from_logs_without_duplicates(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    fired: list[str] = []

    @callback  # run in the loop: a plain function would go to the executor
    def _on(event: object) -> None:
        new = event.data["new_state"]  # type: ignore[attr-defined]
        if new is not None and new.attributes.get("event_type"):
            fired.append(new.attributes["event_type"])

    async_track_state_change_event(hass, [ACTIVITY], _on)
    sim.lock.press_button()
    await settle(hass, 0.15)
    assert fired == ["unlocked_button"]
    state = hass.states.get(ACTIVITY)
    assert state.attributes["source"] == "lock"
    assert state.attributes["user_id"] is None  # a button has no user
    assert "access_id" not in state.attributes
    assert sim.lock.logs == []  # fetched after HAS_LOGS, not fired twice
    sim.lock.record_event(EventId.POWER_ON, 0)
    await settle(hass, 0.1)
    assert fired == ["unlocked_button", "power_on"]
    assert hass.states.get(ACTIVITY).attributes["source"] == "activity_log"
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 0.15)
    assert fired == ["unlocked_button", "power_on", "locked_remote"]
    # Our own lock, named as the lock logged it: this account's Tedee user.
    attributes = hass.states.get(ACTIVITY).attributes
    assert (attributes["user_id"], attributes["user_name"]) == (1001, "Acct User")


async def test_diagnostics_and_logs_never_show_secrets(
    hass: HomeAssistant, sim: Sim, hass_client: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    entry = await sim.setup()
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)  # type: ignore[arg-type]
    text = json.dumps(diagnostics)
    secrets = [
        KEY,
        entry.data["private_key"],
        entry.data["certificate"],
        entry.data["mobile_id"],
        *entry.data["private_key"].splitlines()[1:3],
        entry.data["certificate"][:40],
    ]
    for secret in secrets:
        assert secret not in text
        assert secret not in caplog.text
    assert diagnostics["entry"]["personal_access_key"] == "**REDACTED**"
    assert diagnostics["session"]["connection_status"] == "connected"
    assert sim.world.cloud.accounts[ACCOUNT].mobiles
