"""Reads around the session's commands, and what the lock asks for by itself.

Battery and version after the first state, the keep-alive read, a signed time
and the activity log. The last two wait for a running command (one exchange with
the lock at a time) and run on whatever session is current when their turn comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging

from .client import TedeeLockClient
from .commands import BatteryReport, StateReport, VersionReport
from .errors import TedeeError
from .logs import LogRecord

_LOGGER = logging.getLogger(__name__)

Current = Callable[[], TedeeLockClient | None]
Report = Callable[[StateReport | BatteryReport | VersionReport], None]


async def async_read_more(
    name: str, client: TedeeLockClient, report: Report, *, version: bool
) -> bool:
    """Battery, then the firmware version if asked; whether the version was read."""
    try:
        report(await client.get_battery())
        if version:
            report(await client.get_version())
            return True
    except TedeeError as err:
        _LOGGER.debug("%s: reading battery or version failed: %s", name, err)
    return False


async def async_keepalive(name: str, client: TedeeLockClient, report: Report) -> None:
    """A state read that keeps the session inside the lock's idle limit."""
    try:
        report(await client.get_state())
    except TedeeError as err:
        _LOGGER.debug("%s: keep-alive failed: %s", name, err)


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
