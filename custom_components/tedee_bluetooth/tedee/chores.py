"""What the lock asks for by itself: a signed time, its activity log fetched.

Both wait for a running command (one exchange with the lock at a time) and
run on whatever session is current when their turn comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging

from .client import TedeeLockClient
from .errors import TedeeError
from .logs import LogRecord

_LOGGER = logging.getLogger(__name__)

Current = Callable[[], TedeeLockClient | None]


async def async_give_time(
    name: str, one_at_a_time: asyncio.Lock, current: Current
) -> bool | None:
    """Give the lock a signed time; None without a session, else whether it took."""
    async with one_at_a_time:
        client = current()
        if client is None:
            return None
        try:
            await client.set_signed_time()
        except TedeeError as err:
            _LOGGER.warning("%s: could not give the lock a signed time: %s", name, err)
            return False
        return True


async def async_fetch_logs(
    name: str, one_at_a_time: asyncio.Lock, current: Current
) -> list[LogRecord]:
    """The waiting activity-log records (the lock deletes what we fetch)."""
    try:
        async with one_at_a_time:
            client = current()
            return [] if client is None else await client.get_logs()
    except TedeeError as err:
        _LOGGER.debug("%s: could not fetch activity logs: %s", name, err)
        return []
