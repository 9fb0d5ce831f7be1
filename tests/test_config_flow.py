"""Config flow against the simulated cloud and lock, through HA's Bluetooth stack."""

from __future__ import annotations

from typing import Any

from homeassistant.components.bluetooth import async_discovered_service_info
from homeassistant.config_entries import (
    EVENT_FLOW_DISCOVERED,
    SOURCE_BLUETOOTH,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.tedee_bluetooth.const import (
    CONF_CONNECTION_MODE,
    CONF_PERSONAL_KEY,
    CONF_PULL_ON_UNLOCK,
    CONF_REFRESH_INTERVAL,
    CONF_SERIAL,
    DOMAIN,
    MODE_ON_DEMAND,
)
from custom_components.tedee_bluetooth.pairing import pairing_failure
from custom_components.tedee_bluetooth.tedee.wire.crypto import (
    generate_private_key,
    public_point,
)
from simulator.lock import SimulatedLock

from .ha_fixtures import Sim, clock_of, settle
from .world import ACCOUNT, KEY, fast_config


async def start(hass: HomeAssistant) -> dict[str, Any]:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )  # type: ignore[return-value]


async def configure(
    hass: HomeAssistant, flow_id: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Submit a step; through a progress step, as the frontend follows it."""
    result: dict[str, Any] = await hass.config_entries.flow.async_configure(
        flow_id, data
    )  # type: ignore[assignment]
    await hass.async_block_till_done()
    if result["type"] is FlowResultType.SHOW_PROGRESS:
        assert result["step_id"] == "pair"
        assert result["progress_action"] == "pairing"
        result = await follow_progress(hass, flow_id)
    return result


async def follow_progress(hass: HomeAssistant, flow_id: str) -> dict[str, Any]:
    """Wait out the progress step (shown at least 1 s), then fetch the next step."""
    await settle(hass, 1.0)
    await hass.async_block_till_done()
    flow = hass.config_entries.flow.async_get(flow_id)
    assert flow["step_id"] != "pair"  # the progress step ended on its own
    result: dict[str, Any] = await hass.config_entries.flow.async_configure(flow_id)  # type: ignore[assignment]
    await hass.async_block_till_done()
    return result


def mobiles(sim: Sim) -> dict[str, Any]:
    return sim.world.cloud.accounts[ACCOUNT].mobiles


async def test_user_flow_pairs_and_creates_entry(hass: HomeAssistant, sim: Sim) -> None:
    result = await start(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: f"  {KEY} "})
    assert result["step_id"] == "pick"
    before = set(mobiles(sim))
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(  # type: ignore[assignment]
        flow_id, {CONF_SERIAL: sim.lock.config.serial}
    )
    # Pairing takes seconds over Bluetooth: the dialog shows progress meanwhile.
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "pairing"
    assert result["description_placeholders"] == {
        "name": "Front door",
        "serial": sim.lock.config.serial,
    }
    await hass.async_block_till_done()
    # Paired, but the spinner stays up a moment so the frontend sees the step end.
    assert hass.config_entries.flow.async_get(flow_id)["step_id"] == "pair"
    result = await follow_progress(hass, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Front door"
    entry = result["result"]
    assert entry.unique_id == sim.lock.config.serial
    assert entry.data[CONF_PERSONAL_KEY] == KEY
    assert entry.data["pull_spring_enabled"] is True  # from the cloud's settings
    (new_mobile,) = set(mobiles(sim)) - before
    assert entry.data["mobile_id"] == new_mobile
    assert mobiles(sim)[new_mobile]["name"].startswith("Home Assistant")
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("lock.front_door").state == "locked"


@pytest.mark.parametrize(
    ("prepare", "error", "placeholder"),
    [
        (lambda s: None, "invalid_auth", None),
        (
            lambda s: s.world.cloud.add_key(
                "wrong", ACCOUNT, frozenset({"Mobile.ReadWrite"})
            ),
            "missing_scope",
            ("scope", "Device.Read"),
        ),
        (lambda s: s.world.cloud.fail_next(500), "cannot_connect", None),
        (
            lambda s: s.world.cloud.fail_next(429, retry_after=42),
            "rate_limited",
            ("retry_after", "42"),
        ),
        (
            lambda s: s.world.cloud.fail_next(200, malformed=True),
            "cannot_connect",
            None,
        ),
        (lambda s: s.world.cloud.add_key("wrong", "empty-account"), "no_locks", None),
    ],
)
async def test_user_step_errors_then_success(
    hass: HomeAssistant,
    sim: Sim,
    prepare: Any,
    error: str,
    placeholder: tuple[str, str] | None,
) -> None:
    prepare(sim)
    result = await start(hass)
    key = "wrong" if error in ("missing_scope", "no_locks", "invalid_auth") else KEY
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: key})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    if placeholder:
        assert result["description_placeholders"][placeholder[0]] == placeholder[1]
    if error == "rate_limited":
        # Retry-After is honoured: asked again at once, nothing is sent.
        sent = len(sim.world.cloud.request_log)
        again = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: KEY})
        assert again["errors"] == {"base": "rate_limited"}
        assert len(sim.world.cloud.request_log) == sent
        await settle(hass, 42)
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: KEY})
    assert result["step_id"] == "pick"


async def test_pick_marks_locks_heard_over_bluetooth(
    hass: HomeAssistant, sim: Sim
) -> None:
    far = SimulatedLock(
        sim.world.cloud.ca.public_key,
        fast_config(serial="20000000-000002", device_id=4242, name="Garage"),
    )
    sim.world.cloud.add_simulated_lock(ACCOUNT, far)
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    options = result["data_schema"].schema[CONF_SERIAL].config["options"]
    # Labels carry no untranslated words; the translated description names the
    # locks in range, and those come first.
    assert [o["label"] for o in options] == [
        f"Front door ({sim.lock.config.serial})",
        "Garage (20000000-000002)",
    ]
    assert result["description_placeholders"] == {"heard": "Front door"}
    before = dict(mobiles(sim))
    result = await configure(hass, result["flow_id"], {CONF_SERIAL: "20000000-000002"})
    assert result["errors"] == {"base": "not_in_range"}
    assert mobiles(sim) == before  # nothing registered for a lock we cannot hear
    # The lock comes into range: submitting the form again pairs it.
    sim.scanner.add_lock(far)
    sim.locks.append(far)
    result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garage"


@pytest.mark.parametrize(
    ("break_it", "error"),
    [
        ("factory_reset", "lock_not_registered"),
        ("out_of_range", "lock_unreachable"),
        ("impostor", "not_our_lock"),
        ("no_time_cloud_down", "lock_no_trusted_time"),
        ("scope", "missing_scope"),
    ],
)
async def test_failed_pairing_leaves_no_registration(
    hass: HomeAssistant, sim: Sim, break_it: str, error: str
) -> None:
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    before = dict(mobiles(sim))
    if break_it == "factory_reset":
        sim.lock.factory_reset()
    elif break_it == "out_of_range":
        sim.lock.go_out_of_range()  # still in HA's cache, but refuses connections
    elif break_it == "impostor":
        record = sim.world.cloud.accounts[ACCOUNT].locks[sim.lock.config.device_id]
        record.device_public_point = public_point(generate_private_key())
    elif break_it == "no_time_cloud_down":
        sim.lock.trusted_time = False
        sim.lock.faults.refuse_time = 99
    else:
        sim.world.cloud.keys[KEY] = (
            ACCOUNT,
            frozenset({"Device.Read", "Mobile.ReadWrite"}),
        )
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair_failed"
    assert result["errors"] == {"base": error}
    if break_it == "scope":
        assert (
            result["description_placeholders"]["scope"] == "DeviceCertificate.Operate"
        )
    assert mobiles(sim) == before  # the registration was deleted again
    assert not hass.config_entries.async_entries(DOMAIN)
    if break_it == "impostor":
        # The certificate never reached the lock: it saw no client verify.
        assert all(
            c.session.server.state.name != "ESTABLISHED" for c in sim.lock.connections
        )


async def test_pairing_over_a_link_too_small_says_so(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Below ATT MTU 138 no handshake can work: a clear error, not a timeout."""
    sim.lock.config.att_mtu = 104
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    before = dict(mobiles(sim))
    # Tried: the server verify that cannot fit the link is waited for 15 s,
    # on the virtual clock.
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(  # type: ignore[assignment]
        flow_id, {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS

    def pairing_over() -> bool:
        return hass.config_entries.flow.async_get(flow_id)["step_id"] != "pair"

    await clock_of(hass).until(pairing_over, limit=20)
    result = await hass.config_entries.flow.async_configure(flow_id)  # type: ignore[assignment]
    assert result["errors"] == {"base": "mtu_too_small"}
    assert result["description_placeholders"]["mtu"] == "104"
    assert result["description_placeholders"]["needed"] == "138"
    assert mobiles(sim) == before
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.parametrize("break_it", ["another_key", "lock_error", "bad_lock_key"])
async def test_pairing_refuses_a_certificate_or_lock_it_cannot_trust(
    hass: HomeAssistant, sim: Sim, break_it: str
) -> None:
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    before = dict(mobiles(sim))
    if break_it == "another_key":
        sim.world.cloud.certify_another_key = True
    elif break_it == "bad_lock_key":  # the cloud vouches for no point on P-256
        record = sim.world.cloud.accounts[ACCOUNT].locks[sim.lock.config.device_id]
        record.device_public_point = b"\x04" + bytes(64)
    else:
        sim.lock.faults.next_result = {0x5A: 0x02}  # GET_STATE answers ERROR
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    expected = "lock_unreachable" if break_it == "lock_error" else "cannot_connect"
    assert result["errors"] == {"base": expected}
    assert mobiles(sim) == before
    assert sim.lock.connections == []  # whatever failed, the link was closed
    if break_it == "another_key":  # it never reached the lock
        assert sim.lock.connect_attempts == 0


async def test_a_registration_that_cannot_be_deleted_is_logged(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    sim.lock.go_out_of_range()
    sim.world.cloud.fail_next(500, method="DELETE")
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["errors"] == {"base": "lock_unreachable"}
    assert "Could not delete the unfinished registration" in caplog.text


async def test_pairing_with_line_wrapped_keys(hass: HomeAssistant, sim: Sim) -> None:
    """The vendor's examples wrap base64; keys are compared as bytes, not text."""
    sim.world.cloud.wrap_base64 = True
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "\n" in result["result"].data["certificate"]
    assert hass.states.get("lock.front_door").state == "locked"


async def test_already_configured(hass: HomeAssistant, sim: Sim) -> None:
    await sim.setup()
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "all_configured"


def discovery(hass: HomeAssistant, sim: Sim) -> Any:
    return next(
        info
        for info in async_discovered_service_info(hass)
        if info.address.startswith("D0:7E:DE")
    )


async def test_bluetooth_discovery_asks_for_key(hass: HomeAssistant, sim: Sim) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=discovery(hass, sim)
    )
    assert result["step_id"] == "bluetooth_confirm"
    assert CONF_PERSONAL_KEY in result["data_schema"].schema
    # Two locks in range are told apart by name and serial.
    assert result["description_placeholders"] == {
        "serial": sim.lock.config.serial,
        "name": discovery(hass, sim).name,
    }
    sim.world.cloud.add_key("other-account", "someone-else")
    sim.world.cloud.accounts["someone-else"].locks[1] = (
        sim.world.cloud.accounts[ACCOUNT]
        .locks[sim.lock.config.device_id]
        .__class__(1, "30000000-000003", "Other", 4, b"")
    )
    result = await configure(
        hass, result["flow_id"], {CONF_PERSONAL_KEY: "other-account"}
    )
    assert result["errors"] == {"base": "lock_not_on_account"}
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: "nope"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: KEY})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == sim.lock.config.serial


async def test_bluetooth_discovery_reuses_key_of_existing_entry(
    hass: HomeAssistant, sim: Sim
) -> None:
    second = sim.add_lock(serial="20000000-000002", device_id=4242, name="Garage")
    await sim.setup()
    info = next(
        i
        for i in async_discovered_service_info(hass)
        if i.name == second.config.local_name
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=info
    )
    # No key field, no words about one; named as in the Tedee app.
    assert result["step_id"] == "bluetooth_confirm_account"
    assert CONF_PERSONAL_KEY not in result["data_schema"].schema
    assert result["description_placeholders"] == {
        "serial": "20000000-000002",
        "name": "Garage",
    }
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["title_placeholders"] == {"name": "Garage"}
    result = await configure(hass, result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garage"
    assert result["data"][CONF_PERSONAL_KEY] == KEY


async def test_bluetooth_discovery_of_configured_lock_aborts(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=discovery(hass, sim)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_bluetooth_discovery_without_serial_aborts(
    hass: HomeAssistant, sim: Sim
) -> None:
    info = discovery(hass, sim)
    bare = info.__class__(
        name=info.name,
        address=info.address,
        rssi=info.rssi,
        manufacturer_data={},
        service_data={},
        service_uuids=["00000002-4899-489f-a301-fbee544b1db0"],
        source=info.source,
        device=info.device,
        advertisement=info.advertisement,
        connectable=True,
        time=info.time,
        tx_power=None,
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=bare
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


@pytest.mark.parametrize("source", ["reauth", "reconfigure"])
async def test_new_key_flows(hass: HomeAssistant, sim: Sim, source: str) -> None:
    entry = await sim.setup()
    coordinator, link = entry.runtime_data, sim.lock.connections[0]
    sim.world.cloud.add_key("new-key", ACCOUNT)
    sim.world.cloud.add_key("foreign", "someone-else")
    sim.world.cloud.accounts["someone-else"].locks[1] = (
        sim.world.cloud.accounts[ACCOUNT]
        .locks[sim.lock.config.device_id]
        .__class__(1, "30000000-000003", "Other", 4, b"")
    )
    if source == "reauth":
        result = await entry.start_reauth_flow(hass)
        assert result["step_id"] == "reauth_confirm"
    else:
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: "bad"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: "foreign"})
    assert result["errors"] == {"base": "lock_not_on_account"}
    result = await configure(hass, result["flow_id"], {CONF_PERSONAL_KEY: "new-key"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{source}_successful"
    assert entry.data[CONF_PERSONAL_KEY] == "new-key"
    assert entry.state is ConfigEntryState.LOADED
    # Taken in place by the entry's update listener: same coordinator, same link.
    assert entry.runtime_data is coordinator
    assert sim.lock.connections == [link]
    assert entry.runtime_data.personal_key_snapshot == "new-key"
    assert hass.states.get("lock.front_door").state == "locked"


async def test_options_flow_reloads(hass: HomeAssistant, sim: Sim) -> None:
    entry = await sim.setup()
    assert len(sim.lock.connections) == 1
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    assert result["description_placeholders"] == {"name": "Front door"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_PULL_ON_UNLOCK: False,
            CONF_CONNECTION_MODE: MODE_ON_DEMAND,
            CONF_REFRESH_INTERVAL: 120.0,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_PULL_ON_UNLOCK: False,
        "read_activity_log": True,  # the default: who did it needs the log
        CONF_CONNECTION_MODE: MODE_ON_DEMAND,
        CONF_REFRESH_INTERVAL: 120,
    }
    assert entry.runtime_data.always_connected is False
    await settle(hass)  # battery and version are read after the first state
    assert sim.lock.connections == []  # reloaded in on-demand mode


async def test_user_flow_wins_over_a_pending_discovery(
    hass: HomeAssistant, sim: Sim
) -> None:
    discovered = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=discovery(hass, sim)
    )
    assert discovered["step_id"] == "bluetooth_confirm"
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_closing_the_dialog_while_pairing_leaves_nothing_behind(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The user gives up mid-handshake: registration deleted, Bluetooth link closed."""
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    before = dict(mobiles(sim))
    sim.lock.faults.stall_at = "hello"  # the lock never answers the handshake
    result = await hass.config_entries.flow.async_configure(  # type: ignore[assignment]
        result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await settle(hass, 0.5)
    assert len(mobiles(sim)) == len(before) + 1  # registered, now proving it
    assert len(sim.lock.connections) == 1
    hass.config_entries.flow.async_abort(result["flow_id"])
    # The cancelled pairing deletes its registration (a request to the cloud).
    await clock_of(hass).until(lambda: mobiles(sim) == before, 5)
    assert mobiles(sim) == before
    assert sim.lock.connections == []
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.parametrize(
    ("status", "error", "placeholders"),
    [
        (401, "invalid_auth", {}),
        (429, "rate_limited", {"retry_after": "42"}),
        (500, "cannot_connect", {}),
    ],
)
async def test_cloud_refusing_the_registration_is_explained_and_retried(
    hass: HomeAssistant,
    sim: Sim,
    status: int,
    error: str,
    placeholders: dict[str, str],
) -> None:
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    before = dict(mobiles(sim))
    sim.world.cloud.fail_next(status, method="POST", retry_after=42)
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["step_id"] == "pair_failed"
    assert result["errors"] == {"base": error}
    for name, value in placeholders.items():
        assert result["description_placeholders"][name] == value
    assert mobiles(sim) == before
    if status == 429:
        await settle(hass, 42)  # Retry-After is honoured
    result = await configure(hass, result["flow_id"], {})  # submit: try again
    assert result["type"] is FlowResultType.CREATE_ENTRY


def test_an_unexpected_pairing_error_is_not_disguised() -> None:
    """Only known failures become form errors; anything else surfaces as a bug."""
    with pytest.raises(ZeroDivisionError):
        pairing_failure(ZeroDivisionError())


async def test_one_deleted_key_one_question(hass: HomeAssistant, sim: Sim) -> None:
    """Both locks used the key: the user enters the new one once, both get it."""
    back = sim.add_lock(serial="20000000-000002", device_id=4242, name="Back door")
    front = await sim.setup()
    other = sim.entry(lock=back)
    await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    coordinators = (front.runtime_data, other.runtime_data)
    sim.world.cloud.add_key("new-key", ACCOUNT)
    front.async_start_reauth(hass)
    other.async_start_reauth(hass)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 2
    result = await configure(hass, flows[0]["flow_id"], {CONF_PERSONAL_KEY: "new-key"})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert front.data[CONF_PERSONAL_KEY] == other.data[CONF_PERSONAL_KEY] == "new-key"
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert {front.state, other.state} == {ConfigEntryState.LOADED}
    assert other.runtime_data.personal_key_snapshot == "new-key"
    assert (front.runtime_data, other.runtime_data) == coordinators  # no reloads


async def test_pairing_a_discovered_lock_another_way_refreshes_the_discovered_list(
    hass: HomeAssistant, sim: Sim
) -> None:
    """The frontend refetches discovered dialogs on this event: a stale card goes."""
    await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_BLUETOOTH}, data=discovery(hass, sim)
    )
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == 1
    seen: list[int] = []

    @callback
    def _refetch(_event: Event) -> None:
        # What the frontend would fetch now: the discovery is gone.
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        seen.append(sum(f["context"]["source"] == SOURCE_BLUETOOTH for f in flows))

    hass.bus.async_listen(EVENT_FLOW_DISCOVERED, _refetch)
    result = await configure(
        hass, (await start(hass))["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    result = await configure(
        hass, result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert seen and seen[-1] == 0
