"""TedeeLockClient against the simulated lock: what a user or an attacker would see."""

from __future__ import annotations

import asyncio
import base64
import logging
import time

from bleak.exc import BleakError
import pytest

from custom_components.tedee_bluetooth.tedee import (
    AlertCode,
    AlertError,
    CommandError,
    Credentials,
    IntegrityError,
    LockParam,
    LockState,
    LockStatusChange,
    LockTimeoutError,
    NotConnectedError,
    NotOurLockError,
    ResultCode,
    TedeeError,
    TedeeLockClient,
    TrustedTimeError,
    UnlockParam,
)
from custom_components.tedee_bluetooth.tedee.errors import OutcomeUnknownError
from custom_components.tedee_bluetooth.tedee.wire.const import (
    API_COMMANDS_CHAR_UUID,
    PTLS_RX_CHAR_UUID,
    Command,
    Header,
)
from custom_components.tedee_bluetooth.tedee.wire.logs import EventId, FetchedPackage
from custom_components.tedee_bluetooth.tedee.wire.notifications import (
    BatteryNotification,
    DoorState,
    NotificationCode,
    Trigger,
)
from custom_components.tedee_bluetooth.tedee.wire.record import REKEY_MARGIN
from simulator.lock import SimulatedLock

from .virtual_time import VirtualTimeLoop, all_tests_on_virtual_clock
from .world import World, fast_config, make_world


async def wait_for_state(
    lock: SimulatedLock, state: LockState, timeout: float = 2.0
) -> None:
    async with asyncio.timeout(timeout):
        while lock.state != state:
            await asyncio.sleep(0.005)


@pytest.mark.parametrize("att_mtu", [138, 185, 247, 517])
async def test_connect_and_operate_at_every_mtu(world: World, att_mtu: int) -> None:
    client = await world.client(att_mtu=att_mtu)
    try:
        state = await client.get_state()
        assert state.state is LockState.LOCKED
        assert not state.jammed
        battery = await client.get_battery()
        assert (battery.level, battery.charging) == (87, False)
        assert str(await client.get_version()) == "2.4.1234"
        with pytest.raises(CommandError):  # a lock pulls only from UNLOCKED
            await client.pull_spring()
        await client.unlock()
        await wait_for_state(world.lock, LockState.UNLOCKED)
        await client.pull_spring()
        await wait_for_state(world.lock, LockState.PULL_SPRING)
        await wait_for_state(world.lock, LockState.UNLOCKED)
        await client.lock()
        await wait_for_state(world.lock, LockState.LOCKED)
    finally:
        await client.disconnect()


async def test_notifications_carry_trigger_access_id_and_door() -> None:
    world = make_world(fast_config(has_door_sensor=True))
    client = await world.client()
    seen: list[object] = []
    unsubscribe = client.subscribe(seen.append)
    try:
        await client.unlock(UnlockParam.WITHOUT_PULL)
        await wait_for_state(world.lock, LockState.UNLOCKED)
        await asyncio.sleep(0.01)
        changes = [n for n in seen if isinstance(n, LockStatusChange)]
        assert [c.state for c in changes] == [LockState.UNLOCKING, LockState.UNLOCKED]
        assert all(c.trigger == Trigger.REMOTE for c in changes)
        assert changes[0].access_id and changes[0].access_id > 0
        assert changes[0].door is DoorState.CLOSED
        world.lock.set_door(door_open=True)
        world.lock.set_battery(40)
        world.lock.set_charging(True)
        await asyncio.sleep(0.02)
        door = [n for n in seen if isinstance(n, LockStatusChange)][-1]
        assert door.trigger == Trigger.DOOR_SENSOR
        assert door.door is DoorState.OPEN
        batteries = [n for n in seen if isinstance(n, BatteryNotification)]
        assert [(b.level, b.charging) for b in batteries] == [(40, False), (40, True)]
        unsubscribe()
        count = len(seen)
        world.lock.set_battery(39)
        await asyncio.sleep(0.02)
        assert len(seen) == count
    finally:
        await client.disconnect()
        world.lock.shutdown()


