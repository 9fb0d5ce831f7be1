"""An event loop whose clock moves only when everything waits: deterministic, fast.

The loop's time starts at 0 and jumps straight to the next timer whenever nothing
is ready to run, so a test with 150 ms link latency and a thousand commands takes
only the CPU it needs, and gives the same result on an idle or a busy machine.
For the library and simulator tests (no real I/O). It is run with
``run_until_complete`` and never installed as the current loop, so it leaves the
Home Assistant tests' loop handling untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import functools
import inspect
import selectors
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    """Instead of sleeping until the next timer, move the clock there."""

    loop: VirtualTimeLoop

    def select(
        self, timeout: float | None = None
    ) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("deadlock: nothing is ready and no timer is pending")
        if timeout > 0:
            self.loop.now += timeout
        return super().select(0)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop on a virtual clock."""

    def __init__(self) -> None:
        self.now = 0.0
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self

    def time(self) -> float:
        return self.now


def run_virtual(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def on_virtual_clock(
    test: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[..., None]:
    """An async test as a plain one that runs on a fresh virtual-time loop."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        run_virtual(test(*args, **kwargs))

    return run


def all_tests_on_virtual_clock(namespace: dict[str, Any]) -> None:
    """Call at the end of a test module: every async test there runs virtually."""
    for name, test in list(namespace.items()):
        if name.startswith("test_") and inspect.iscoroutinefunction(test):
            namespace[name] = on_virtual_clock(test)
