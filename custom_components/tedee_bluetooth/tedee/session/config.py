"""How a session behaves: timings a test (or a careful user) may change."""

from __future__ import annotations

from dataclasses import dataclass

from ..link.client import DEFAULT_COMMAND_TIMEOUT


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Timings of one session, in seconds."""

    always_connected: bool = True
    # Read the lock's activity log (it deletes what is read): who did it comes
    # only from there. Off: events come from live notifications alone.
    fetch_logs: bool = True
    keepalive_interval: float = 15.0  # well inside the lock's ~25 s idle limit
    reconnect_backoff: tuple[float, ...] = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)
    # The adapter or proxy had no free connection slot: retrying fast only
    # competes with whatever holds the slots, so wait longer.
    no_slot_backoff: tuple[float, ...] = (30.0, 60.0, 120.0, 300.0)
    # The lock refused us (certificate, clock): only a change elsewhere helps.
    refused_backoff: tuple[float, ...] = (60.0, 300.0, 600.0)
    # A lock that lent its proxy slot to another lock's command (more locks than
    # slots) waits this long before it takes one back from the lock idle longest:
    # so every lock holds a slot in turn, and none is starved.
    slot_hold: float = 300.0
    not_registered_retry: float = 600.0  # look for the lock being added again
    unavailable_grace: float = 30.0
    linger: float = 20.0  # on demand: stay after a command to see it finish
    command_deadline: float = 10.0  # from the button press to the command sent
    # BUSY with no movement reported: pause this long, then try again (until
    # the deadline); while the motor turns, the command waits for it instead.
    busy_retry_delay: float = 0.5
    # A session that lived less than this does not reset the back-off: a lock
    # whose sessions die at once is not reconnected several times a second.
    stable_session: float = 30.0

    command_timeout: float = DEFAULT_COMMAND_TIMEOUT  # one answer from the lock
    # A proxy that never answers must not hold an attempt (and the status) forever.
    connect_timeout: float = 20.0
    # Not heard for this long and a connect failed: the lock is out of range (and
    # waits for its next advertisement instead of a back-off).
    out_of_range_silence: float = 30.0