async def test_counters_across_interleaved_indications_and_notifications(
    world: World,
) -> None:
    """Notifications between a command and its answer share the lock's one counter."""
    client = await world.client(latency=0.002)
    seen: list[object] = []
    client.subscribe(seen.append)
    try:
        for i in range(20):
            world.lock.set_battery(50 + i)  # notification queued before the answer
            state = await client.get_state()
            world.lock.set_battery(10 + i)  # and after
            assert state.state is LockState.LOCKED  # nothing moved it
        await asyncio.sleep(0.05)
        assert client.established
        assert len([n for n in seen if isinstance(n, BatteryNotification)]) == 40
    finally:
        await client.disconnect()


async def test_flipped_bit_in_a_response_ends_the_session(world: World) -> None:
    lost: list[Exception] = []
    client = await world.client(on_session_lost=lost.append)
    world.lock.faults.corrupt_next = 1
    with pytest.raises(IntegrityError):
        await client.get_state()
    assert not client.established
    assert isinstance(lost[0], IntegrityError)
    with pytest.raises(NotConnectedError):  # never sent on a session we cannot trust
        await client.unlock()
    assert [op for op, _ in world.lock.executed] == [Command.GET_STATE]
    await client.disconnect()


async def test_flipped_bit_in_a_notification_is_never_delivered(world: World) -> None:
    client = await world.client()
    seen: list[object] = []
    client.subscribe(seen.append)
    world.lock.faults.corrupt_next = 1
    world.lock.set_battery(12)
    await asyncio.sleep(0.02)
    assert seen == []
    assert not client.established
    await client.disconnect()


async def test_no_trusted_time_without_a_source_is_reported(world: World) -> None:
    world.lock.trusted_time = False
    with pytest.raises(AlertError) as err:
        await world.client()
    assert err.value.alert is AlertCode.NO_TRUSTED_TIME


async def test_trusted_time_recovery_on_the_same_connection(world: World) -> None:
    world.lock.trusted_time = False
    client = await world.client(signed_time=world.signed_time)
    assert client.established
    assert world.lock.trusted_time
    assert len(world.lock.connections) == 1
    await client.disconnect()


async def test_signed_time_refused_then_accepted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "custom_components.tedee_bluetooth.tedee.link.operations.SIGNED_TIME_RETRY_DELAY",
        0.01,
    )
    world.lock.trusted_time = False
    world.lock.faults.refuse_time = 2
    client = await world.client(signed_time=world.signed_time)
    assert client.established
    await client.disconnect()


async def test_signed_time_refused_for_good(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "custom_components.tedee_bluetooth.tedee.link.operations.SIGNED_TIME_RETRY_DELAY",
        0.01,
    )
    world.lock.trusted_time = False
    world.lock.faults.refuse_time = 99
    with pytest.raises(TrustedTimeError, match="refused"):
        await world.client(signed_time=world.signed_time)


async def test_forged_signed_time_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "custom_components.tedee_bluetooth.tedee.link.operations.SIGNED_TIME_RETRY_DELAY",
        0.01,
    )
    world.lock.trusted_time = False

    async def forged() -> tuple[bytes, bytes]:
        data, sig = await world.signed_time()
        return data, sig[:-1] + bytes([sig[-1] ^ 1])

    with pytest.raises(TrustedTimeError):
        await world.client(signed_time=forged)
    assert not world.lock.trusted_time


async def test_need_date_time_during_a_session(world: World) -> None:
    client = await world.client(signed_time=world.signed_time)
    seen: list[object] = []
    client.subscribe(seen.append)
    world.lock.lose_trusted_time()
    await asyncio.sleep(0.01)
    assert any(
        getattr(n, "code", None) == NotificationCode.NEED_DATE_TIME for n in seen
    )
    await client.set_signed_time()
    assert world.lock.trusted_time
    assert client.established
    await client.disconnect()


