"""The simulated cloud's activity list (GET /my/deviceactivity).

The real cloud learns what happened at a lock from the phones and bridges that
upload its log, and pairs each entry's numeric user id with the user's name.
The integration reads it only for that pairing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCOPE = "DeviceActivity.Read"
MAX_ELEMENTS = 200
UNLOCKED_REMOTE = 0x21
UNLOCK_BY_PIN = 0x3D


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """One entry of a lock's activity, as the cloud lists it."""

    id: int
    device_id: int
    user_id: int | None
    username: str | None
    event: int
    at: float  # seconds since epoch

    def as_json(self) -> dict[str, Any]:
        """The entry as the cloud's JSON (its date in UTC, without a zone)."""
        return {
            "id": self.id,
            "deviceId": self.device_id,
            "userId": self.user_id,
            "organizationUserId": None,
            "username": self.username,
            "event": self.event,
            "source": 0,
            "date": datetime.fromtimestamp(self.at, UTC)
            .replace(tzinfo=None)
            .isoformat(timespec="milliseconds"),
        }


def page(items: list[ActivityItem], device_id: int, elements: int) -> list[Any]:
    """The newest ``elements`` entries of one lock, newest first."""
    mine = [item for item in items if item.device_id == device_id]
    mine.sort(key=lambda item: item.at, reverse=True)
    return [item.as_json() for item in mine[: max(1, min(elements, MAX_ELEMENTS))]]
