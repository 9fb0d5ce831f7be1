"""Less common session paths: back-off, range tracking, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
import time
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest

from custom_components.tedee_bluetooth.const import (
    CONF_CERT_EXPIRATION,
    CONF_CERT_ISSUED,
    CONF_CERTIFICATE,
    CONF_CONNECTION_MODE,
    MODE_ON_DEMAND,
)
from custom_components.tedee_bluetooth.tedee.wire.const import Command

from .ha_fixtures import (
    BATTERY,
    LOCK,
    STATUS,
    Sim,
    jump,
    settle,
    until_state,
    watch_states,
)


@contextmanager
def bluetooth_time(offset: float) -> Iterator[None]:
    """Home Assistant's Bluetooth stack believes ``offset`` seconds have passed."""
    now = time.monotonic() + offset

    def fake() -> float:
        return now

    with (
        patch("habluetooth.base_scanner.monotonic_time_coarse", fake),
        patch("habluetooth.manager.monotonic_time_coarse", fake),
        patch("homeassistant.components.bluetooth.MONOTONIC_TIME", fake),
    ):
        yield


async def test_reconnect_backs_off_1_2_5_10_30(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    start = sim.lock.clock()
    attempts = len(sim.lock.connect_times)
    sim.lock.go_out_of_range()  # radio silent, HA still has the lock cached
    await jump(hass, 120)
    times = [t - start for t in sim.lock.connect_times[attempts:]]
    # Each reconnect is two tries (bleak-retry-connector's), the first at once;
    # then the pause after a failed reconnect grows 1, 2, 5, 10, 30 s, capped at 30
    # (plus the connector's own 0.1 s pause after its last try).
    starts, ends = times[0::2], times[1::2]
    assert starts[0] < 0.05
    gaps = [s - e for e, s in zip(ends, starts[1:], strict=False)]
    schedule = [1.0, 2.0, 5.0, 10.0, 30.0, 30.0, 30.0]
    assert len(gaps) == len(schedule)
    for gap, pause in zip(gaps, schedule, strict=True):
        assert pause <= gap <= pause + 0.2


async def test_out_of_range_status_from_bluetooth_tracking(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.go_out_of_range()
    await settle(hass)
    with bluetooth_time(400):
        await jump(hass, 400)
        await jump(hass, 301)
    assert hass.states.get(STATUS).state == "out_of_range"
    assert hass.states.get(LOCK).state == "unavailable"
    sim.lock.in_range = True
    sim.advertise()
    await settle(hass, 0.1)
    await jump(hass, 5)  # an attempt still in bleak-retry-connector's back-off ends
    await jump(hass, 1)
    assert hass.states.get(STATUS).state == "connected"
    assert hass.states.get(LOCK).state == "locked"


async def test_certificate_refused_even_after_renewal(
    hass: HomeAssistant, sim: Sim
) -> None:
    sim.world.cloud.cert_validity = timedelta(
        days=-1
    )  # the cloud only hands out dead certificates
    entry = sim.entry()
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_CERT_ISSUED: dt_util.utcnow().isoformat(),
            CONF_CERT_EXPIRATION: (dt_util.utcnow() + timedelta(days=10)).isoformat(),
        },
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "refused the certificate" in (entry.reason or "")


async def test_signed_time_refused_by_lock(hass: HomeAssistant, sim: Sim) -> None:
    sim.lock.trusted_time = False
    sim.lock.faults.refuse_time = 99
    entry = sim.entry()
    with patch(
        "custom_components.tedee_bluetooth.tedee.link.operations.SIGNED_TIME_RETRY_DELAY",
        0,
    ):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "no trusted time" in (entry.reason or "")


async def test_expired_certificate_with_cloud_down_retries_setup(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = sim.entry_issued_ago(timedelta(days=11))
    sim.world.cloud.fail_next(503, path="getformobile")
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert (
        entry.data[CONF_CERTIFICATE]
        == sim.hass.config_entries.async_get_entry(entry.entry_id).data[
            CONF_CERTIFICATE
        ]
    )


async def test_on_demand_refresh_failure_marks_unavailable(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    await sim.setup({"connection_mode": "on_demand"})
    assert hass.states.get(LOCK).state == "locked"
    sim.lock.go_out_of_range()
    await jump(hass, 301)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LOCK).state == "unavailable"
    # The log names the lock and does not claim a command was withheld.
    assert "Could not connect to Front door over Bluetooth" in caplog.text
    assert "{name}" not in caplog.text
    assert "the command was not sent" not in caplog.text


@pytest.mark.parametrize(
    "step",
    # every handshake step, then the first GET_STATE after it
    ["hello", "verify_request", "client_verify", "0x5a"],
)
async def test_drop_during_handshake_or_first_read_retries_setup(
    hass: HomeAssistant, sim: Sim, step: str
) -> None:
    sim.lock.faults.drop_link_at = step
    entry = sim.entry()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason == (
        "Could not connect to Front door over Bluetooth. Nothing was sent to the lock"
    )
    assert sim.lock.connections == []  # the link was closed, not left behind


async def test_drop_during_the_first_battery_read_is_an_ordinary_drop(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Entities are written after the first state; the battery follows."""
    sim.lock.faults.drop_link_at = "0x0c"
    entry = sim.entry()
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(LOCK).state == "locked"
    await jump(hass, 1)  # the drop is reconnected at once, and the battery read
    assert hass.states.get(STATUS).state == "connected"
    assert len(sim.lock.connections) == 1
    assert hass.states.get(BATTERY).state == "87"


async def test_drop_during_reconnect_handshake_then_recovers(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.faults.drop_link_at = "client_verify"
    sim.lock.connections[0].drop("glitch")
    await jump(hass, 1)  # the immediate reconnect dies in the handshake
    await jump(hass, 2)  # the next one (after back-off) succeeds
    assert hass.states.get(STATUS).state == "connected"
    assert hass.states.get(LOCK).state == "locked"


async def test_deadline_during_the_handshake_closes_the_link(
    hass: HomeAssistant, sim: Sim
) -> None:
    """A command refused mid-handshake leaves no half-open link behind."""
    await sim.setup({CONF_CONNECTION_MODE: MODE_ON_DEMAND})
    assert sim.lock.connections == []
    sim.lock.faults.stall_at = "verify_request"  # the lock stops answering
    task = hass.async_create_task(
        hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    )
    await jump(hass, 11)
    assert task.done()
    with pytest.raises(HomeAssistantError):
        task.result()
    assert sim.lock.connections == []  # closed at once, not at the lock's timeout
    assert hass.states.get(STATUS).state != "connecting"
    # The next command makes exactly one new link and works.
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    assert len(sim.lock.connections) == 1
    assert Command.UNLOCK in [op for op, _ in sim.lock.executed]


async def test_not_heard_and_cannot_connect_says_out_of_range(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    """One change per outage and one per recovery, with the reason in the log."""
    caplog.set_level("INFO")
    await sim.setup()
    states = watch_states(hass, STATUS, changes_only=True)
    sim.lock.go_out_of_range()
    with bluetooth_time(40):  # nothing heard for 40 s (HA still has it cached)
        await jump(hass, 60)
    assert states == ["disconnected", "out_of_range"]
    assert "Front door is out of range: not heard for 40 s" in caplog.text
    assert "is unavailable: out_of_range" in caplog.text
    sim.lock.in_range = True
    connections = len(sim.lock.connect_times)
    # Back in range but not yet heard: no timer tries, whatever the load.
    with bluetooth_time(40):
        await jump(hass, 60)
    assert len(sim.lock.connect_times) == connections
    assert states == ["disconnected", "out_of_range"]
    # Heard again, on Bluetooth's clock after the silence: straight to connected.
    with bluetooth_time(101):
        sim.advertise()
        await until_state(hass, STATUS, "connected", limit=2)
    assert states == ["disconnected", "out_of_range", "connected"]
