"""The session engine against the simulated lock, without Home Assistant.

Everything runs on a virtual-time loop: back-off pauses, deadlines and the
watchdog are measured on the loop's clock, the same on an idle or busy machine.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
import warnings

from bleak.exc import BleakError
import pytest

from custom_components.tedee_bluetooth.tedee import (
    BatteryReport,
    CommandError,
    ConnectionStatus,
    Credentials,
    LockState,
    NoConnectionSlotError,
    NotConnectedError,
    OutcomeUnknownError,
    SessionConfig,
    SessionError,
    StateReport,
    TedeeError,
    TedeeSession,
    VersionReport,
)
from custom_components.tedee_bluetooth.tedee.session.establish import async_quietly
from custom_components.tedee_bluetooth.tedee.wire.const import Command
from simulator.lock import SimulatedLock

from .virtual_time import run_virtual
from .world import World, make_world

HANDSHAKE_STEPS = ["hello", "verify_request", "client_verify"]
# Where the lock can fall silent: after the hello, after the verify request, or
# after the whole client verify (silence after its first part is an ERROR alert).
STALL_STEPS = ["hello", "verify_request", "client_verify_last"]


@dataclass
class Listener:
    """Everything the session said, in order."""

    session: TedeeSession | None = None
    statuses: list[ConnectionStatus] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list)
    notifications: list[Any] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)

    def session_changed(self) -> None:
        assert self.session is not None
        if not self.statuses or self.statuses[-1] is not self.session.status:
            self.statuses.append(self.session.status)

    def session_report(self, report: Any) -> None:
        self.reports.append(report)

    def session_notification(self, notification: Any) -> None:
        self.notifications.append(notification)

    def session_log_package(self, package: Any) -> None:
        self.logs.extend(package.records)


@dataclass
class Rig:
    """A session, its lock and what its connector saw."""

    world: World
    session: TedeeSession
    listener: Listener
    attempts: list[float] = field(default_factory=list)  # loop time of each connect
    link_downs: list[Callable[[], None]] = field(default_factory=list)
    renewals: list[bool] = field(default_factory=list)
    renew_result: bool = False
    no_slot: bool = False
    hang: bool = False  # a proxy that never answers the connect
    silence: float | None = None  # seconds since the lock was last heard
    cached: bool = False  # Home Assistant still offers a device out of range

    @property
    def lock(self) -> SimulatedLock:
        return self.world.lock


def make_rig(**config: Any) -> Rig:
    world = make_world()
    listener = Listener()
    rig: Rig

    async def connector(device: SimulatedLock, link_down: Callable[[], None]) -> Any:
        rig.attempts.append(asyncio.get_running_loop().time())
        if rig.no_slot:
            raise NoConnectionSlotError("the proxy's slots are taken")
        if rig.hang:
            await asyncio.get_running_loop().create_future()  # never answers
        conn = device.connect()
        conn.disconnected_callback = lambda _c: link_down()
        rig.link_downs.append(link_down)
        try:
            await conn.connect()
        except BleakError as err:
            raise NotConnectedError(str(err)) from err
        return conn

    async def renew() -> bool:
        rig.renewals.append(rig.renew_result)
        return rig.renew_result

    session = TedeeSession(
        "Front door",
        listener,
        device=lambda: world.lock if world.lock.in_range or rig.cached else None,
        connector=connector,
        credentials=lambda: world.creds,
        signed_time=world.signed_time,
        renew_certificate=renew,
        config=SessionConfig(**config),
        silent_for=lambda: rig.silence,
    )
    listener.session = session
    rig = Rig(world, session, listener)
    return rig


def run(scenario: Callable[[Rig], Awaitable[None]], **config: Any) -> Rig:
    rig = make_rig(**config)

    async def _main() -> None:
        try:
            await scenario(rig)
        finally:
            await rig.session.async_stop()
        assert rig.lock.connections == [], "a link was left open"

    run_virtual(_main())
    return rig


async def wait(seconds: float) -> None:
    await asyncio.sleep(seconds)


def test_first_state_comes_before_battery_and_version() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        # async_start returns with the state; the rest follows in the background.
        assert [type(r) for r in rig.listener.reports] == [StateReport]
        await wait(0.1)
        kinds = [type(r) for r in rig.listener.reports]
        assert kinds == [StateReport, BatteryReport, VersionReport]
        assert rig.session.status is ConnectionStatus.CONNECTED
        assert rig.session.available
        assert rig.session.read_version is False

    run(scenario)


def test_a_cached_version_is_not_read_again() -> None:
    async def scenario(rig: Rig) -> None:
        rig.session.read_version = False
        await rig.session.async_start()
        await wait(0.1)
        assert [type(r) for r in rig.listener.reports] == [StateReport, BatteryReport]
        assert all(op != Command.GET_VERSION for op, _ in rig.lock.executed)

    run(scenario)


@pytest.mark.parametrize("step", STALL_STEPS)
def test_a_deadline_during_each_handshake_step_closes_the_link(step: str) -> None:
    """The lock stops answering mid-handshake: refused in time, no link left."""

    async def scenario(rig: Rig) -> None:
        rig.lock.faults.stall_at = step
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(SessionError) as err:
            await rig.session.async_command(lambda c: c.unlock())
        assert err.value.reason == "not_connected"
        assert loop.time() - start == pytest.approx(10.0, abs=0.01)
        assert rig.lock.connections == []
        assert rig.session.status is ConnectionStatus.DISCONNECTED
        assert all(op != Command.UNLOCK for op, _ in rig.lock.executed)
        # The next press works (the stall was one-shot).
        await rig.session.async_command(lambda c: c.unlock())
        assert [op for op, _ in rig.lock.executed].count(Command.UNLOCK) == 1

    run(scenario, always_connected=False)


@pytest.mark.parametrize("step", HANDSHAKE_STEPS)
def test_a_link_dropped_at_each_handshake_step_is_closed_and_retried(step: str) -> None:
    async def scenario(rig: Rig) -> None:
        rig.lock.faults.drop_link_at = step
        with pytest.raises(SessionError) as err:
            await rig.session.async_start()
        assert err.value.reason == "cannot_connect"
        assert rig.lock.connections == []
        await rig.session.async_start()  # the drop was one-shot
        assert rig.session.established

    run(scenario)


@pytest.mark.parametrize("step", STALL_STEPS)
def test_stop_during_each_handshake_step_closes_the_link(step: str) -> None:
    async def scenario(rig: Rig) -> None:
        rig.lock.faults.stall_at = step
        start = asyncio.ensure_future(rig.session.async_start())
        await wait(0.5)
        assert len(rig.lock.connections) == 1
        start.cancel()
        with pytest.raises(asyncio.CancelledError):
            await start
        await wait(0.01)
        assert rig.lock.connections == []

    run(scenario)


def test_a_late_drop_of_an_old_link_does_not_end_the_new_session() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        old_link_down = rig.link_downs[0]
        rig.lock.connections[0].drop("radio")
        await wait(0.5)  # reconnected at once
        assert rig.session.established and len(rig.attempts) == 2
        old_link_down()  # the first link's callback, arriving late
        await wait(0.5)
        assert rig.session.established
        assert rig.session.status is ConnectionStatus.CONNECTED
        assert len(rig.attempts) == 2

    run(scenario)


def test_reconnect_back_off_is_0_1_2_5_10_30() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.config.max_connections = 0  # refuses every new link
        rig.lock.connections[0].drop("radio")
        await wait(120)
        gaps = [b - a for a, b in zip(rig.attempts[1:], rig.attempts[2:], strict=False)]
        assert rig.attempts[1] - rig.attempts[0] < 0.1  # at once after the drop
        assert gaps[:7] == pytest.approx([1, 2, 5, 10, 30, 30, 30], abs=0.01)
        rig.lock.config.max_connections = 3
        await wait(31)
        assert rig.session.established

    run(scenario)


def test_no_connection_slot_backs_off_longer() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.no_slot = True
        rig.lock.connections[0].drop("radio")
        await wait(600)
        assert rig.session.status is ConnectionStatus.NO_CONNECTION_SLOT
        gaps = [b - a for a, b in zip(rig.attempts[1:], rig.attempts[2:], strict=False)]
        assert gaps[:5] == pytest.approx([30, 60, 120, 300, 300][: len(gaps)], abs=0.01)
        assert len(gaps) >= 4

    run(scenario)


def test_the_watchdog_brings_back_a_quietly_dropped_session() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await rig.session._async_drop()  # no callback, nothing scheduled
        assert rig.lock.connections == []
        await wait(15.1)
        assert rig.session.established
        assert len(rig.attempts) == 2

    run(scenario)


def test_keep_alive_reads_the_state_every_15_s() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await wait(0.1)
        before = len(rig.listener.reports)
        await wait(60)
        states = rig.listener.reports[before:]
        assert len(states) == 4 and all(isinstance(r, StateReport) for r in states)
        assert len(rig.attempts) == 1  # the same session all along

    run(scenario)


def test_a_second_command_while_one_runs_is_refused_as_busy() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.faults.lose_reply_to = Command.UNLOCK
        first = asyncio.ensure_future(rig.session.async_command(lambda c: c.unlock()))
        await wait(0.1)
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(SessionError) as err:
            await rig.session.async_command(lambda c: c.lock())
        assert err.value.reason == "lock_busy"
        assert loop.time() - start == pytest.approx(10.0, abs=0.01)
        with pytest.raises(OutcomeUnknownError):
            await first
        ops = [op for op, _ in rig.lock.executed]
        assert ops.count(Command.UNLOCK) == 1  # sent once, never resent
        assert Command.LOCK not in ops  # the refused one was never sent

    run(scenario, command_timeout=15.0)


def test_out_of_range_waits_for_an_advertisement_then_tries_at_once() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.go_out_of_range()
        rig.session.device_lost()
        await wait(0.5)
        assert not rig.session.established
        assert rig.session.status is ConnectionStatus.OUT_OF_RANGE
        await wait(31)
        assert not rig.session.available  # the 30 s grace is over
        rig.lock.in_range = True
        count = len(rig.attempts)
        rig.session.device_heard()
        await wait(0.2)
        assert rig.session.established and rig.session.available
        assert len(rig.attempts) == count + 1

    run(scenario)


def test_not_registered_is_rechecked_every_10_minutes_on_demand() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await wait(1)
        rig.lock.factory_reset()
        with pytest.raises(SessionError) as err:
            await rig.session.async_refresh()
        assert err.value.reason == "not_registered"
        assert rig.session.status is ConnectionStatus.NOT_REGISTERED
        assert not rig.session.available
        await wait(599)
        assert rig.renewals == []
        await wait(2)
        assert rig.renewals == [False]  # not added again yet
        # Added again in the Tedee app: the renewal brings the lock's new key.
        point = rig.lock.add_again()
        creds = rig.world.creds
        rig.world.creds = Credentials(
            creds.private_key_pem,
            creds.certificate,
            base64.b64encode(point).decode(),
        )
        rig.renew_result = True
        await wait(600)
        assert rig.renewals == [False, True]
        assert rig.session.status is ConnectionStatus.IDLE  # let go again, on purpose
        assert rig.lock.connections == []
        assert isinstance(rig.listener.reports[-1], BatteryReport)

    run(scenario, always_connected=False)


def test_on_demand_lingers_after_a_command_then_lets_go() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await wait(0.1)
        assert rig.lock.connections == []
        await rig.session.async_command(lambda c: c.unlock())
        await wait(19)
        assert len(rig.lock.connections) == 1
        assert rig.lock.state == LockState.UNLOCKED
        await wait(2)
        assert rig.lock.connections == []

    run(scenario, always_connected=False)


def test_unusable_credentials_close_the_link() -> None:
    async def scenario(rig: Rig) -> None:
        creds = rig.world.creds
        rig.world.creds = Credentials("not a key", creds.certificate, "%%%")
        with pytest.raises(SessionError) as err:
            await rig.session.async_start()
        assert err.value.reason == "cannot_connect"
        assert rig.lock.connections == []

    run(scenario)


def test_error_alerts_are_retried_once_then_the_certificate_renewed() -> None:
    async def scenario(rig: Rig) -> None:
        rig.lock.faults.error_on_verify = 2
        rig.renew_result = True
        await rig.session.async_start()
        assert rig.renewals == [True]
        assert len(rig.attempts) == 3
        assert rig.session.established

    run(scenario)


def test_error_alerts_that_persist_say_the_certificate_is_refused() -> None:
    async def scenario(rig: Rig) -> None:
        rig.lock.faults.error_on_verify = 9
        with pytest.raises(SessionError) as err:
            await rig.session.async_start()
        assert err.value.reason == "invalid_certificate"
        assert rig.renewals == [False]
        assert rig.session.status is ConnectionStatus.INVALID_CERTIFICATE
        assert rig.lock.connections == []

    run(scenario)


def test_a_link_that_fails_to_close_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing() -> None:
        raise BleakError("already gone")

    caplog.set_level("DEBUG")
    run_virtual(async_quietly(failing()))
    assert "ignored while disconnecting: already gone" in caplog.text


def test_a_stopped_session_starts_nothing() -> None:
    """After stop, a late callback cannot start work (nor leak an un-awaited coroutine)."""

    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await rig.session.async_stop()
        attempts = len(rig.attempts)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "coroutine was never awaited" fails
            rig.session.device_heard()
            rig.session.device_lost()
            with pytest.raises(SessionError) as err:
                await rig.session.async_command(lambda c: c.unlock())
            assert err.value.reason == "stopped"
            with pytest.raises(SessionError):
                await rig.session.async_refresh()
            await asyncio.sleep(60)
        assert len(rig.attempts) == attempts
        assert rig.lock.connections == []
        assert all(op != Command.UNLOCK for op, _ in rig.lock.executed)

    run(scenario)


def test_a_connect_that_never_answers_is_given_up_after_its_timeout() -> None:
    async def scenario(rig: Rig) -> None:
        rig.hang = True
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(SessionError) as err:
            await rig.session.async_start()
        assert err.value.reason == "cannot_connect"
        assert loop.time() - start == pytest.approx(20.0)
        assert rig.session.status is ConnectionStatus.DISCONNECTED  # not "connecting"
        rig.hang = False
        await asyncio.sleep(1.5)  # the back-off's next attempt
        assert rig.session.established

    run(scenario)


def test_an_outage_is_one_status_change_and_says_out_of_range() -> None:
    """Not heard and cannot connect: out_of_range, once; no flip per attempt."""

    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.listener.statuses.clear()
        rig.cached = True  # as Home Assistant does for minutes
        rig.lock.go_out_of_range()
        rig.silence = 5.0  # heard a moment ago: a blip, retry on the back-off
        await asyncio.sleep(9)
        assert rig.listener.statuses == [ConnectionStatus.DISCONNECTED]
        rig.silence = 40.0  # nothing heard for a while, and connects fail
        await asyncio.sleep(60)
        assert rig.listener.statuses == [
            ConnectionStatus.DISCONNECTED,
            ConnectionStatus.OUT_OF_RANGE,
        ]
        tries = len(rig.attempts)
        rig.lock.in_range = True  # back, but not yet heard
        await asyncio.sleep(60)
        assert len(rig.attempts) == tries  # no timer tries: it waits to be heard
        rig.silence = 0.0
        rig.session.device_heard()
        await asyncio.sleep(1)
        # Straight back to connected: no "disconnected" or "connecting" between.
        assert rig.listener.statuses == [
            ConnectionStatus.DISCONNECTED,
            ConnectionStatus.OUT_OF_RANGE,
            ConnectionStatus.CONNECTED,
        ]
        assert len(rig.attempts) == tries + 1

    run(scenario)


def test_heard_again_but_cannot_connect_is_disconnected_not_out_of_range() -> None:
    """In range (heard a moment ago) yet refusing links: that is not out of range."""

    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.listener.statuses.clear()
        rig.cached = True
        rig.lock.go_out_of_range()
        rig.silence = 40.0
        await asyncio.sleep(60)
        assert rig.session.status is ConnectionStatus.OUT_OF_RANGE
        rig.silence = 0.0  # heard, but the radio still fails every connect
        rig.session.device_heard()
        await asyncio.sleep(0.5)
        assert rig.listener.statuses == [
            ConnectionStatus.DISCONNECTED,
            ConnectionStatus.OUT_OF_RANGE,
            ConnectionStatus.DISCONNECTED,
        ]
        rig.lock.in_range = True  # the back-off brings it back
        await asyncio.sleep(5)
        assert rig.listener.statuses[-1] is ConnectionStatus.CONNECTED

    run(scenario)


def test_stop_during_a_handshake_refuses_the_command_and_closes_the_link() -> None:
    """Told to stop while a command waits for its session: nothing reaches the lock."""

    async def scenario(rig: Rig) -> None:
        rig.lock.config.latency = 0.4  # the handshake takes a few seconds
        command = asyncio.ensure_future(rig.session.async_command(lambda c: c.unlock()))
        await wait(0.5)
        assert len(rig.lock.connections) == 1  # the link is open
        await rig.session.async_stop()
        with pytest.raises(SessionError) as err:
            await command
        assert err.value.reason == "stopped"
        await wait(30)
        assert rig.lock.connections == []
        assert all(op != Command.UNLOCK for op, _ in rig.lock.executed)

    run(scenario, always_connected=False)


def test_a_handshake_that_completes_as_stop_begins_is_closed() -> None:
    async def scenario(rig: Rig) -> None:
        start = asyncio.ensure_future(rig.session.async_start())
        # Stop from inside the listener as the session is reported connected.
        stops: list[asyncio.Task[None]] = []

        def on_change() -> None:
            if rig.session.status is ConnectionStatus.CONNECTED and not stops:
                stops.append(asyncio.ensure_future(rig.session.async_stop()))

        rig.listener.session_changed = on_change  # type: ignore[method-assign]
        with pytest.raises((SessionError, asyncio.CancelledError, TedeeError)):
            await start
        await asyncio.gather(*stops)
        await wait(1)
        assert rig.lock.connections == []

    run(scenario)


def test_sessions_that_die_young_back_off() -> None:
    """A lock that ends every session at once: a handful of connects, not hundreds."""

    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        first = len(rig.attempts)
        rig.lock.faults.drop_sessions_after = 0.5
        rig.lock.connections[0].drop("a marginal radio")
        for _ in range(120):
            rig.session.device_heard()  # advertisements keep coming
            await wait(1)
        assert len(rig.attempts) - first <= 20
        rig.lock.faults.drop_sessions_after = None
        await wait(60)
        assert rig.session.established

    run(scenario)


def test_unlock_then_lock_waits_for_the_motor_and_runs_both_once() -> None:
    async def scenario(rig: Rig) -> None:
        rig.lock.config.auto_pull = True  # unlock 1.5 s, pull 0.8 s, hold 1 s
        await rig.session.async_start()
        await rig.session.async_command(lambda c: c.unlock())
        await rig.session.async_command(lambda c: c.lock())
        await wait(2)
        assert rig.lock.state == LockState.LOCKED
        moves = [
            op for op, _ in rig.lock.executed if op in (Command.LOCK, Command.UNLOCK)
        ]
        assert moves == [Command.UNLOCK, Command.LOCK]

    run(scenario)


def test_busy_with_no_movement_reported_is_retried_until_the_deadline() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        loop = asyncio.get_running_loop()
        rig.lock.faults.next_result[Command.UNLOCK] = 0x03  # BUSY, nothing moving
        start = loop.time()
        await rig.session.async_command(lambda c: c.unlock())
        assert loop.time() - start == pytest.approx(0.5, abs=0.1)  # one pause
        assert [op for op, _ in rig.lock.executed].count(Command.UNLOCK) == 2

    run(scenario)


def test_not_registered_recheck_does_not_flap_or_touch_the_lock() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.factory_reset()
        await wait(5)
        assert rig.session.status is ConnectionStatus.NOT_REGISTERED
        rig.listener.statuses.clear()
        attempts = len(rig.attempts)
        await wait(3 * 600 + 5)
        assert rig.renewals == [False, False, False]  # asked the cloud, every 10 min
        assert len(rig.attempts) == attempts  # the lock was left alone
        assert rig.listener.statuses == []

    run(scenario)


class _Always(dict[int, int]):
    """Forced results that stay (the lock's ``next_result`` pops each one)."""

    def pop(self, key: int, default: Any = None) -> Any:  # type: ignore[override]
        return self.get(key, default)


def test_busy_forever_is_refused_at_the_deadline_never_after() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.faults.next_result = _Always({Command.UNLOCK: 0x03})
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(CommandError) as err:
            await rig.session.async_command(lambda c: c.unlock())
        assert err.value.result == 0x03
        took = loop.time() - start
        assert 9.5 <= took <= 10.0
        tries = [op for op, _ in rig.lock.executed].count(Command.UNLOCK)
        assert tries == 20  # at 0, 0.5, ... 9.5 s: never at or after the deadline

    run(scenario)


def test_busy_then_a_motor_that_outlasts_the_deadline_is_refused_as_busy() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.config.move_time = 30.0
        rig.lock.faults.next_result = {Command.UNLOCK: 0x03}
        rig.lock.press_button()  # someone at the door: the motor turns for 30 s
        with pytest.raises(CommandError) as err:
            await rig.session.async_command(lambda c: c.unlock())
        assert err.value.result == 0x03
        assert [op for op, _ in rig.lock.executed].count(Command.UNLOCK) == 1

    run(scenario)


def test_open_from_unlocked_retries_a_busy_pull_until_it_goes() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await rig.session.async_command(lambda c: c.unlock())
        await wait(2)
        rig.lock.faults.next_result = {Command.PULL_SPRING: 0x03}
        await rig.session.async_open()
        pulls = [op for op, _ in rig.lock.executed].count(Command.PULL_SPRING)
        assert pulls == 2  # BUSY once (the lock did not act), then pulled
        await wait(3)
        assert rig.lock.state == LockState.UNLOCKED

    run(scenario)


def test_open_with_the_motor_busy_past_the_deadline_pulls_nothing() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await rig.session.async_command(lambda c: c.unlock())
        await wait(2)
        rig.lock.config.move_time = 30.0
        rig.lock.faults.next_result = {Command.PULL_SPRING: 0x03}
        rig.lock.press_button()  # the motor turns for 30 s
        with pytest.raises(SessionError) as err:
            await rig.session.async_open()
        assert err.value.reason == "unlocked_not_opened"
        assert [op for op, _ in rig.lock.executed].count(Command.PULL_SPRING) == 1

    run(scenario)


def test_a_move_the_lock_never_reports_is_not_waited_for_long() -> None:
    """SUCCESS, then no movement reported (already there): back within 2 s."""

    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.faults.next_result = {Command.LOCK: 0x00}  # accepted, never moves
        loop = asyncio.get_running_loop()
        start = loop.time()
        await rig.session.async_move(lambda c: c.lock(), locking=True)
        assert loop.time() - start == pytest.approx(2.0, abs=0.1)

    run(scenario)


def test_a_jam_on_our_move_is_reported_as_such() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        rig.lock.jam_next = True
        with pytest.raises(SessionError) as err:
            await rig.session.async_move(lambda c: c.unlock(), locking=False)
        assert err.value.reason == "jammed_unlocking"

    run(scenario)


def test_to_on_demand_lets_an_idle_link_go_and_stops_the_keep_alive() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await wait(1)
        assert len(rig.lock.connections) == 1
        await rig.session.async_set_always_connected(False)
        assert rig.lock.connections == []
        assert rig.session.status is ConnectionStatus.IDLE
        reads = len(rig.listener.reports)
        await wait(120)  # no keep-alive, no reconnect
        assert len(rig.listener.reports) == reads
        assert len(rig.attempts) == 1

    run(scenario)


def test_to_on_demand_keeps_a_busy_link_until_its_command_ends() -> None:
    async def scenario(rig: Rig) -> None:
        rig.lock.config.latency = 0.4  # a slow link: the command takes ~0.8 s
        await rig.session.async_start()
        await wait(5)
        command = asyncio.ensure_future(rig.session.async_command(lambda c: c.unlock()))
        await wait(0.2)
        await rig.session.async_set_always_connected(False)
        assert len(rig.lock.connections) == 1  # the command holds it
        await command
        assert rig.lock.state == LockState.UNLOCKED
        await wait(21)  # then the linger, then let go
        assert rig.lock.connections == []
        assert rig.session.status is ConnectionStatus.IDLE

    run(scenario)


def test_to_always_connected_ends_the_linger_and_keeps_the_link() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await wait(0.1)
        await rig.session.async_command(lambda c: c.unlock())
        await rig.session.async_set_always_connected(True)
        await wait(60)  # past the linger: the link stays, kept alive
        assert len(rig.lock.connections) == 1
        assert len(rig.attempts) == 2  # the first read's and the command's
        assert rig.session.status is ConnectionStatus.CONNECTED

    run(scenario, always_connected=False)


def test_to_always_connected_connects_at_once() -> None:
    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await wait(0.1)
        assert rig.lock.connections == []
        await rig.session.async_set_always_connected(True)
        await wait(1)
        assert len(rig.lock.connections) == 1
        assert rig.session.status is ConnectionStatus.CONNECTED
        rig.link_downs[-1]()  # and it reconnects like any always-connected session
        await wait(1)
        assert len(rig.attempts) == 3
        assert rig.session.established

    run(scenario, always_connected=False)


@pytest.mark.parametrize("always", [True, False], ids=["to always", "to on demand"])
def test_a_lock_not_registered_is_looked_at_on_its_own_pace_after_a_switch(
    always: bool,
) -> None:
    """No cloud request because of the switch, and the ten-minute look goes on."""

    async def scenario(rig: Rig) -> None:
        await rig.session.async_start()
        await wait(1)
        rig.lock.factory_reset()
        with pytest.raises(SessionError):
            await rig.session.async_refresh()
        assert rig.session.status is ConnectionStatus.NOT_REGISTERED
        await rig.session.async_set_always_connected(always)
        await wait(598)
        assert rig.renewals == []
        await wait(3)
        assert rig.renewals == [False]

    run(scenario, always_connected=not always)
