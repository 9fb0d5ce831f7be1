"""One command under one deadline: refused, never sent late, never sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..errors import CommandError, SessionError
from ..link.client import TedeeLockClient
from ..wire.const import ResultCode

Run = Callable[[TedeeLockClient], Awaitable[None]]
# settled(timeout): True at once if the motor is still, else whether it stopped
# within ``timeout`` seconds.
Settled = Callable[[float], Awaitable[bool]]


async def async_run_by(
    deadline: float,
    one_at_a_time: asyncio.Lock,
    connect: Callable[[], Awaitable[TedeeLockClient]],
    run: Run,
    *,
    settled: Settled,
    busy_retry_delay: float,
) -> None:
    """Wait for the previous command, connect, run; all before ``deadline``.

    ``deadline`` is on the loop's clock, from when the user asked. While the
    lock's motor turns (its own status notifications say so) the command waits
    for it to settle; a BUSY answer is retried the same way, as long as there is
    time left. Raises SessionError ``lock_busy`` (an earlier command still runs),
    ``not_connected`` (no session in time) or ``lock_moving`` (the motor did not
    settle in time); the command is then not sent.
    """
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(deadline):
            await one_at_a_time.acquire()
    except TimeoutError as err:
        raise SessionError("lock_busy") from err
    try:
        try:
            async with asyncio.timeout_at(deadline):
                client = await connect()
        except TimeoutError as err:
            raise SessionError("not_connected") from err
        busy: CommandError | None = None
        while True:
            if not await settled(deadline - loop.time()) or loop.time() >= deadline:
                if busy is not None:
                    raise busy
                raise SessionError("lock_moving")
            try:
                await run(client)
                return
            except CommandError as err:
                if err.result != ResultCode.BUSY:
                    raise
                busy = err
            if loop.time() + busy_retry_delay >= deadline:
                raise busy
            # BUSY with no movement reported (yet): a short pause, then again.
            if await settled(0.0):
                await asyncio.sleep(busy_retry_delay)
    finally:
        one_at_a_time.release()
