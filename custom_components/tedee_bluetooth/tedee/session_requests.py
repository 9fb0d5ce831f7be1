"""What the lock asks for by itself during a session: signed time, its activity log.

A mixin of TedeeSession; both requests wait their turn behind a running command
and run on whatever session is current then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .chores import async_fetch_logs, async_give_time
from .client import TedeeLockClient
from .notifications import Notification, NotificationCode, SimpleNotification
from .session_listener import SessionListener
from .session_tasks import SessionTasks
from .status import ConnectionStatus


class LockRequests:
    """Answer NEED_DATE_TIME and HAS_LOGS; pass every other notification on."""

    name: str
    _client: TedeeLockClient | None
    _io_lock: asyncio.Lock
    _tasks: SessionTasks
    _listener: SessionListener
    _fetching_logs: bool
    _set_status: Callable[[ConnectionStatus], None]

    @property
    def established(self) -> bool:
        """A PTLS session is up right now."""
        return self._client is not None and self._client.established

    def _on_notification(self, notification: Notification) -> None:
        if isinstance(notification, SimpleNotification):
            if notification.code == NotificationCode.NEED_DATE_TIME:
                self._tasks.spawn(self._async_give_time(), "signed time")
            elif notification.code == NotificationCode.HAS_LOGS:
                self._tasks.spawn(self.async_fetch_logs(), "activity logs")
            return
        self._listener.session_notification(notification)

    async def _async_give_time(self) -> None:
        took = await async_give_time(self.name, self._io_lock, lambda: self._client)
        if took is False:  # the session goes on; the status says what it lacks
            self._set_status(ConnectionStatus.NO_TRUSTED_TIME)
        elif took and self.established:
            self._set_status(ConnectionStatus.CONNECTED)

    async def async_fetch_logs(self) -> None:
        """Fetch the waiting activity-log records on the current session."""
        if self._fetching_logs:
            return
        self._fetching_logs = True
        try:
            records = await async_fetch_logs(
                self.name, self._io_lock, lambda: self._client
            )
        finally:
            self._fetching_logs = False
        if records:
            self._listener.session_logs(records)
