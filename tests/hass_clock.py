"""Virtual time for the Home Assistant tests: the clock moves only when a test says.

Home Assistant's loop keeps running on its real clock, plus an offset that only
``advance``/``until`` move. They jump straight to the next timer due (the lock's
motor, a back-off, a keep-alive, a command deadline), let everything ready run
(including the simulated cloud and ESPHome proxies on loopback, and jobs in
Home Assistant's executor threads), and repeat. So a test that waits for
"the motor has turned" waits for the event, never for wall time, and gives the
same result on an idle machine and on one with every CPU busy.

The offset is applied to every clock the integration and the simulators read:
the loop's ``time()``, ``dt_util.utcnow()``, the event helpers' trackers, and the
simulators' injectable wall clocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
import time
import types
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import event as event_helper
from homeassistant.util import dt as dt_util
import pytest

MAX_STEPS = 200_000  # a runaway loop of zero-delay timers fails the test, not CI
EXECUTOR_WAIT = 2.0  # real seconds one step waits for executor jobs, at most


class HassClock:
    """Home Assistant's clocks plus an offset that only the test moves."""

    def __init__(self, hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        self._loop = hass.loop
        real_loop_time = type(hass.loop).time.__get__(hass.loop)
        real_utcnow = dt_util.utcnow
        self._real_utcnow = real_utcnow

        def loop_time() -> float:
            return float(real_loop_time()) + self.offset

        self._loop.time = loop_time  # type: ignore[method-assign]
        # asyncio's debug mode would call every step a "slow callback" (it measures
        # with loop.time()).
        self._slow = self._loop.slow_callback_duration
        self._loop.slow_callback_duration = float("inf")
        # Jobs in Home Assistant's executor threads finish in real time; the clock
        # does not jump while one runs (up to EXECUTOR_WAIT of real time).
        self.executor_jobs = 0
        real_run_in_executor = self._loop.run_in_executor

        def run_in_executor(executor: Any, func: Any, *args: Any) -> Any:
            future = real_run_in_executor(executor, func, *args)
            self.executor_jobs += 1
            future.add_done_callback(self._executor_job_done)
            return future

        self._loop.run_in_executor = run_in_executor  # type: ignore[method-assign,assignment]
        monkeypatch.setattr(dt_util, "utcnow", self.utcnow)
        monkeypatch.setattr(event_helper, "time_tracker_utcnow", self.utcnow)
        monkeypatch.setattr(event_helper, "time_tracker_timestamp", self.wall)
        monkeypatch.setattr(event_helper, "time", types.SimpleNamespace(time=self.wall))

    def restore(self) -> None:
        """Give the loop its own clock back."""
        del self._loop.time
        del self._loop.run_in_executor
        self._loop.slow_callback_duration = self._slow

    def wall(self) -> float:
        """Seconds since the epoch, moved with the test."""
        return time.time() + self.offset

    def utcnow(self) -> datetime:
        """``dt_util.utcnow()``, moved with the test."""
        return self._real_utcnow() + timedelta(seconds=self.offset)

    async def run_ready(self) -> None:
        """Let everything that can run now run, until the loop has nothing ready.

        "Nothing ready" includes Home Assistant's executor jobs: the clock waits
        for them (real threads, real time) rather than jumping past them.
        """
        waited = 0.0
        for _ in range(MAX_STEPS):
            await self._spin()
            if not self.executor_jobs or waited >= EXECUTOR_WAIT:
                return
            await asyncio.sleep(0.0005)  # real time: the thread works meanwhile
            waited += 0.0005
        raise AssertionError("the loop never became idle")

    def _executor_job_done(self, _future: object) -> None:
        self.executor_jobs -= 1

    async def _spin(self) -> None:
        idle = 0
        for _ in range(MAX_STEPS):
            await asyncio.sleep(0)
            idle = 0 if self._loop._ready else idle + 1  # type: ignore[attr-defined]
            if idle >= 3:
                return
        raise AssertionError("the loop never became idle")

    def _next_due(self) -> float | None:
        scheduled = self._loop._scheduled  # type: ignore[attr-defined]
        whens = [handle.when() for handle in scheduled if not handle.cancelled()]
        return min(whens) if whens else None

    def _step_to(self, due: float) -> None:
        now = self._loop.time()
        if due > now:
            self.offset += due - now

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer due on the way."""
        end = self._loop.time() + seconds
        for _ in range(MAX_STEPS):
            await self.run_ready()
            due = self._next_due()
            if due is None or due > end:
                break
            self._step_to(due)
        else:
            raise AssertionError("too many timers in one advance")
        self._step_to(end)
        await self.run_ready()

    async def until(self, condition: Callable[[], bool], limit: float = 30.0) -> float:
        """Move time, timer by timer, until ``condition`` holds; return the time taken.

        Fails if it does not hold within ``limit`` seconds of (virtual) time.
        """
        start = self._loop.time()
        end = start + limit
        for _ in range(MAX_STEPS):
            await self.run_ready()
            if condition():
                return self._loop.time() - start
            due = self._next_due()
            if due is None or due > end:
                break
            self._step_to(due)
        raise AssertionError(f"not reached within {limit} s")
