"""Deliver the lock's frames in the lock's order, not the radio's (sans-I/O).

Frames carry the lock's one counter (learned when they are opened). A frame that
arrives ahead of a gap waits up to ``hold`` seconds for the gap to fill; then it is
delivered anyway and the gap counts as missed. A frame for a gap given up earlier is
still delivered, marked late, so its state never overwrites a newer one. The caller
supplies the time and arms a timer for ``deadline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_HOLD = 0.3  # seconds a frame waits for an earlier one


@dataclass(slots=True)
class LinkCounts:
    """What the radio did to this session's frames (shown in diagnostics)."""

    reordered: int = 0  # arrived ahead of an earlier frame
    duplicated: int = 0  # arrived twice; the copy was dropped
    missed: int = 0  # never arrived in time; later frames went ahead
    late: int = 0  # arrived after its gap was given up
    failed: int = 0  # authenticated under no counter: never opened

    @property
    def flaky(self) -> bool:
        """Anything but a clean, in-order link."""
        return any((self.reordered, self.duplicated, self.missed, self.failed))


@dataclass(frozen=True, slots=True)
class Delivery(Generic[T]):
    """A frame ready for its consumer."""

    counter: int
    item: T
    late: bool = False


class Reorderer(Generic[T]):
    """Puts opened frames back into counter order, with a bounded wait."""

    def __init__(self, counts: LinkCounts, hold: float = DEFAULT_HOLD) -> None:
        """Start expecting counter 0."""
        self._counts = counts
        self._hold = hold
        self._next = 0
        self._held: dict[int, T] = {}
        self.deadline: float | None = None

    def push(self, counter: int, item: T, now: float) -> list[Delivery[T]]:
        """An opened frame arrived; return whatever can be delivered now."""
        if counter < self._next:
            self._counts.late += 1
            return [Delivery(counter, item, late=True)]
        if counter > self._next:
            self._counts.reordered += 1
            self._held[counter] = item
            if self.deadline is None:
                self.deadline = now + self._hold
            return []
        self._held[counter] = item
        return self._release(now)

    def expire(self, now: float) -> list[Delivery[T]]:
        """The wait is over: skip the gaps before the held frames and deliver."""
        if self.deadline is None or now < self.deadline:
            return []
        first = min(self._held)
        self._counts.missed += first - self._next
        self._next = first
        return self._release(now)

    def _release(self, now: float) -> list[Delivery[T]]:
        ready: list[Delivery[T]] = []
        while self._next in self._held:
            ready.append(Delivery(self._next, self._held.pop(self._next)))
            self._next += 1
        # Frames still held wait for the next gap afresh.
        self.deadline = now + self._hold if self._held else None
        return ready
