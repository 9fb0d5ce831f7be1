"""The lock's operations on top of one authenticated command channel.

A mixin of TedeeLockClient: each operation is one or a few commands through
``_command``, which the client implements (one in flight, one deadline).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging

from ..errors import CommandError, LockTimeoutError, TrustedTimeError
from ..wire.commands import (
    BatteryReport,
    LockParam,
    Response,
    StateReport,
    UnlockParam,
    VersionReport,
    decode_battery,
    decode_state,
    decode_version,
)
from ..wire.const import Command, ResultCode
from ..wire.logs import FetchedPackage, LogRecord, read_log_package

_LOGGER = logging.getLogger(__name__)

CALIBRATION_STEPS = frozenset(
    {
        Command.CALIBRATION_INIT,
        Command.CALIBRATE_LOCKED,
        Command.CALIBRATE_UNLOCKED,
        Command.CALIBRATION_CANCEL,
        Command.PULL_CALIBRATION_INIT,
        Command.PULL_CALIBRATION_START,
        Command.PULL_CALIBRATION_CANCEL,
    }
)
SignedTimeProvider = Callable[[], Awaitable[tuple[bytes, bytes]]]

SIGNED_TIME_ATTEMPTS = 3
SIGNED_TIME_RETRY_DELAY = 1.0
LOGS_BUSY_RETRIES = 10
LOGS_BUSY_DELAY = 0.2
MAX_LOG_PACKAGES = 64


class LockOperations:
    """Read the lock, move it, fetch its activity log, give it signed time."""

    _signed_time: SignedTimeProvider | None
    _time_result: asyncio.Future[bool] | None
    _command_timeout: float
    bad_log_packages: int
    # One command, its answer: TedeeLockClient._command (one in flight, one deadline).
    _command: Callable[..., Awaitable[Response]]

    async def get_state(self) -> StateReport:
        """Current lock state and jam status."""
        return decode_state((await self._command(Command.GET_STATE)).data)

    async def get_battery(self) -> BatteryReport:
        """Battery level and charging."""
        return decode_battery((await self._command(Command.GET_BATTERY)).data)

    async def get_version(self) -> VersionReport:
        """Firmware version."""
        return decode_version((await self._command(Command.GET_VERSION)).data)

    async def lock(self, param: LockParam = LockParam.NORMAL) -> None:
        """Lock (FORCE locks until jammed)."""
        await self._command(Command.LOCK, bytes([param]))

    async def unlock(self, param: UnlockParam = UnlockParam.NORMAL) -> None:
        """Unlock; NORMAL also pulls the spring if the lock's auto-pull is on."""
        await self._command(Command.UNLOCK, bytes([param]))

    async def pull_spring(self) -> None:
        """Open the door latch."""
        await self._command(Command.PULL_SPRING)

    async def calibrate(self, step: Command) -> None:
        """One step of (pull-spring) calibration.

        The lock ends a calibration with CALIBRATION_FINISHED or
        PULL_CALIBRATION_FINISHED; the caller waits for that notification.
        """
        if step not in CALIBRATION_STEPS:
            raise ValueError(f"{step.name} is not a calibration step")
        await self._command(step)

    async def get_logs(
        self, on_package: Callable[[FetchedPackage], None] | None = None
    ) -> list[LogRecord]:
        """Fetch every waiting activity-log record (the lock deletes what we fetch).

        ``on_package`` gets each package as it arrives, parsed or not: what was
        fetched before a failure is not lost with it.
        """
        records: list[LogRecord] = []
        busy = 0
        for _ in range(MAX_LOG_PACKAGES):
            response = await self._command(Command.GET_LOGS_TLV, check=False)
            if response.result == ResultCode.BUSY:
                busy += 1
                if busy > LOGS_BUSY_RETRIES:
                    raise CommandError(response.opcode, response.result)
                await asyncio.sleep(LOGS_BUSY_DELAY)
                continue
            if response.result not in (ResultCode.SUCCESS, ResultCode.NOT_FOUND):
                raise CommandError(response.opcode, response.result, response.data)
            if response.data:  # NOT_FOUND may or may not carry a package
                package = read_log_package(response.data)
                if package.error is not None:
                    # The lock already deleted these records; keep going.
                    self.bad_log_packages += 1
                    _LOGGER.debug(
                        "an activity-log package does not parse (%s): %s",
                        package.error,
                        response.data.hex(),
                    )
                if on_package is not None:
                    on_package(package)
                records.extend(package.records)
            if response.result == ResultCode.NOT_FOUND:
                break
        return records

    async def set_signed_time(self) -> None:
        """Give the lock a cloud-signed time, unencrypted, and wait for 0x7B."""
        if self._signed_time is None:
            raise TrustedTimeError("no signed-time source configured")
        for attempt in range(1, SIGNED_TIME_ATTEMPTS + 1):
            datetime_bytes, signature = await self._signed_time()
            loop = asyncio.get_running_loop()
            self._time_result = loop.create_future()
            try:
                response = await self._command(
                    Command.SET_SIGNED_DATETIME,
                    bytes(datetime_bytes) + bytes(signature),
                    encrypted=False,
                    check=False,
                )
                accepted = False  # INVALID_PARAM or ERROR: no notification follows
                if response.ok:
                    async with asyncio.timeout(self._command_timeout):
                        accepted = await self._time_result
            except TimeoutError as err:
                raise LockTimeoutError("lock did not confirm the signed time") from err
            finally:
                self._time_result = None
            if accepted:
                return
            _LOGGER.debug("lock refused signed time (attempt %d)", attempt)
            if attempt < SIGNED_TIME_ATTEMPTS:
                await asyncio.sleep(SIGNED_TIME_RETRY_DELAY)
        raise TrustedTimeError(
            f"the lock refused the signed time {SIGNED_TIME_ATTEMPTS} times"
        )
