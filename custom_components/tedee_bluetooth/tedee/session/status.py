"""What a session is doing, in the words a lock owner uses."""

from __future__ import annotations

from enum import StrEnum


class ConnectionStatus(StrEnum):
    """The session's status (the connection-status sensor shows it)."""

    CONNECTED = "connected"
    CONNECTING = "connecting"
    DISCONNECTED = "disconnected"
    OUT_OF_RANGE = "out_of_range"
    NO_TRUSTED_TIME = "no_trusted_time"
    INVALID_CERTIFICATE = "invalid_certificate"
    NOT_REGISTERED = "not_registered"
    NO_CONNECTION_SLOT = "no_connection_slot"
    CLOCK_SKEW = "clock_skew"  # the lock refuses our time: the clocks disagree
    IDLE = "idle"  # on demand: let go on purpose after a poll or command
    # More always-connected locks than proxy slots: this one lent its slot to
    # another lock's command and takes one back in turn (keeps its last state).
    WAITING_FOR_SLOT = "waiting_for_slot"
