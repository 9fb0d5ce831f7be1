"""Data shared between the coordinator and the entities."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .tedee import (
    BatteryNotification,
    BatteryReport,
    LockState,
    Notification,
    StateReport,
    VersionReport,
)
from .tedee.wire.logs import EventId, LogRecord
from .tedee.wire.notifications import DoorState, LockStatusChange, Trigger

DOOR_POSITIONS = (DoorState.OPEN, DoorState.CLOSED)
DOOR_PROBLEMS = {
    DoorState.DISCONNECTED: "disconnected",
    DoorState.UNCALIBRATED: "uncalibrated",
}


@dataclass(frozen=True, slots=True)
class TedeeLockData:
    """What Home Assistant knows about the lock right now."""

    state: LockState | None = None
    jammed: bool = False
    battery: int | None = None
    charging: bool | None = None
    door: DoorState | None = None  # None until the lock reports a door sensor
    firmware: str | None = None

    @property
    def has_door_sensor(self) -> bool:
        """The lock reported a paired door sensor (a position, or its trouble)."""
        return self.door in (*DOOR_POSITIONS, *DOOR_PROBLEMS)

    @property
    def door_problem(self) -> str | None:
        """Why the door position is not known: ``disconnected`` or ``uncalibrated``."""
        return DOOR_PROBLEMS.get(self.door) if self.door is not None else None

    def with_report(
        self, report: StateReport | BatteryReport | VersionReport
    ) -> TedeeLockData:
        """The data after the lock answered a read."""
        if isinstance(report, StateReport):
            return replace(self, state=report.state, jammed=report.jammed)
        if isinstance(report, BatteryReport):
            return replace(self, battery=report.level, charging=report.charging)
        return replace(self, firmware=str(report))

    def with_notification(self, notification: Notification) -> TedeeLockData | None:
        """The data after a notification; None if it changes nothing we show."""
        if isinstance(notification, LockStatusChange):
            door = notification.door
            return replace(
                self,
                state=notification.state,
                jammed=notification.jammed,
                door=self.door if door is None else door,
            )
        if isinstance(notification, BatteryNotification):
            level, charging = notification.level, notification.charging
            return replace(
                self,
                battery=self.battery if level is None else level,
                charging=self.charging if charging is None else charging,
            )
        return None


# The lock cannot lock or unlock in these states: it needs (or is in) calibration.
NOT_CALIBRATED = frozenset(
    {LockState.UNCALIBRATED, LockState.CALIBRATION, LockState.CALIBRATION_CANCELLED}
)


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """One operation for the activity event entity."""

    event_type: str
    attributes: dict[str, Any]

    def by(self, user_id: int | None, user_name: str | None) -> ActivityEvent:
        """The event naming who did it (both None: the lock does not say)."""
        who = {"user_id": user_id, "user_name": user_name}
        return ActivityEvent(self.event_type, {**who, **self.attributes})


_TRIGGER_SUFFIX: dict[int, str] = {
    Trigger.BUTTON: "button",
    Trigger.REMOTE: "remote",
    Trigger.AUTO_LOCK: "auto",
}

_LOG_EVENTS: dict[int, str] = {
    EventId.LOCKED_REMOTE: "locked_remote",
    EventId.UNLOCKED_REMOTE: "unlocked_remote",
    EventId.LOCKED_BUTTON: "locked_button",
    EventId.UNLOCKED_BUTTON: "unlocked_button",
    EventId.LOCKED_AUTO: "locked_auto",
    EventId.UNLOCKED_AUTO: "unlocked_auto",
    EventId.LOCKED_MANUAL: "locked_manual",
    EventId.UNLOCKED_MANUAL: "unlocked_manual",
    EventId.JAMMED: "jammed",
    EventId.POWER_OFF: "power_off",
    EventId.POWER_ON: "power_on",
    EventId.CALIBRATION: "calibrated",
    EventId.PARTIALLY_OPEN_MANUAL: "partially_opened",
    EventId.PARTIALLY_OPEN_BUTTON: "partially_opened",
    EventId.PARTIALLY_OPEN_AUTO: "partially_opened",
    EventId.PARTIALLY_OPEN_REMOTE: "partially_opened",
    EventId.PARTIALLY_OPEN_BY_PIN: "partially_opened",
    EventId.HOMEKIT_PARTIAL: "partially_opened",
    EventId.PULLED_REMOTE: "opened_remote",
    EventId.PULLED_AUTO: "opened_auto",
    EventId.PULLED_AUTO_BY_REMOTE: "opened_auto",
    EventId.PULLED_MANUAL: "opened_manual",
    EventId.POSTPONED_LOCK: "lock_postponed",
    EventId.HOMEKIT_UNLOCK: "unlocked_homekit",
    EventId.HOMEKIT_LOCK: "locked_homekit",
    EventId.HOMEKIT_PULL: "opened_homekit",
    EventId.UNLOCK_BY_PIN: "unlocked_keypad",
    EventId.PULL_SPRING_BY_PIN: "opened_keypad",
    EventId.INCORRECT_PIN: "incorrect_pin",
    EventId.LOCKED_BY_KEYPAD_WITH_PIN: "locked_keypad",
    EventId.LOCKED_BY_KEYPAD_WITHOUT_PIN: "locked_keypad",
    EventId.BATTERY_CHARGING: "charging_started",
    EventId.BATTERY_STOP_CHARGING: "charging_stopped",
    EventId.FIRMWARE_UPDATE_BY_BRIDGE: "firmware_updated",
    EventId.FIRMWARE_UPDATE_BY_MOBILE: "firmware_updated",
    EventId.LOCKED_BY_ACCESS_LINK: "locked_link",
    EventId.LOCKED_BY_BRIDGE_API: "locked_bridge",
    EventId.UNLOCKED_BY_ACCESS_LINK: "unlocked_link",
    EventId.UNLOCKED_BY_BRIDGE_API: "unlocked_bridge",
    EventId.PULLED_BY_ACCESS_LINK: "opened_link",
    EventId.PULLED_BY_BRIDGE_API: "opened_bridge",
    EventId.PARTIALLY_OPEN_BY_ACCESS_LINK: "partially_opened",
    EventId.PARTIALLY_OPEN_BY_BRIDGE_API: "partially_opened",
    EventId.PULLED_AUTO_BY_ACCESS_LINK: "opened_link",
    EventId.PULLED_AUTO_BY_BRIDGE_API: "opened_bridge",
}

EVENT_TYPES: list[str] = sorted(
    {
        *_LOG_EVENTS.values(),
        *(
            f"{verb}_{suffix}"
            for verb in ("locked", "unlocked", "opened")
            for suffix in (*_TRIGGER_SUFFIX.values(), "manual")
        ),
        "other",
    }
)


# Which way the bolt was moving when it jammed: "Jammed (while locking)".
_MOVING: dict[LockState | None, str] = {
    LockState.LOCKING: "locking",
    LockState.UNLOCKING: "unlocking",
}


def event_from_status(
    change: LockStatusChange,
    previous: TedeeLockData,
    now: datetime,
) -> ActivityEvent | None:
    """The activity a LOCK_STATUS_CHANGE completes, if it completes one.

    A change that carries the jam flag again (the door moving while the lock
    stays jammed) is not a new jam.
    """
    if change.trigger is None:
        return None
    attributes: dict[str, Any] = {"timestamp": now.isoformat(), "source": "lock"}
    if change.jammed:
        if previous.jammed:
            return None
        event_type = "jammed"
        if moving := _MOVING.get(previous.state):  # the bolt stopped on its way
            attributes["jammed_while"] = moving
    elif change.state is LockState.LOCKED and previous.state is LockState.LOCKING:
        event_type = "locked"
    elif change.state is LockState.UNLOCKED and previous.state is LockState.UNLOCKING:
        event_type = "unlocked"
    elif (
        change.state is LockState.PULL_SPRING
        and previous.state is not LockState.PULL_SPRING
    ):
        event_type = "opened"
    else:
        return None
    if event_type != "jammed":
        event_type += "_" + _TRIGGER_SUFFIX.get(change.trigger, "manual")
    return ActivityEvent(event_type, attributes)


def event_from_log(record: LogRecord) -> ActivityEvent:
    """The activity an activity-log record describes.

    Every event id the vendor lists has a type; an id it does not list is
    "other", and ``log_event`` keeps its number (``event_0x7f``).
    """
    attributes: dict[str, Any] = {
        "timestamp": record.timestamp.isoformat(),
        "log_event": record.event_name,
        "source": "activity_log",
    }
    if record.pin_alias:
        attributes["pin_name"] = record.pin_alias
    return ActivityEvent(_LOG_EVENTS.get(record.event_id, "other"), attributes)
