"""A simulated Tedee lock: real PTLS server, real crypto, real timing and failures.

One ``SimulatedLock`` is the physical lock (motor, battery, door, logs, trusted
time); each ``SimulatedConnection`` is a BLE link to it with its own PTLS session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import logging
import struct
import time
from typing import ClassVar
import uuid as uuid_mod

from bleak.exc import BleakError
from cryptography.hazmat.primitives.asymmetric import ec

from custom_components.tedee_bluetooth.tedee.commands import (
    Command,
    LockState,
    LockStatus,
    ResultCode,
    UnlockParam,
)
from custom_components.tedee_bluetooth.tedee.const import (
    API_COMMANDS_CHAR_UUID,
    NOTIFICATIONS_CHAR_UUID,
    PTLS_RX_CHAR_UUID,
    PTLS_TX_CHAR_UUID,
    AlertCode,
    Header,
    serial_to_service_uuid,
)
from custom_components.tedee_bluetooth.tedee.crypto import (
    generate_private_key,
    public_point,
    sign_digest,
)
from custom_components.tedee_bluetooth.tedee.errors import IntegrityError
from custom_components.tedee_bluetooth.tedee.logs import (
    EventId,
    LogRecord,
    encode_log_package,
    encode_log_record,
)
from custom_components.tedee_bluetooth.tedee.notifications import (
    DoorState,
    NotificationCode,
    Trigger,
)

from .ca import CertificateInvalid, verify_certificate, verify_time
from .link import SimulatedConnection
from .ptls_server import PTLSServer, ServerAlert, ServerState

_LOGGER = logging.getLogger(__name__)

SESSION_LIFETIME = 24 * 3600.0
MOVING = frozenset({LockState.LOCKING, LockState.UNLOCKING, LockState.PULLING})


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
        return serial_to_service_uuid(self.serial)


@dataclass
class Faults:
    """Injected failures; each one-shot counter is consumed as it fires."""

    drop_link_at: str | None = (
        None  # hello, verify_request, client_verify, command, 0xNN
    )
    corrupt_next: int = 0  # flip a bit in the next N encrypted frames to the client
    delay_next: float = 0.0  # hold the next frame to the client this long
    lose_next: int = 0  # silently lose the next N frames to the client
    refuse_time: int = 0  # refuse the next N signed times
    logs_busy: int = 0  # answer GET_LOGS_TLV with BUSY this many times
    next_result: dict[int, int] = field(default_factory=dict)  # opcode -> forced result


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
        """The 4-byte access id the lock reports for this session's mobile."""
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
        self.identity_key = identity_key or generate_private_key()
        self.faults = Faults()
        self.in_range = True
        self.registered = True
        self.trusted_time = True
        self.calibrated = True
        self.dismounted = False
        self.state = LockState.LOCKED
        self.status = LockStatus.OK
        self.battery = 87
        self.charging = False
        self.door = (
            DoorState.CLOSED if self.config.has_door_sensor else DoorState.UNKNOWN
        )
        self.jam_next = False
        self.logs: list[LogRecord] = []
        self.connections: list[SimulatedConnection] = []
        self.executed: list[tuple[int, bytes]] = []  # commands run, for tests
        self.connect_attempts = 0
        self._move: asyncio.TimerHandle | None = None
        self._has_logs_timer: asyncio.TimerHandle | None = None

    @property
    def device_public_point(self) -> bytes:
        """The lock's public key as the cloud publishes it."""
        return public_point(self.identity_key)

    @property
    def moving(self) -> bool:
        """Motor running."""
        return self.state in MOVING

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
        if not self.in_range:
            raise BleakError(f"{self.config.local_name} is out of range")
        if len(self.connections) >= self.config.max_connections:
            raise BleakError(
                f"{self.config.local_name} refused: {self.config.max_connections} "
                "connections in use"
            )
        self.connections.append(conn)
        server = PTLSServer(
            self.identity_key, min(conn.mtu_size - 3, 255), self._check_certificate
        )
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
        conn.send(PTLS_TX_CHAR_UUID, bytes([Header.PTLS_ALERT, AlertCode.DISCONNECTED]))
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

    def go_out_of_range(self) -> None:
        """Radio gone: every link drops and new ones are refused."""
        self.in_range = False
        for conn in list(self.connections):
            conn.drop("out of range")

    # -- frames from a central -----------------------------------------------------------

    def handle_write(self, conn: SimulatedConnection, uuid: str, data: bytes) -> None:
        """Process one write, as the lock's firmware would."""
        self._arm_idle(conn)
        if uuid == PTLS_RX_CHAR_UUID:
            self._handle_ptls(conn, data)
        elif uuid == API_COMMANDS_CHAR_UUID:
            self._handle_api(conn, data)

    _STEPS: ClassVar[dict[int, str]] = {
        Header.PTLS_HELLO: "hello",
        Header.PTLS_SERVER_VERIFY: "verify_request",
        Header.PTLS_CLIENT_VERIFY_I: "client_verify",
        Header.PTLS_CLIENT_VERIFY_II: "client_verify",
    }

    def _step_name(self, header: int) -> str:
        return self._STEPS.get(header, "?")

    def _handle_ptls(self, conn: SimulatedConnection, data: bytes) -> None:
        session: Session = conn.session
        if not data:
            self._alert(conn, AlertCode.ERROR)
            return
        if self.faults.drop_link_at == self._step_name(data[0]):
            self.faults.drop_link_at = None
            conn.drop(f"fault injected at {self._step_name(data[0])}")
            return
        if data[0] == Header.PTLS_HELLO:
            session.hello_seen = True
            if not self.registered:
                self._alert(conn, AlertCode.NOT_REGISTERED)
                return
            if not self.trusted_time:
                self._alert(conn, AlertCode.NO_TRUSTED_TIME)
                return
        try:
            replies = session.server.receive(data)
        except ServerAlert as alert:
            _LOGGER.debug("simulated lock refuses: %s", alert)
            self._alert(conn, alert.code)
            return
        for frame in replies:
            conn.send(PTLS_TX_CHAR_UUID, frame)
        if session.server.state is ServerState.ESTABLISHED and replies:
            session.started = self.clock()

    def _check_certificate(self, cert: bytes) -> bytes:
        try:
            info = verify_certificate(self.ca_public_key, cert)
        except CertificateInvalid as err:
            raise ServerAlert(AlertCode.INVALID_CERT, str(err)) from err
        if info.device_id != self.config.device_id:
            raise ServerAlert(AlertCode.INVALID_CERT, "certificate is for another lock")
        if info.not_after_ms <= self.clock() * 1000:
            raise ServerAlert(AlertCode.INVALID_CERT, "certificate expired")
        return info.mobile_point

    def _alert(self, conn: SimulatedConnection, code: AlertCode) -> None:
        conn.send(PTLS_TX_CHAR_UUID, bytes([Header.PTLS_ALERT, code]))

    def _handle_api(self, conn: SimulatedConnection, data: bytes) -> None:
        session: Session = conn.session
        if not data:
            return
        kind = data[0] & 0x0F
        if kind == Header.DATA_NOT_ENCRYPTED:
            if len(data) >= 2 and data[1] == Command.SET_SIGNED_DATETIME:
                self._set_signed_time(conn, data[2:], encrypted=False)
            return  # everything else must be sealed: ignored, like the firmware does
        if kind != Header.DATA_ENCRYPTED:
            return
        server = session.server
        if server.state is not ServerState.ESTABLISHED or server.rx is None:
            self._alert(conn, AlertCode.ERROR)
            return
        if self.clock() - session.started > SESSION_LIFETIME:
            server.state = ServerState.WAIT_HELLO
            self._alert(conn, AlertCode.TIMEOUT)
            return
        try:
            plain = server.rx.open(data[1:])
        except IntegrityError:
            server.state = ServerState.WAIT_HELLO
            self._alert(conn, AlertCode.ERROR)
            return
        if not plain:
            return
        if self.faults.drop_link_at in ("command", f"0x{plain[0]:02x}"):
            self.faults.drop_link_at = None
            conn.drop("fault injected at a command")
            return
        if plain[0] == Command.SET_SIGNED_DATETIME:
            self._set_signed_time(conn, plain[1:], encrypted=True)
            return
        self.executed.append((plain[0], bytes(plain[1:])))
        result, payload = self._run_command(conn, plain[0], plain[1:])
        self._send_sealed(
            conn, API_COMMANDS_CHAR_UUID, bytes([plain[0], result]) + payload
        )

    def _send_sealed(self, conn: SimulatedConnection, uuid: str, plain: bytes) -> None:
        session: Session = conn.session
        tx = session.server.tx
        if tx is None or session.server.state is not ServerState.ESTABLISHED:
            return
        sealed = bytearray(
            tx.seal(plain)
        )  # the counter moves even if the frame is lost
        if self.faults.lose_next > 0:
            self.faults.lose_next -= 1
            return
        if self.faults.corrupt_next > 0:
            self.faults.corrupt_next -= 1
            sealed[len(sealed) // 2] ^= 0x01
        delay, self.faults.delay_next = self.faults.delay_next, 0.0
        session.header_roll = (session.header_roll + 1) & 0x0F
        header = (session.header_roll << 4) | Header.DATA_ENCRYPTED
        conn.send(uuid, bytes([header]) + bytes(sealed), extra_delay=delay)

    def _set_signed_time(
        self, conn: SimulatedConnection, body: bytes, *, encrypted: bool
    ) -> None:
        ok = (
            len(body) > 8
            and verify_time(self.ca_public_key, body[:8], body[8:]) is not None
        )
        if ok and self.faults.refuse_time > 0:
            self.faults.refuse_time -= 1
            ok = False
        if ok:
            self.trusted_time = True
        response = bytes([Command.SET_SIGNED_DATETIME, ResultCode.SUCCESS])
        if encrypted:
            self._send_sealed(conn, API_COMMANDS_CHAR_UUID, response)
        else:
            conn.send(
                API_COMMANDS_CHAR_UUID, bytes([Header.DATA_NOT_ENCRYPTED]) + response
            )
        status = bytes([NotificationCode.SIGNED_DATETIME, 0x00 if ok else 0x01])
        conn.send(NOTIFICATIONS_CHAR_UUID, bytes([Header.DATA_NOT_ENCRYPTED]) + status)

    # -- commands ------------------------------------------------------------------------

    def _run_command(
        self, conn: SimulatedConnection, opcode: int, params: bytes
    ) -> tuple[int, bytes]:
        forced = self.faults.next_result.pop(opcode, None)
        if forced is not None:
            return forced, b""
        session: Session = conn.session
        if opcode == Command.GET_STATE:
            return ResultCode.SUCCESS, bytes([self.state, self.status])
        if opcode == Command.GET_BATTERY:
            return ResultCode.SUCCESS, bytes([self.battery, int(self.charging)])
        if opcode == Command.GET_VERSION:
            major, minor, build = self.config.firmware
            return ResultCode.SUCCESS, struct.pack(">BBH", major, minor, build)
        if opcode == Command.GET_LOGS_TLV:
            return self._get_logs()
        if opcode in (Command.LOCK, Command.UNLOCK, Command.PULL_SPRING):
            return self._operate(opcode, params, Trigger.REMOTE, session.access_id)
        return ResultCode.INVALID_PARAM, b""

    def _operate(
        self, opcode: int, params: bytes, trigger: Trigger, access_id: int
    ) -> tuple[int, bytes]:
        if self.dismounted:
            return ResultCode.DISMOUNTED, b""
        if not self.calibrated:
            return ResultCode.NOT_CALIBRATED, b""
        if self.moving:
            return ResultCode.BUSY, b""
        param = params[0] if params else 0
        if opcode == Command.LOCK:
            if param not in (0x00, 0x02):
                return ResultCode.INVALID_PARAM, b""
            self._start_move(LockState.LOCKING, LockState.LOCKED, trigger, access_id)
            return ResultCode.SUCCESS, b""
        if opcode == Command.UNLOCK:
            if param > UnlockParam.WITHOUT_PULL:
                return ResultCode.INVALID_PARAM, b""
            pull = param == UnlockParam.NORMAL and self.config.auto_pull
            self._start_move(
                LockState.UNLOCKING,
                LockState.UNLOCKED,
                trigger,
                access_id,
                pull_after=pull,
            )
            return ResultCode.SUCCESS, b""
        if not self.config.pull_spring_enabled:
            return ResultCode.NOT_CONFIGURED, b""
        if self.state == LockState.LOCKED:
            self._start_move(
                LockState.UNLOCKING,
                LockState.UNLOCKED,
                trigger,
                access_id,
                pull_after=True,
            )
        else:
            self._start_pull(trigger, access_id)
        return ResultCode.SUCCESS, b""

    def _start_move(
        self,
        moving: LockState,
        target: LockState,
        trigger: Trigger,
        access_id: int,
        *,
        pull_after: bool = False,
    ) -> None:
        self._set_state(moving, LockStatus.OK, trigger, access_id)
        jam, self.jam_next = self.jam_next, False

        def _finish() -> None:
            if jam:
                self._set_state(
                    LockState.UNKNOWN, LockStatus.JAMMED, trigger, access_id
                )
                self.record_event(EventId.JAMMED, access_id)
                return
            self._set_state(target, LockStatus.OK, trigger, access_id)
            self.record_event(_event_for(target, trigger), access_id)
            if pull_after:
                self._start_pull(trigger, access_id)

        self._move = asyncio.get_running_loop().call_later(
            self.config.move_time, _finish
        )

    def _start_pull(self, trigger: Trigger, access_id: int) -> None:
        self._set_state(LockState.PULLING, LockStatus.OK, trigger, access_id)
        loop = asyncio.get_running_loop()

        def _held() -> None:
            self._set_state(LockState.PULL_SPRING, LockStatus.OK, trigger, access_id)
            self.record_event(
                EventId.PULLED_REMOTE
                if trigger == Trigger.REMOTE
                else EventId.PULLED_MANUAL,
                access_id,
            )
            self._move = loop.call_later(
                self.config.pull_hold,
                self._set_state,
                LockState.UNLOCKED,
                LockStatus.OK,
                trigger,
                access_id,
            )

        self._move = loop.call_later(self.config.pull_time, _held)

    def _set_state(
        self, state: LockState, status: LockStatus, trigger: Trigger, access_id: int
    ) -> None:
        self.state = state
        self.status = status
        self.notify_all(
            bytes([NotificationCode.LOCK_STATUS_CHANGE, state, status, trigger])
            + struct.pack(">I", access_id)
            + bytes([self.door])
        )

    def notify_all(self, payload: bytes) -> None:
        """Send a sealed notification on every established session."""
        for conn in list(self.connections):
            self._send_sealed(conn, NOTIFICATIONS_CHAR_UUID, payload)

    # -- activity logs -------------------------------------------------------------------

    def record_event(self, event: EventId, access_id: int = 0) -> None:
        """Append a signed activity-log record and announce HAS_LOGS."""
        record = LogRecord(
            event_id=event,
            source=0,
            timestamp=datetime.fromtimestamp(int(self.clock() * 1000) / 1000, tz=UTC),
            device_id=self.config.device_id,
            user_id=access_id or None,
            pin_alias=None,
            signature=b"\x00",
        )
        unsigned = encode_log_record(record)[:-3]
        signature = sign_digest(self.identity_key, hashlib.sha256(unsigned).digest())
        self.logs.append(
            LogRecord(
                record.event_id,
                record.source,
                record.timestamp,
                record.device_id,
                record.user_id,
                record.pin_alias,
                signature,
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
        self.notify_all(bytes([NotificationCode.HAS_LOGS]))
        self._has_logs_timer = asyncio.get_running_loop().call_later(
            self.config.has_logs_interval, self._announce_logs
        )

    def _get_logs(self) -> tuple[int, bytes]:
        if self.faults.logs_busy > 0:
            self.faults.logs_busy -= 1
            return ResultCode.BUSY, b""
        batch = self.logs[: self.config.logs_per_package]
        self.logs = self.logs[len(batch) :]
        if not self.logs and self._has_logs_timer is not None:
            self._has_logs_timer.cancel()
            self._has_logs_timer = None
        if not batch:
            return ResultCode.NOT_FOUND, b""
        result = ResultCode.SUCCESS if self.logs else ResultCode.NOT_FOUND
        return result, encode_log_package(batch)

    # -- the physical world --------------------------------------------------------------

    def press_button(self) -> None:
        """Someone presses the lock's button: toggle, like the real one."""
        if self.moving:
            return
        if self.state == LockState.LOCKED:
            self._start_move(
                LockState.UNLOCKING,
                LockState.UNLOCKED,
                Trigger.BUTTON,
                0,
                pull_after=self.config.auto_pull,
            )
        else:
            self._start_move(LockState.LOCKING, LockState.LOCKED, Trigger.BUTTON, 0)

    def auto_lock(self) -> None:
        """The auto-lock timer fires."""
        if not self.moving and self.state != LockState.LOCKED:
            self._start_move(LockState.LOCKING, LockState.LOCKED, Trigger.AUTO_LOCK, 0)

    def set_door(self, door_open: bool) -> None:
        """The door sensor reports open or closed."""
        if not self.config.has_door_sensor:
            raise RuntimeError("this lock has no door sensor")
        self.door = DoorState.OPEN if door_open else DoorState.CLOSED
        self._set_state(self.state, self.status, Trigger.DOOR_SENSOR, 0)

    def set_battery(self, level: int) -> None:
        """Battery level changes."""
        self.battery = max(0, min(100, level))
        self.notify_all(
            bytes([NotificationCode.BATTERY_STATE, self.battery, int(self.charging)])
        )

    def set_charging(self, charging: bool) -> None:
        """A charger is plugged in or out."""
        self.charging = charging
        code = (
            NotificationCode.BATTERY_START_CHARGING
            if charging
            else NotificationCode.BATTERY_STOP_CHARGING
        )
        self.notify_all(bytes([code, self.battery]))

    def lose_trusted_time(self) -> None:
        """Power loss: the lock forgets the time and asks for it."""
        self.trusted_time = False
        self.notify_all(bytes([NotificationCode.NEED_DATE_TIME]))

    def add_again(self) -> bytes:
        """The owner adds the reset lock again in the Tedee app: new keys.

        Returns the new public key, which the cloud now publishes for the lock.
        """
        self.registered = True
        self.identity_key = generate_private_key()
        return self.device_public_point

    def factory_reset(self) -> None:
        """Keys wiped: every central is refused with NOT_REGISTERED from now on."""
        self.registered = False
        for conn in list(self.connections):
            conn.drop("factory reset")


def _event_for(state: LockState, trigger: Trigger) -> EventId:
    locked = state == LockState.LOCKED
    table = {
        Trigger.REMOTE: (EventId.LOCKED_REMOTE, EventId.UNLOCKED_REMOTE),
        Trigger.BUTTON: (EventId.LOCKED_BUTTON, EventId.UNLOCKED_BUTTON),
        Trigger.AUTO_LOCK: (EventId.LOCKED_AUTO, EventId.UNLOCKED_AUTO),
    }
    pair = table.get(trigger, (EventId.LOCKED_MANUAL, EventId.UNLOCKED_MANUAL))
    return pair[0] if locked else pair[1]


def new_mobile_id() -> str:
    """A fresh mobile id (the cloud's uuid format)."""
    return str(uuid_mod.uuid4())
