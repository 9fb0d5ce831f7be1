"""A simulated Tedee lock: real PTLS server, real crypto, real timing and failures.

One ``SimulatedLock`` is the physical lock (motor, battery, door, logs, trusted
time); each ``SimulatedConnection`` is a BLE link to it with its own PTLS session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import hashlib
import logging
import struct
import time
from typing import ClassVar
import uuid as uuid_mod

from bleak.exc import BleakError
from cryptography.hazmat.primitives.asymmetric import ec

from .activity_log import Entry, encode_package, entries_that_fit
from .ca import CertificateInvalid, verify_certificate, verify_time
from .calibration import CALIBRATION_OPS, Calibration
from .link import SimulatedConnection
from .lock_crypto import BadFrame, new_key, point_of
from .ptls_server import PTLSServer, ServerAlert, ServerState
from .wire import (
    API,
    ATT_OVERHEAD,
    NOTIFICATIONS,
    PTLS_RX,
    PTLS_TX,
    Alert,
    Cause,
    Door,
    Event,
    Frame,
    Note,
    Op,
    Result,
    State,
    Status,
    UnlockMode,
    serial_service,
)

_LOGGER = logging.getLogger(__name__)

SESSION_LIFETIME = 24 * 3600.0
MOVING = frozenset({State.LOCKING, State.UNLOCKING, State.PULLING})
AUTO_UNLOCK_GUARD = 180.0  # seconds
FIRMWARE_UPDATE_BY_MOBILE = 0xE1  # log event id (section 7)


def wall_clock() -> float:
    """Seconds since the epoch, looked up at call time so time-travel tools apply."""
    return time.time()


@dataclass
class LockConfig:
    """Everything a test or the demo may want to tune."""

    serial: str = "10000000-000001"
    device_id: int = 35800
    name: str = "Front door"
    type: int = 4
    firmware: tuple[int, int, int] = (2, 4, 1234)
    att_mtu: int = 247
    latency: float = 0.0
    move_time: float = 1.5
    pull_time: float = 0.8
    pull_hold: float = 1.0
    hello_timeout: float = 10.0
    idle_timeout: float = 30.0
    max_connections: int = 3
    auto_pull: bool = False
    pull_spring_enabled: bool = True
    has_door_sensor: bool = False
    logs_per_package: int = 4
    has_logs_interval: float = 5.0

    @property
    def local_name(self) -> str:
        """``Lock-YYZZ`` from the device id."""
        return f"Lock-{self.device_id & 0xFFFF:04X}"

    @property
    def serial_service_uuid(self) -> str:
        """The advertised serial-number service UUID."""
        return serial_service(self.serial)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who moved the lock: the live notification's access id, the log's user id."""

    access_id: int = 0
    user_id: int = 0  # 0: nobody known (button, knob, auto-lock)


NOBODY = Actor()


@dataclass
class Faults:
    """Injected failures; each one-shot counter is consumed as it fires."""

    drop_link_at: str | None = (
        None  # hello, verify_request, client_verify, command, 0xNN
    )
    corrupt_next: int = 0  # flip a bit in the next N encrypted frames to the client
    delay_next: float = 0.0  # hold the next frame to the client this long
    stall_at: str | None = (
        None  # ignore this step once (hello, ..., client_verify_last)
    )
    lose_next: int = 0  # silently lose the next N frames to the client
    lose_reply_to: int | None = None  # lose the (sealed) reply to this opcode once
    refuse_time: int = 0  # refuse the next N signed times
    error_on_verify: int = 0  # answer the next N client verifies with alert ERROR
    logs_busy: int = 0  # answer GET_LOGS_TLV with BUSY this many times
    log_garbage: bytes | None = None  # answer the next GET_LOGS_TLV with these bytes
    next_result: dict[int, int] = field(default_factory=dict)  # opcode -> forced result
    # Every session's link is dropped this long after its handshake (a marginal
    # radio, a lock that ends links at once); None: sessions live.
    drop_sessions_after: float | None = None
    # How the lock answers SET_SIGNED_DATETIME: "full" (0x00 | opcode | result),
    # "short" (the result alone, as the BLE doc shows it) or "none" (only the
    # SIGNED_DATETIME notification).
    signed_time_answer: str = "full"


