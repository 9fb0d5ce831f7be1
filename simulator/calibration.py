"""The simulated lock's calibration, strict as the vendor's commands describe it.

Lock calibration (CALIBRATION_INIT 0x53, CALIBRATE_LOCKED 0x54,
CALIBRATE_UNLOCKED 0x55, CALIBRATION_CANCEL 0x56): INIT puts the lock in
CALIBRATION; the owner turns the knob by hand to the locked position and the
lock saves it, then to the unlocked one; the lock then says how it went with
CALIBRATION_FINISHED (0 ok, 2 positions too close, 3 timeout after 3 minutes,
4 cancelled). Pull-spring calibration (0x57, 0x58, 0x59) finds the spring's
position by itself and ends with PULL_CALIBRATION_FINISHED. A command outside
its step is refused with ERROR; one while the motor turns with BUSY.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from .wire import Cause, Event, Note, Op, Result, State, Status

if TYPE_CHECKING:
    from .lock import SimulatedLock

TIMEOUT = 180.0  # seconds from INIT to the end of a calibration
MIN_TRAVEL = 45.0  # degrees between the two positions; less is "too close"
PULL_DETECT_TIME = 3.0  # seconds the lock takes to find the spring's position

OK, ERROR, TOO_CLOSE, TIMED_OUT, CANCELLED = 0, 1, 2, 3, 4
CALIBRATION_OPS = frozenset(range(Op.CALIBRATION_INIT, Op.PULL_CALIBRATION_CANCEL + 1))


class Calibration:
    """The knob under the owner's hand, and where calibration stands."""

    def __init__(self, lock: SimulatedLock) -> None:
        """Not calibrating; the knob where the bolt is."""
        self._lock = lock
        self.knob = 0.0  # degrees, turned by hand
        self.step: str | None = None  # "locked" or "unlocked": what it waits for
        self.locked_at: float | None = None
        self.pulling: str | None = None  # "init" or "detecting"
        self.spring_stuck = False  # the latch does not move: detection fails
        self.results: list[tuple[int, int]] = []  # (notification, result) sent
        self._timer: asyncio.TimerHandle | None = None

    def stop(self) -> None:
        """No timer left running (the lock shuts down)."""
        self._disarm()

    def turn_knob(self, degrees: float) -> None:
        """The owner turns the knob by hand (only calibration reads where to)."""
        self.knob = degrees

    def run(self, opcode: int) -> tuple[int, bytes]:
        """One calibration command, as the lock answers it."""
        lock = self._lock
        if lock.dismounted:
            return Result.ERROR, b""
        if lock.moving:
            return Result.BUSY, b""
        if opcode == Op.CALIBRATION_INIT:
            return self._init()
        if opcode == Op.CALIBRATE_LOCKED:
            if self.step != "locked":
                return Result.ERROR, b""
            self.locked_at, self.step = self.knob, "unlocked"
            return Result.SUCCESS, b""
        if opcode == Op.CALIBRATE_UNLOCKED:
            if self.step != "unlocked" or self.locked_at is None:
                return Result.ERROR, b""
            travel = abs(self.knob - self.locked_at)
            self._finish(OK if travel >= MIN_TRAVEL else TOO_CLOSE)
            return Result.SUCCESS, b""
        if opcode == Op.CALIBRATION_CANCEL:
            if self.step is None:
                return Result.ERROR, b""
            self._finish(CANCELLED)
            return Result.SUCCESS, b""
        return self._pull(opcode)

    def _init(self) -> tuple[int, bytes]:
        lock = self._lock
        if self.pulling is not None:
            return Result.BUSY, b""
        self.step, self.locked_at = "locked", None
        lock.calibrated = False
        lock.set_state(State.CALIBRATION, Status.OK, Cause.REMOTE)
        self._arm(lambda: self._finish(TIMED_OUT))
        return Result.SUCCESS, b""

    def _finish(self, result: int) -> None:
        """CALIBRATION_FINISHED, after the command's own answer."""
        lock = self._lock
        self._disarm()
        self.step = None
        if result == OK:
            lock.calibrated = True
            lock.set_state(State.UNLOCKED, Status.OK, Cause.REMOTE)
            lock.record_event(Event.CALIBRATION)
        elif result == CANCELLED:
            lock.set_state(State.CALIBRATION_CANCELLED, Status.OK, Cause.REMOTE)
        else:
            lock.set_state(State.UNCALIBRATED, Status.OK, Cause.REMOTE)
        self._announce(Note.CALIBRATION_FINISHED, result)

    def _pull(self, opcode: int) -> tuple[int, bytes]:
        lock = self._lock
        if opcode == Op.PULL_CALIBRATION_INIT:
            ready = lock.calibrated and lock.state == State.UNLOCKED
            if not ready or not lock.config.pull_spring_enabled or self.step:
                return Result.ERROR, b""
            self.pulling = "init"
            self._arm(lambda: self._pull_finished(TIMED_OUT))
            return Result.SUCCESS, b""
        if opcode == Op.PULL_CALIBRATION_START:
            if self.pulling != "init":
                return Result.ERROR, b""
            self.pulling = "detecting"
            self._disarm()
            self._timer = asyncio.get_running_loop().call_later(
                PULL_DETECT_TIME,
                self._pull_finished,
                ERROR if self.spring_stuck else OK,
            )
            return Result.SUCCESS, b""
        if self.pulling is None:  # PULL_CALIBRATION_CANCEL
            return Result.ERROR, b""
        self._pull_finished(CANCELLED)
        return Result.SUCCESS, b""

    def _pull_finished(self, result: int) -> None:
        self._disarm()
        self.pulling = None
        self._announce(Note.PULL_CALIBRATION_FINISHED, result)

    def _announce(self, note: int, result: int) -> None:
        self.results.append((note, result))
        loop = asyncio.get_running_loop()
        loop.call_soon(self._lock.notify_all, bytes([note, result]))

    def _arm(self, on_timeout: Callable[[], None]) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(TIMEOUT, on_timeout)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