async def test_expired_certificate_is_invalid_cert(world: World) -> None:
    world.cloud.cert_validity = world.cloud.cert_validity * -1
    pem, _, cert, dev = world.cloud.issue_credentials(
        "acct", world.lock.config.device_id
    )
    world.creds = Credentials(pem, cert, dev)
    with pytest.raises(AlertError) as err:
        await world.client()
    assert err.value.alert is AlertCode.INVALID_CERT


async def test_certificate_for_another_lock_is_invalid_cert(world: World) -> None:
    other = SimulatedLock(world.cloud.ca.public_key, fast_config(device_id=4242))
    world.cloud.add_simulated_lock("acct", other)
    pem, _, cert, _ = world.cloud.issue_credentials("acct", 4242)
    # The cloud's key for *our* lock, but a certificate made out for lock 4242.
    world.creds = Credentials(pem, cert, world.creds.device_public_key)
    with pytest.raises(AlertError) as err:
        await world.client()
    assert err.value.alert is AlertCode.INVALID_CERT


async def test_a_lock_that_is_not_ours_never_sees_the_certificate() -> None:
    world = make_world()
    impostor = SimulatedLock(world.cloud.ca.public_key, fast_config())
    conn = impostor.connect()
    await conn.connect()
    writes: list[bytes] = []
    original = conn.write_gatt_char

    async def recording(uuid: object, data: bytes, response: bool = False) -> None:
        writes.append(bytes(data))
        await original(uuid, data, response)

    conn.write_gatt_char = recording  # type: ignore[method-assign]
    client = TedeeLockClient(conn, world.creds)
    with pytest.raises(NotOurLockError):
        await client.connect()
    assert [w[0] for w in writes] == [Header.PTLS_HELLO, Header.PTLS_SERVER_VERIFY]
    cert = base64.b64decode(world.creds.certificate)
    assert not any(cert[:24] in w for w in writes)
    impostor.shutdown()


async def test_factory_reset_lock_says_not_registered(world: World) -> None:
    client = await world.client()
    world.lock.factory_reset()
    assert not client.established
    with pytest.raises(AlertError) as err:
        await world.client()
    assert err.value.alert is AlertCode.NOT_REGISTERED


async def test_session_older_than_24h_gets_timeout_alert() -> None:
    now = [time.time()]
    world = make_world()
    world.lock.clock = lambda: now[0]
    lost: list[Exception] = []
    client = await world.client(on_session_lost=lost.append)
    now[0] += 24 * 3600 + 1
    with pytest.raises(TedeeError):
        await client.get_state()
    assert isinstance(lost[0], AlertError)
    assert lost[0].alert is AlertCode.TIMEOUT
    assert not client.established
    await client.disconnect()
    world.lock.shutdown()


async def test_busy_and_other_results_are_reported(world: World) -> None:
    client = await world.client()
    await client.unlock()
    with pytest.raises(CommandError) as err:
        await client.lock()  # still moving
    assert err.value.result == ResultCode.BUSY
    assert "BUSY" in str(err.value)
    await wait_for_state(world.lock, LockState.UNLOCKED)
    world.lock.calibrated = False
    with pytest.raises(CommandError) as err:
        await client.lock()
    assert err.value.result == ResultCode.NOT_CALIBRATED
    world.lock.calibrated = True
    world.lock.config.pull_spring_enabled = False
    with pytest.raises(CommandError) as err:
        await client.pull_spring()
    assert err.value.result == ResultCode.NOT_CONFIGURED
    world.lock.dismounted = True
    with pytest.raises(CommandError, match="DISMOUNTED"):
        await client.unlock()
    await client.disconnect()


async def test_force_lock_and_jam(world: World) -> None:
    client = await world.client()
    seen: list[object] = []
    client.subscribe(seen.append)
    await client.unlock()
    await wait_for_state(world.lock, LockState.UNLOCKED)
    world.lock.jam_next = True
    await client.lock(LockParam.FORCE)
    await asyncio.sleep(0.08)
    state = await client.get_state()
    assert state.jammed
    assert any(isinstance(n, LockStatusChange) and n.jammed for n in seen)
    assert world.lock.executed[-2] == (Command.LOCK, bytes([LockParam.FORCE]))
    await client.disconnect()


