"""What a session tells its owner, and how it starts its tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from ..wire.commands import BatteryReport, StateReport, VersionReport
from ..wire.logs import FetchedPackage
from ..wire.notifications import Notification

Report = StateReport | BatteryReport | VersionReport
Spawner = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


class SessionListener(Protocol):
    """What the session tells its owner (all called in the event loop)."""

    def session_changed(self) -> None:
        """The status or the availability changed."""

    def session_report(self, report: Report) -> None:
        """The lock answered a read (state, battery, version)."""

    def session_notification(self, notification: Notification) -> None:
        """The lock reported something by itself (state change, battery)."""

    def session_log_package(self, package: FetchedPackage) -> None:
        """An activity-log package fetched from the lock (it deletes what we fetch)."""
