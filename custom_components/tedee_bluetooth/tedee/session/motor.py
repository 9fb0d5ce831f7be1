"""What the lock's motor is doing, from the lock's own state reports.

A command sent while the motor turns gets BUSY; the lock says when it turns
(LOCKING, UNLOCKING, PULLING, the spring held) and when it has settled. So a
command waits for the motor instead of guessing, and "open" on a locked lock
unlocks first and pulls once the lock reports UNLOCKED, never twice where the
lock pulls by itself.
"""

from __future__ import annotations

import asyncio

from ..errors import CommandError, SessionError
from ..link.client import TedeeLockClient
from ..wire.commands import LockState, UnlockParam
from ..wire.const import ResultCode

# The motor is turning (or holding the spring): a command now would get BUSY.
MOVING_STATES = frozenset(
    {
        LockState.LOCKING,
        LockState.UNLOCKING,
        LockState.PULLING,
        LockState.PULL_SPRING,
    }
)
PULLED_STATES = frozenset({LockState.PULLING, LockState.PULL_SPRING})
# After LOCK or UNLOCK, the lock reports its motor moving at once; none in this
# long, and it is taken as not moving at all.
MOVE_REPORT_WAIT = 2.0


class Motor:
    """The lock's last reported state, and waits on it."""

    def __init__(self) -> None:
        """Nothing reported yet: taken as still."""
        self.state: LockState | None = None
        self.jammed = False
        self._still = asyncio.Event()
        self._still.set()
        self._reported = asyncio.Event()  # set by each report
        self._pulled = False  # the spring was seen pulled since an open began

    def report(self, state: LockState, *, jammed: bool = False) -> None:
        """The lock reported its state (an answer or a notification)."""
        self.state = state
        self.jammed = jammed
        if state in PULLED_STATES:
            self._pulled = True
        self._reported.set()
        if state in MOVING_STATES:
            self._still.clear()
        else:
            self._still.set()

    async def async_settled(self, within: float) -> bool:
        """Whether the motor is still, waiting at most ``within`` s for it to stop."""
        if self._still.is_set():
            return True
        try:
            async with asyncio.timeout(max(within, 0.0)):
                while not self._still.is_set():  # it may move on again at once
                    await self._still.wait()
        except TimeoutError:
            return False
        return True

    async def async_outcome(self, deadline: float) -> bool | None:
        """After LOCK or UNLOCK: whether the motor jammed (None: not known).

        Waits for the lock to report the move and then a still motor, at most
        until ``deadline`` (on the loop's clock). A lock that reports no move
        within ``MOVE_REPORT_WAIT`` (already where it was asked to be) is not
        waited for.
        """
        loop = asyncio.get_running_loop()
        moved = False
        while True:
            moved = moved or self.state in MOVING_STATES
            if self.jammed or (moved and self._still.is_set()):
                return self.jammed
            until = deadline if moved else min(deadline, loop.time() + MOVE_REPORT_WAIT)
            if not await self._async_next_report(until):
                return None

    async def async_open(
        self, client: TedeeLockClient, unlock: UnlockParam, deadline: float
    ) -> None:
        """Pull the spring, unlocking first unless the lock is UNLOCKED.

        Raises SessionError ``unlocked_not_opened`` when the pull cannot follow
        the unlock before ``deadline`` (on the loop's clock).
        """
        if self.state is not LockState.UNLOCKED:
            self._pulled = False
            await client.unlock(unlock)
            if not await self._async_unlocked_by(deadline):
                raise SessionError("unlocked_not_opened")
            if self._pulled:
                return  # the lock pulled by itself: never pull twice
        await self._async_pull_by(client, deadline)

    async def _async_unlocked_by(self, deadline: float) -> bool:
        """After UNLOCK: whether the lock reached UNLOCKED (or pulled) in time."""
        moved = self.state in MOVING_STATES
        while not (self._pulled or (moved and self.state is LockState.UNLOCKED)):
            if not await self._async_next_report(deadline):
                return False
            moved = moved or self.state in MOVING_STATES
        return True

    async def _async_next_report(self, until: float) -> bool:
        """Wait for the lock's next state report; False if none came by ``until``."""
        self._reported.clear()
        try:
            async with asyncio.timeout_at(until):
                await self._reported.wait()
        except TimeoutError:
            return False
        return True

    async def _async_pull_by(self, client: TedeeLockClient, deadline: float) -> None:
        """PULL_SPRING, retried on BUSY until the deadline unless the lock pulled."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                await client.pull_spring()
                return
            except CommandError as err:
                if err.result != ResultCode.BUSY:
                    raise
            # Busy: the lock may be pulling by itself right now.
            settled = await self.async_settled(deadline - loop.time())
            if self._pulled:
                return
            if not settled or loop.time() >= deadline:
                raise SessionError("unlocked_not_opened")
