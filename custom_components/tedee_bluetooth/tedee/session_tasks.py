"""The session's background tasks: started through the owner, all ended on stop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from .session_listener import Spawner


class SessionTasks:
    """Keep every task the session starts, so stopping can cancel and await them."""

    def __init__(self, name: str, spawn: Spawner | None) -> None:
        """``spawn(coro, name)`` starts a task (the owner may track it)."""
        self._name = name
        self._factory = spawn
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stopped = False

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Start ``coro``, unless the session has stopped (then it never runs)."""
        if self.stopped:
            coro.close()
            return
        if self._factory is not None:
            task = self._factory(coro, name)
        else:
            task = asyncio.get_running_loop().create_task(
                coro, name=f"{self._name} {name}"
            )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def async_stop(self) -> None:
        """No new tasks; cancel the running ones and wait until they have ended."""
        self.stopped = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