async def test_lost_answer_times_out_and_ends_the_session(world: World) -> None:
    """No answer: report a timeout, end the session so a late answer can never match."""
    client = await world.client(command_timeout=0.1)
    world.lock.faults.lose_next = 1
    with pytest.raises(LockTimeoutError):
        await client.get_state()
    assert not client.established
    with pytest.raises(NotConnectedError):
        await client.get_state()
    assert [op for op, _ in world.lock.executed] == [Command.GET_STATE]
    await client.disconnect()


async def test_lost_unlock_answer_is_reported_as_unknown_and_never_resent(
    world: World,
) -> None:
    """The reply is lost, the lock moves anyway: say so, never send it again.

    The status notifications that follow carry later counters; they wait for the
    lost one, then are delivered, so the lock's movement is still seen.
    """
    client = await world.client(command_timeout=1.0)
    seen: list[object] = []
    client.subscribe(seen.append)
    world.lock.faults.lose_reply_to = Command.UNLOCK
    with pytest.raises(OutcomeUnknownError, match="may have acted"):
        await client.unlock()
    assert [op for op, _ in world.lock.executed] == [Command.UNLOCK]
    states = [n.state for n in seen if isinstance(n, LockStatusChange)]
    assert states[:2] == [LockState.UNLOCKING, LockState.UNLOCKED]
    assert client.link_counts.missed == 1
    assert not client.established  # a late answer can never be matched later
    await client.disconnect()


async def test_a_lost_notification_costs_nothing(world: World) -> None:
    """The first status notification is lost; the reply and the rest wait for it,
    then go ahead: the command succeeds and the session stays up."""
    client = await world.client()
    seen: list[object] = []
    client.subscribe(seen.append)
    world.lock.faults.lose_next = 1  # UNLOCKING, sealed before the reply
    await client.unlock()
    await wait_for_state(world.lock, LockState.UNLOCKED)
    await asyncio.sleep(0.05)
    states = [n.state for n in seen if isinstance(n, LockStatusChange)]
    assert states == [LockState.UNLOCKED]
    assert client.established
    assert client.link_counts.missed == 1
    assert (await client.get_state()).state is LockState.UNLOCKED
    await client.disconnect()


async def test_command_queued_behind_a_dead_one_is_never_sent(world: World) -> None:
    client = await world.client(command_timeout=0.15)
    world.lock.faults.delay_next = 0.3
    first = asyncio.create_task(client.get_state())
    await asyncio.sleep(0)
    with pytest.raises((LockTimeoutError, NotConnectedError)):
        await client.unlock()
    with pytest.raises(LockTimeoutError):
        await first
    await asyncio.sleep(0.2)  # the late GET_STATE answer arrives and is dropped
    assert [op for op, _ in world.lock.executed] == [Command.GET_STATE]
    await client.disconnect()


@pytest.mark.parametrize("step", ["hello", "verify_request", "client_verify"])
async def test_link_drop_during_handshake(world: World, step: str) -> None:
    world.lock.faults.drop_link_at = step
    with pytest.raises(NotConnectedError):
        await world.client()


async def test_link_drop_during_a_command(world: World) -> None:
    lost: list[Exception] = []
    client = await world.client(on_session_lost=lost.append)
    world.lock.faults.drop_link_at = "0x51"
    with pytest.raises(NotConnectedError):
        await client.unlock()
    assert lost
    assert not client.established
    assert world.lock.state == LockState.LOCKED


async def test_at_most_three_connections(world: World) -> None:
    clients = [await world.client() for _ in range(3)]
    with pytest.raises(BleakError, match="3 connections"):
        await world.client()
    for client in clients:
        await client.disconnect()
    again = await world.client()
    await again.disconnect()


