"""One command under one deadline: refused, never sent late, never sent twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .client import TedeeLockClient
from .commands import ResultCode
from .errors import CommandError, SessionError

Run = Callable[[TedeeLockClient], Awaitable[None]]


async def async_run_by(
    deadline: float,
    one_at_a_time: asyncio.Lock,
    connect: Callable[[], Awaitable[TedeeLockClient]],
    run: Run,
    *,
    busy_retries: int,
    busy_retry_delay: float,
) -> None:
    """Wait for the previous command, connect, run; all before ``deadline``.

    ``deadline`` is on the loop's clock, from when the user asked. Raises
    SessionError ``lock_busy`` (an earlier command still runs) or
    ``not_connected`` (no session in time); a BUSY answer is retried only while
    there is time left.
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
        for attempt in range(busy_retries + 1):
            try:
                await run(client)
                return
            except CommandError as err:
                if (
                    err.result != ResultCode.BUSY
                    or attempt == busy_retries
                    or loop.time() + busy_retry_delay >= deadline
                ):
                    raise
            await asyncio.sleep(busy_retry_delay)
    finally:
        one_at_a_time.release()