@dataclass
class Session:
    """Per-connection lock state."""

    server: PTLSServer
    hello_seen: bool = False
    started: float = 0.0
    header_roll: int = 0
    hello_timer: asyncio.TimerHandle | None = None
    idle_timer: asyncio.TimerHandle | None = None

    @property
    def access_id(self) -> int:
        """The 4-byte access id the lock reports for this session's mobile.

        Deliberately not the user id: PROTOCOL.md does not say the two share one
        id space, so the simulator keeps them apart and the client must not mix them.
        """
        digest = hashlib.sha256(self.server.mobile_point).digest()
        return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class SimulatedLock:
    """A Tedee lock as its owner and its BLE peers see it."""

    def __init__(
        self,
        ca_public_key: ec.EllipticCurvePublicKey,
        config: LockConfig | None = None,
        *,
        clock: Callable[[], float] = wall_clock,
        identity_key: ec.EllipticCurvePrivateKey | None = None,
    ) -> None:
        """Make a lock with its own identity key that trusts the cloud's CA."""
        self.config = config or LockConfig()
        self.ca_public_key = ca_public_key
        self.clock = clock
        self.identity_key = identity_key or new_key()
        self.faults = Faults()
        self.in_range = True
        self.registered = True
        self.trusted_time = True
        self.calibrated = True
        self.dismounted = False
        self.state = State.LOCKED
        self.status = Status.OK
        self.battery = 87
        self.charging = False
        self.door = Door.CLOSED if self.config.has_door_sensor else Door.NOT_PAIRED
        self.jam_next = False
        # When the last unlock started and whether it was an auto-unlock: the
        # lock refuses an auto-unlock within AUTO_UNLOCK_GUARD of any unlock.
        self.last_unlock: tuple[float, bool] | None = None
        self.logs: list[Entry] = []
        self.certified_users: dict[bytes, int] = {}  # mobile key -> user id it logs
        self.connections: list[SimulatedConnection] = []
        self.executed: list[tuple[int, bytes]] = []  # commands run, for tests
        self.signed_time_writes: list[bool] = []  # True where it came sealed
        self.connect_attempts = 0
        self.connect_times: list[float] = []  # by the lock's clock, for tests
        self._move: asyncio.TimerHandle | None = None
        self._has_logs_timer: asyncio.TimerHandle | None = None
        self.calibration = Calibration(self)

    @property
    def device_public_point(self) -> bytes:
        """The lock's public key as the cloud publishes it."""
        return point_of(self.identity_key)

    @property
    def moving(self) -> bool:
        """Motor running, or firmware installing: the lock takes no operation."""
        return self.state in MOVING or self.state == State.UPDATING

    def connect(
        self,
        *,
        att_mtu: int = 247,
        latency: float | None = None,
        disconnected_callback: Callable[[SimulatedConnection], None] | None = None,
    ) -> SimulatedConnection:
        """A new (not yet connected) BleakClient-shaped connection to this lock."""
        return SimulatedConnection(
            self,
            att_mtu=att_mtu,
            latency=latency,
            disconnected_callback=disconnected_callback,
        )

    # -- link management ---------------------------------------------------------------

    def accept(self, conn: SimulatedConnection) -> None:
        """A central connects; refuse when out of range or all slots are taken."""
        self.connect_attempts += 1
        self.connect_times.append(self.clock())
        if not self.in_range:
            raise BleakError(f"{self.config.local_name} is out of range")
        if len(self.connections) >= self.config.max_connections:
            raise BleakError(
                f"{self.config.local_name} refused: {self.config.max_connections} "
                "connections in use"
            )
        self.connections.append(conn)
        server = self.ptls_server(min(conn.negotiated_mtu - ATT_OVERHEAD, 255))
        session = Session(server)
        conn.session = session
        loop = asyncio.get_running_loop()
        session.hello_timer = loop.call_later(
            self.config.hello_timeout, self._hello_deadline, conn
        )
        self._arm_idle(conn)

    def release(self, conn: SimulatedConnection) -> None:
        """A link went down."""
        if conn in self.connections:
            self.connections.remove(conn)
        session: Session | None = conn.session
        if session is not None:
            for timer in (session.hello_timer, session.idle_timer):
                if timer is not None:
                    timer.cancel()

    def _hello_deadline(self, conn: SimulatedConnection) -> None:
        if not conn.session.hello_seen:
            conn.drop("no client hello within the deadline")

    def _arm_idle(self, conn: SimulatedConnection) -> None:
        session: Session = conn.session
        if session.idle_timer is not None:
            session.idle_timer.cancel()
        session.idle_timer = asyncio.get_running_loop().call_later(
            self.config.idle_timeout, self._idle_drop, conn
        )

    def _idle_drop(self, conn: SimulatedConnection) -> None:
        # The lock says DISCONNECTED on PTLS TX, then drops the link.
        conn.send(PTLS_TX, bytes([Frame.ALERT, Alert.DISCONNECTED]))
        asyncio.get_running_loop().call_later(
            conn.latency + 0.001, conn.drop, "idle timeout"
        )

    def shutdown(self) -> None:
        """Drop every link and stop every timer (end of a test or the demo)."""
        for conn in list(self.connections):
            conn.drop("simulator shut down")
        for timer in (self._move, self._has_logs_timer):
            if timer is not None:
                timer.cancel()
        self._move = self._has_logs_timer = None
        self.calibration.stop()

    def go_out_of_range(self) -> None:
        """Radio gone: every link drops and new ones are refused."""
        self.in_range = False
        for conn in list(self.connections):
            conn.drop("out of range")

    # -- frames from a central -----------------------------------------------------------

    def handle_write(self, conn: SimulatedConnection, uuid: str, data: bytes) -> None:
        """Process one write, as the lock's firmware would."""
        self._arm_idle(conn)
        if uuid == PTLS_RX:
            self._handle_ptls(conn, data)
        elif uuid == API:
            self._handle_api(conn, data)

    _STEPS: ClassVar[dict[int, str]] = {
        Frame.HELLO: "hello",
        Frame.SERVER_VERIFY: "verify_request",
        Frame.CLIENT_VERIFY_MORE: "client_verify",
        Frame.CLIENT_VERIFY_LAST: "client_verify",
    }

    def _step_name(self, header: int) -> str:
        return self._STEPS.get(header, "?")

    def _handle_ptls(self, conn: SimulatedConnection, data: bytes) -> None:
        session: Session = conn.session
        if not data:
            self._alert(conn, Alert.ERROR)
            return
        if self.faults.drop_link_at == self._step_name(data[0]):
            self.faults.drop_link_at = None
            conn.drop(f"fault injected at {self._step_name(data[0])}")
            return
        stall_names = {self._step_name(data[0])}
        if data[0] == Frame.CLIENT_VERIFY_LAST:
            stall_names.add("client_verify_last")  # the whole verify, then silence
        if self.faults.stall_at in stall_names:
            self.faults.stall_at = None  # heard, never answered
            return
        if data[0] == Frame.HELLO:
            session.hello_seen = True
            if not self.registered:
                self._alert(conn, Alert.NOT_REGISTERED)
                return
            if not self.trusted_time:
                self._alert(conn, Alert.NO_TRUSTED_TIME)
                return
        if data[0] == Frame.CLIENT_VERIFY_LAST and self.faults.error_on_verify > 0:
            self.faults.error_on_verify -= 1
            session.server.fail()
            self._alert(conn, Alert.ERROR)
            return
        try:
            replies = session.server.receive(data)
        except ServerAlert as alert:
            _LOGGER.debug("simulated lock refuses: %s", alert)
            self._alert(conn, alert.code)
            return
        for frame in replies:
            conn.send(PTLS_TX, frame)
        if session.server.state is ServerState.ESTABLISHED and replies:
            session.started = self.clock()
            if (after := self.faults.drop_sessions_after) is not None:
                asyncio.get_running_loop().call_later(
                    after, conn.drop, "fault injected: the session dies young"
                )

    def ptls_server(self, mtu: int) -> PTLSServer:
        """A PTLS machine of this lock, announcing ``mtu`` (ATT MTU - 3)."""
        return PTLSServer(
            self.identity_key, mtu, self.check_certificate, clock=self.clock
        )

    def check_certificate(self, cert: bytes) -> bytes:
        """The mobile key a certificate vouches for on this lock; else a refusal."""
        try:
            info = verify_certificate(self.ca_public_key, cert)
        except CertificateInvalid as err:
            raise ServerAlert(Alert.INVALID_CERT, str(err)) from err
        if info.device_id != self.config.device_id:
            raise ServerAlert(Alert.INVALID_CERT, "certificate is for another lock")
        if info.not_after_ms <= self.clock() * 1000:
            raise ServerAlert(Alert.INVALID_CERT, "certificate expired")
        self.certified_users[info.mobile_point] = info.user_id
        return info.mobile_point

    def _alert(self, conn: SimulatedConnection, code: Alert) -> None:
        conn.send(PTLS_TX, bytes([Frame.ALERT, code]))

    def _handle_api(self, conn: SimulatedConnection, data: bytes) -> None:
        session: Session = conn.session
        if not data:
            return
        kind = data[0] & 0x0F
        if kind == Frame.PLAIN:
            if len(data) >= 2 and data[1] == Op.SET_SIGNED_DATETIME:
                self._set_signed_time(conn, data[2:], encrypted=False)
            return  # everything else must be sealed: ignored, like the firmware does
        if kind != Frame.SEALED:
            return
        server = session.server
        if server.state is not ServerState.ESTABLISHED or server.rx is None:
            self._alert(conn, Alert.ERROR)
            return
        if self.clock() - session.started > SESSION_LIFETIME:
            server.fail()
            self._alert(conn, Alert.TIMEOUT)
            return
        try:
            plain = server.rx.open(data[1:])
        except BadFrame:
            server.fail()
            self._alert(conn, Alert.ERROR)
            return
        if not plain:
            return
        if self.faults.drop_link_at in ("command", f"0x{plain[0]:02x}"):
            self.faults.drop_link_at = None
            conn.drop("fault injected at a command")
            return
        if plain[0] == Op.SET_SIGNED_DATETIME:
            self._set_signed_time(conn, plain[1:], encrypted=True)
            return
        self.executed.append((plain[0], bytes(plain[1:])))
        result, payload = self._run_command(conn, plain[0], plain[1:])
        lose = self.faults.lose_reply_to == plain[0]
        if lose:
            self.faults.lose_reply_to = None
        self._send_sealed(conn, API, bytes([plain[0], result]) + payload, lose=lose)

    def _send_sealed(
        self, conn: SimulatedConnection, uuid: str, plain: bytes, *, lose: bool = False
    ) -> None:
        session: Session = conn.session
        tx = session.server.tx
        if tx is None or session.server.state is not ServerState.ESTABLISHED:
            return
        sealed = bytearray(
            tx.seal(plain)
        )  # the counter moves even if the frame is lost
        if lose:
            return
        if self.faults.lose_next > 0:
            self.faults.lose_next -= 1
            return
        if self.faults.corrupt_next > 0:
            self.faults.corrupt_next -= 1
            sealed[len(sealed) // 2] ^= 0x01
        delay, self.faults.delay_next = self.faults.delay_next, 0.0
        session.header_roll = (session.header_roll + 1) & 0x0F
        header = (session.header_roll << 4) | Frame.SEALED
        conn.send(uuid, bytes([header]) + bytes(sealed), extra_delay=delay)

    def _set_signed_time(
        self, conn: SimulatedConnection, body: bytes, *, encrypted: bool
    ) -> None:
        self.signed_time_writes.append(encrypted)
        ok = (
            len(body) > 8
            and verify_time(self.ca_public_key, body[:8], body[8:]) is not None
        )
        if ok and self.faults.refuse_time > 0:
            self.faults.refuse_time -= 1
            ok = False
        if ok:
            self.trusted_time = True
        # Sealed or not, the lock always answers unencrypted (PROTOCOL.md 5).
        answer = self.faults.signed_time_answer
        if answer == "full":
            conn.send(API, bytes([Frame.PLAIN, Op.SET_SIGNED_DATETIME, Result.SUCCESS]))
        elif answer == "short":
            conn.send(API, bytes([Frame.PLAIN, Result.SUCCESS]))
        status = bytes([Note.SIGNED_DATETIME, 0x00 if ok else 0x01])
        conn.send(NOTIFICATIONS, bytes([Frame.PLAIN]) + status)

    # -- commands ------------------------------------------------------------------------

    def _run_command(
        self, conn: SimulatedConnection, opcode: int, params: bytes
    ) -> tuple[int, bytes]:
        forced = self.faults.next_result.pop(opcode, None)
        if forced is not None:
            return forced, b""
        session: Session = conn.session
        if opcode == Op.GET_STATE:
            return Result.SUCCESS, bytes([self.state, self.status])
        if opcode == Op.GET_BATTERY:
            return Result.SUCCESS, bytes([self.battery, int(self.charging)])
        if opcode == Op.GET_VERSION:
            major, minor, build = self.config.firmware
            return Result.SUCCESS, struct.pack(">BBH", major, minor, build)
        if opcode == Op.GET_LOGS_TLV:
            return self._get_logs(conn)
        if opcode in CALIBRATION_OPS:
            return self.calibration.run(opcode)
        if opcode in (Op.LOCK, Op.UNLOCK, Op.PULL_SPRING):
            user_id = self.certified_users.get(session.server.mobile_point, 0)
            actor = Actor(session.access_id, user_id)
            return self._operate(opcode, params, Cause.REMOTE, actor)
        return Result.INVALID_PARAM, b""

    def _operate(
        self, opcode: int, params: bytes, trigger: Cause, actor: Actor
    ) -> tuple[int, bytes]:
        if self.dismounted:
            return Result.DISMOUNTED, b""
        if not self.calibrated:
            return Result.NOT_CALIBRATED, b""
        if self.moving:
            return Result.BUSY, b""
        param = params[0] if params else 0
        if opcode == Op.LOCK:
            if param not in (0x00, 0x02):
                return Result.INVALID_PARAM, b""
            self._start_move(State.LOCKING, State.LOCKED, trigger, actor)
            return Result.SUCCESS, b""
        if opcode == Op.UNLOCK:
            if param > UnlockMode.WITHOUT_PULL:
                return Result.INVALID_PARAM, b""
            auto = param == UnlockMode.AUTO
            if auto and (refusal := self._auto_unlock_guard()) is not None:
                return refusal
            pull = (
                param in (UnlockMode.NORMAL, UnlockMode.AUTO) and self.config.auto_pull
            )
            self._start_move(
                State.UNLOCKING,
                State.UNLOCKED,
                trigger,
                actor,
                pull_after=pull,
                logged=(Event.UNLOCKED_AUTO, actor.user_id, None) if auto else None,
            )
            return Result.SUCCESS, b""
        if not self.config.pull_spring_enabled:
            return Result.NOT_CONFIGURED, b""
        if self.state != State.UNLOCKED:
            # The vendor's state diagram pulls only from UNLOCKED: a locked or
            # semi-locked bolt must be unlocked first.
            return Result.ERROR, b""
        self._start_pull(trigger, actor)
        return Result.SUCCESS, b""

    def _auto_unlock_guard(self) -> tuple[int, bytes] | None:
        """The vendor's refusal of an auto-unlock within 3 minutes of an unlock.

        Whatever the lock's state; the answer carries the seconds since that
        unlock, 4 bytes big-endian (the UNLOCK command's doc).
        """
        if self.last_unlock is None:
            return None
        started, was_auto = self.last_unlock
        ago = int(self.clock() - started)
        if ago >= AUTO_UNLOCK_GUARD:
            return None
        result = (
            Result.ALREADY_CALLED_BY_AUTOUNLOCK
            if was_auto
            else Result.ALREADY_CALLED_BY_OTHER_OPERATION
        )
        return result, struct.pack(">I", max(ago, 0))

    def _start_move(
        self,
        moving: State,
        target: State,
        trigger: Cause,
        actor: Actor,
        *,
        pull_after: bool = False,
        logged: tuple[Event, int, str | None] | None = None,
    ) -> None:
        self._set_state(moving, Status.OK, trigger, actor)
        jam, self.jam_next = self.jam_next, False
        if target == State.UNLOCKED:
            auto = logged is not None and logged[0] == Event.UNLOCKED_AUTO
            self.last_unlock = (self.clock(), auto)

        def _finish() -> None:
            if jam:
                # The vendor's state diagram: a jam while locking or unlocking
                # leaves the bolt part-way, semi-locked (PARTIALLY_OPEN, 0x03).
                self._set_state(State.PARTIALLY_UNLOCKED, Status.JAMMED, trigger, actor)
                self.record_event(Event.JAMMED, actor.user_id)
                return
            self._set_state(target, Status.OK, trigger, actor)
            if logged is None:
                self.record_event(_event_for(target, trigger), actor.user_id)
            else:
                event, user_id, alias = logged
                self.record_event(event, user_id, pin_alias=alias)
            if pull_after:
                self._start_pull(trigger, actor)

        self._move = asyncio.get_running_loop().call_later(
            self.config.move_time, _finish
        )

    def _start_pull(self, trigger: Cause, actor: Actor) -> None:
        self._set_state(State.PULLING, Status.OK, trigger, actor)
        loop = asyncio.get_running_loop()

        def _held() -> None:
            self._set_state(State.PULL_SPRING, Status.OK, trigger, actor)
            self.record_event(
                Event.PULLED_REMOTE if trigger == Cause.REMOTE else Event.PULLED_MANUAL,
                actor.user_id,
            )
            self._move = loop.call_later(
                self.config.pull_hold,
                self._set_state,
                State.UNLOCKED,
                Status.OK,
                trigger,
                actor,
            )

        self._move = loop.call_later(self.config.pull_time, _held)

    def _set_state(
        self, state: State, status: Status, trigger: Cause, actor: Actor
    ) -> None:
        self.state = state
        self.status = status
        self.notify_all(
            bytes([Note.LOCK_STATUS_CHANGE, state, status, trigger])
            + struct.pack(">I", actor.access_id)
            + bytes([self.door])
        )

    def set_state(self, state: State, status: Status, trigger: Cause) -> None:
        """A state change nobody's operation caused (calibration), announced."""
        self._set_state(state, status, trigger, NOBODY)

    def notify_all(self, payload: bytes) -> None:
        """Send a sealed notification on every established session."""
        for conn in list(self.connections):
            self._send_sealed(conn, NOTIFICATIONS, payload)

    # -- activity logs -------------------------------------------------------------------

    def record_event(
        self, event: int, user_id: int = 0, *, pin_alias: str | None = None
    ) -> None:
        """Remember an activity-log entry and announce HAS_LOGS.

        ``event`` is any id: a test may log what a bridge or a newer firmware
        would (PROTOCOL.md section 7).
        """
        self.logs.append(
            Entry(
                event=event,
                time_ms=int(self.clock() * 1000),
                device_id=self.config.device_id,
                user_id=user_id or None,
                pin_alias=pin_alias,
            )
        )
        self.logs = self.logs[-100:]  # the lock keeps about 100
        self._announce_logs()

    def _announce_logs(self) -> None:
        if self._has_logs_timer is not None:
            self._has_logs_timer.cancel()
            self._has_logs_timer = None
        if not self.logs:
            return
        self.notify_all(bytes([Note.HAS_LOGS]))
        self._has_logs_timer = asyncio.get_running_loop().call_later(
            self.config.has_logs_interval, self._announce_logs
        )

    def _get_logs(self, conn: SimulatedConnection) -> tuple[int, bytes]:
        if self.faults.logs_busy > 0:
            self.faults.logs_busy -= 1
            return Result.BUSY, b""
        if self.faults.log_garbage is not None:
            garbage, self.faults.log_garbage = self.faults.log_garbage, None
            return (Result.SUCCESS if self.logs else Result.NOT_FOUND), garbage
        if not self.logs:
            return Result.NOT_FOUND, b""
        # What one sealed indication can carry: header, opcode, result and tag aside.
        room = conn.negotiated_mtu - ATT_OVERHEAD - 1 - 2 - 16
        count = min(self.config.logs_per_package, entries_that_fit(self.logs, room))
        if count == 0:
            return Result.ERROR, b""  # the MTU is too small for a package
        batch, self.logs = self.logs[:count], self.logs[count:]
        if not self.logs and self._has_logs_timer is not None:
            self._has_logs_timer.cancel()
            self._has_logs_timer = None
        result = Result.SUCCESS if self.logs else Result.NOT_FOUND
        return result, encode_package(batch, self.identity_key)

    # -- the physical world --------------------------------------------------------------

    def press_button(self) -> None:
        """Someone presses the lock's button: toggle, like the real one."""
        if self.moving:
            return
        if self.state == State.LOCKED:
            self._start_move(
                State.UNLOCKING,
                State.UNLOCKED,
                Cause.BUTTON,
                NOBODY,
                pull_after=self.config.auto_pull,
            )
        else:
            self._start_move(State.LOCKING, State.LOCKED, Cause.BUTTON, NOBODY)

    def keypad_unlock(self, user_id: int, pin_alias: str) -> None:
        """Someone types their PIN on the paired keypad: the lock unlocks.

        The keypad reaches the lock over Bluetooth like a remote, so the status
        change carries the remote trigger; the log says who, by the PIN's owner
        and alias (PROTOCOL.md section 7, UnlockByPin).
        """
        if self.moving or self.state != State.LOCKED:
            return
        self._start_move(
            State.UNLOCKING,
            State.UNLOCKED,
            Cause.REMOTE,
            NOBODY,
            pull_after=self.config.auto_pull,
            logged=(Event.UNLOCK_BY_PIN, user_id, pin_alias),
        )

    def operated_elsewhere(self, opcode: int, actor: Actor) -> int:
        """Another phone, on a link of its own, sends LOCK, UNLOCK or PULL_SPRING.

        Returns the lock's result code, as that phone would read it.
        """
        return self._operate(opcode, b"", Cause.REMOTE, actor)[0]

    def auto_lock(self) -> None:
        """The auto-lock timer fires."""
        if not self.moving and self.state != State.LOCKED:
            self._start_move(State.LOCKING, State.LOCKED, Cause.AUTO_LOCK, NOBODY)

    def set_door(self, door_open: bool) -> None:
        """The door sensor reports open or closed."""
        if not self.config.has_door_sensor:
            raise RuntimeError("this lock has no door sensor")
        self.door = Door.OPEN if door_open else Door.CLOSED
        self._set_state(self.state, self.status, Cause.DOOR_SENSOR, NOBODY)

    def door_sensor_trouble(self, door: Door) -> None:
        """The door sensor loses its link to the lock, or its calibration."""
        if not self.config.has_door_sensor:
            raise RuntimeError("this lock has no door sensor")
        self.door = door
        self._set_state(self.state, self.status, Cause.DOOR_SENSOR, NOBODY)

    def lose_calibration(self) -> None:
        """The lock forgets its positions (a motor swap, a reset): UNCALIBRATED."""
        self.calibrated = False
        self._set_state(State.UNCALIBRATED, Status.OK, Cause.BUTTON, NOBODY)

    def calibrated_in_app(self) -> None:
        """The owner calibrates it in the Tedee app; it ends in the unlocked position."""
        self.calibrated = True
        self._set_state(State.UNLOCKED, Status.OK, Cause.REMOTE, NOBODY)

    def install_firmware(
        self, version: tuple[int, int, int], duration: float = 60.0
    ) -> None:
        """The Tedee app updates the lock: UPDATING, then a reboot on the new version.

        The reboot ends every link; the log records the update by a phone.
        """
        before = self.state
        self._set_state(State.UPDATING, Status.OK, Cause.REMOTE, NOBODY)

        def _rebooted() -> None:
            self.config.firmware = version
            self.state = before
            for conn in list(self.connections):
                conn.drop("rebooting on new firmware")
            self.record_event(FIRMWARE_UPDATE_BY_MOBILE)

        self._move = asyncio.get_running_loop().call_later(duration, _rebooted)

    def set_battery(self, level: int) -> None:
        """Battery level changes."""
        self.battery = max(0, min(100, level))
        self.notify_all(bytes([Note.BATTERY_STATE, self.battery, int(self.charging)]))

    def set_charging(self, charging: bool) -> None:
        """A charger is plugged in or out."""
        self.charging = charging
        code = Note.BATTERY_START_CHARGING if charging else Note.BATTERY_STOP_CHARGING
        self.notify_all(bytes([code, self.battery]))

    def lose_trusted_time(self) -> None:
        """Power loss: the lock forgets the time and asks for it."""
        self.trusted_time = False
        self.notify_all(bytes([Note.NEED_DATE_TIME]))

    def add_again(self) -> bytes:
        """The owner adds the reset lock again in the Tedee app: new keys.

        Returns the new public key, which the cloud now publishes for the lock.
        """
        self.registered = True
        self.identity_key = new_key()
        return self.device_public_point

    def factory_reset(self) -> None:
        """Keys wiped: every central is refused with NOT_REGISTERED from now on."""
        self.registered = False
        for conn in list(self.connections):
            conn.drop("factory reset")


def _event_for(state: State, trigger: Cause) -> Event:
    locked = state == State.LOCKED
    table = {
        Cause.REMOTE: (Event.LOCKED_REMOTE, Event.UNLOCKED_REMOTE),
        Cause.BUTTON: (Event.LOCKED_BUTTON, Event.UNLOCKED_BUTTON),
        Cause.AUTO_LOCK: (Event.LOCKED_AUTO, Event.UNLOCKED_AUTO),
    }
    pair = table.get(trigger, (Event.LOCKED_MANUAL, Event.UNLOCKED_MANUAL))
    return pair[0] if locked else pair[1]


def new_mobile_id() -> str:
    """A fresh mobile id (the cloud's uuid format)."""
    return str(uuid_mod.uuid4())
