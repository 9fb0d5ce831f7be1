"""What the status says while the session is down: one change per outage.

Background retries after a drop or a failed attempt change no status (no flip to
``connecting`` and back per attempt). A lock that Bluetooth has not heard for a
while and that cannot be connected to is ``out_of_range``, said once.
"""

from __future__ import annotations

from collections.abc import Callable
import logging

from ..errors import SessionError
from .status import ConnectionStatus

_LOGGER = logging.getLogger(__name__)


class Outage:
    """The status policy between a session going down and the next one."""

    def __init__(
        self,
        name: str,
        silence_limit: float,
        silent_for: Callable[[], float | None],
        status: Callable[[], ConnectionStatus],
        set_status: Callable[[ConnectionStatus], None],
    ) -> None:
        """``silent_for()``: seconds since the lock was last heard (None: unknown)."""
        self._name = name
        self._silence_limit = silence_limit
        self._silent_for = silent_for
        self._status = status
        self._set_status = set_status
        self.retrying = False

    def attempt_status(self, status: ConnectionStatus) -> None:
        """What an attempt reports, unless it is only a retry going on.

        The re-check of a lock that is not registered is a retry too: nothing
        changes until it works.
        """
        quiet = self.retrying or self._status() is ConnectionStatus.NOT_REGISTERED
        if quiet and status in (
            ConnectionStatus.CONNECTING,
            ConnectionStatus.DISCONNECTED,
        ):
            return
        self._set_status(status)

    def failed(self, err: SessionError) -> None:
        """An attempt failed: from now on retrying; out of range if unheard.

        A lock that was out of range, is heard again and still cannot be
        connected to is ``disconnected``: in range, but not talking to us.
        """
        self.retrying = True
        if err.reason != "cannot_connect":
            return
        silent = self._silent_for()
        if silent is None:
            return
        if self._status() is ConnectionStatus.OUT_OF_RANGE:
            if silent < self._silence_limit:
                self._set_status(ConnectionStatus.DISCONNECTED)
        elif silent >= self._silence_limit:
            _LOGGER.info(
                "%s is out of range: not heard for %.0f s and cannot connect",
                self._name,
                silent,
            )
            self._set_status(ConnectionStatus.OUT_OF_RANGE)