async def test_lock_drops_a_silent_central_and_an_idle_one() -> None:
    world = make_world(fast_config(hello_timeout=0.05, idle_timeout=0.1))
    silent = world.lock.connect()
    await silent.connect()
    await asyncio.sleep(0.08)
    assert not silent.is_connected
    lost: list[Exception] = []
    client = await world.client(on_session_lost=lost.append)
    await asyncio.sleep(0.06)
    await client.get_state()  # activity keeps it alive
    await asyncio.sleep(0.06)
    assert client.established
    await asyncio.sleep(0.1)
    assert not client.established
    assert isinstance(lost[0], AlertError)
    assert lost[0].alert is AlertCode.DISCONNECTED
    with pytest.raises(NotConnectedError):
        await client.get_state()
    world.lock.shutdown()


async def test_oversized_writes_are_rejected(world: World) -> None:
    conn = world.lock.connect(att_mtu=104)
    await conn.connect()
    with pytest.raises(BleakError, match="exceeds"):
        await conn.write_gatt_char(PTLS_RX_CHAR_UUID, bytes(102), response=False)
    with pytest.raises(BleakError, match="exceeds"):
        await conn.write_gatt_char(API_COMMANDS_CHAR_UUID, bytes(513), response=True)
    with pytest.raises(BleakError, match="not writable"):
        await conn.write_gatt_char("00000101-4899-489f-a301-fbee544b1db0", b"\x00")
    await conn.disconnect()
    with pytest.raises(BleakError):
        await conn.write_gatt_char(PTLS_RX_CHAR_UUID, b"\x03")


async def test_out_of_range(world: World) -> None:
    client = await world.client()
    world.lock.go_out_of_range()
    assert not client.established
    with pytest.raises(BleakError, match="out of range"):
        await world.client()


async def test_activity_logs_are_fetched_and_deleted(world: World) -> None:
    client = await world.client()
    seen: list[object] = []
    client.subscribe(seen.append)
    for _ in range(3):
        world.lock.press_button()
        await asyncio.sleep(0.06)
    assert any(getattr(n, "code", None) == NotificationCode.HAS_LOGS for n in seen)
    world.lock.faults.logs_busy = 2
    records = await client.get_logs()
    names = [r.event_name for r in records]
    assert names == ["unlocked_button", "locked_button", "unlocked_button"]
    assert all(r.device_id == world.lock.config.device_id for r in records)
    assert world.lock.logs == []
    assert await client.get_logs() == []
    await client.disconnect()


async def test_many_logs_span_packages(world: World) -> None:
    client = await world.client()
    for _ in range(9):
        world.lock.record_event(EventId.POWER_ON)
    records = await client.get_logs()
    assert len(records) == 9
    assert records[0].event_name == "power_on"
    await client.disconnect()


async def test_bad_credentials_are_a_typed_error(world: World) -> None:
    conn = world.lock.connect()
    await conn.connect()
    with pytest.raises(TedeeError, match="credentials"):
        TedeeLockClient(conn, Credentials("nope", "***", "***"))
    assert "BEGIN" not in repr(world.creds)
    await conn.disconnect()


async def test_disconnected_client_cannot_reconnect(world: World) -> None:
    client = await world.client()
    await client.disconnect()
    with pytest.raises(NotConnectedError):
        await client.connect()
    with pytest.raises(NotConnectedError):
        await client.get_state()


async def test_a_new_session_is_made_before_a_counter_could_wrap(world: World) -> None:
    """65,000 frames take days; jump the counter there instead of sending them."""
    client = await world.client()
    first = client.session_id
    assert client._ptls._tx is not None
    client._ptls._tx.counter = 0xFFFF - REKEY_MARGIN
    assert (await client.get_state()).state is LockState.LOCKED
    assert client.session_id != first  # a fresh handshake on the same link
    assert client.established
    assert client._ptls._tx.counter == 1  # new keys, counters from 0
    await client.disconnect()


async def test_a_log_package_that_does_not_parse_is_counted_never_fatal(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock deleted it already: log its hex, count it, keep the rest."""
    caplog.set_level(logging.DEBUG)
    world.lock.record_event(0x22, 7)
    world.lock.faults.log_garbage = bytes.fromhex("0101010301")  # cut short
    client = await world.client()
    records = await client.get_logs()
    assert [r.event_id for r in records] == [0x22]
    assert client.bad_log_packages == 1
    assert "0101010301" in caplog.text
    assert client.established
    await client.disconnect()


async def test_log_fetch_errors_are_typed(world: World) -> None:
    client = await world.client()
    world.lock.faults.logs_busy = 99
    with pytest.raises(CommandError):
        await client.get_logs()
    world.lock.faults.logs_busy = 0
    world.lock.faults.next_result = {Command.GET_LOGS_TLV: ResultCode.NO_PERMISSION}
    with pytest.raises(CommandError) as err:
        await client.get_logs()
    assert err.value.result == ResultCode.NO_PERMISSION
    await client.disconnect()


async def test_signed_time_needs_a_source(world: World) -> None:
    client = await world.client()
    with pytest.raises(TrustedTimeError, match="no signed-time source"):
        await client.set_signed_time()
    await client.disconnect()


async def test_an_unsolicited_or_malformed_frame_is_dropped(world: World) -> None:
    client = await world.client()
    (conn,) = world.lock.connections
    world.lock._send_sealed(conn, API_COMMANDS_CHAR_UUID, b"\x5a\x00\x02\x00")
    world.lock._send_sealed(conn, API_COMMANDS_CHAR_UUID, b"\x5a")  # too short
    world.lock.notify_all(b"\xba")  # a status change without its state
    await asyncio.sleep(0.01)  # they land while no command is in flight
    assert (await client.get_state()).state is LockState.LOCKED
    assert client.established
    await client.disconnect()


async def test_a_link_lost_while_a_frame_waits_for_a_gap(world: World) -> None:
    client = await world.client()
    world.lock.faults.lose_next = 1
    world.lock.press_button()  # UNLOCKING lost; UNLOCKED will wait for it
    await wait_for_state(world.lock, LockState.UNLOCKED)
    world.lock.connections[0].drop("gone")
    assert not client.established
    await asyncio.sleep(0.4)  # the gap's timer was cancelled with the session
    await client.disconnect()


async def test_these_tests_run_on_the_virtual_clock() -> None:
    """A minute of waiting costs no wall time (so a busy machine changes nothing)."""
    assert isinstance(asyncio.get_running_loop(), VirtualTimeLoop)
    start = time.monotonic()
    await asyncio.sleep(60)
    assert time.monotonic() - start < 5


# Every test above runs on its own virtual-time loop (tests/virtual_time.py).
all_tests_on_virtual_clock(globals())


async def test_an_ok_alert_during_a_session_changes_nothing(world: World) -> None:
    """Alert OK (0x00) is not an error: the session goes on."""
    lost: list[Exception] = []
    client = await world.client(on_session_lost=lost.append)
    (conn,) = world.lock.connections
    conn.send("00000301-4899-489f-a301-fbee544b1db0", bytes([0x04, 0x00]))
    await asyncio.sleep(0.1)
    assert client.established
    assert lost == []
    assert (await client.get_state()).state is LockState.LOCKED
    await client.disconnect()


async def test_packages_read_before_a_failure_are_handed_over(world: World) -> None:
    """The lock deletes each package it sends: one fetched is never lost to a later error."""
    client = await world.client()
    for _ in range(8):  # two packages of four
        world.lock.record_event(EventId.POWER_ON)
    packages: list[FetchedPackage] = []

    def _got(package: FetchedPackage) -> None:
        packages.append(package)
        world.lock.faults.next_result = {Command.GET_LOGS_TLV: ResultCode.ERROR}

    with pytest.raises(CommandError):
        await client.get_logs(_got)
    assert [len(p.records) for p in packages] == [4]
    assert packages[0].error is None
    assert packages[0].raw.startswith(bytes([0x01, 0x01, 0x01]))  # VERSION 1
    await client.disconnect()
