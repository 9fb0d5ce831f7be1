"""Tedee lock library: PTLS over BLE and the Tedee cloud, free of Home Assistant."""

from .cloud.api import CloudLock, DeviceCertificate, SignedTime, TedeeCloud
from .errors import (
    AlertError,
    CloudAuthError,
    CloudError,
    CloudNotFoundError,
    CloudRateLimitError,
    CloudScopeError,
    CloudServerError,
    CommandError,
    HandshakeError,
    IntegrityError,
    LockTimeoutError,
    MtuTooSmallError,
    NoConnectionSlotError,
    NotConnectedError,
    NotOurLockError,
    OutcomeUnknownError,
    ProtocolError,
    SessionError,
    SessionExhaustedError,
    TedeeError,
    TrustedTimeError,
)
from .link.client import TedeeLockClient
from .link.connector import Connector, bleak_connector
from .link.transport import BleakClientLike, Credentials
from .session.config import SessionConfig
from .session.engine import TedeeSession
from .session.listener import SessionListener
from .session.status import ConnectionStatus
from .wire.commands import (
    BatteryReport,
    LockParam,
    LockState,
    StateReport,
    UnlockParam,
    VersionReport,
)
from .wire.const import (
    AlertCode,
    Command,
    ResultCode,
    serial_to_service_uuid,
    service_uuid_to_serial,
)
from .wire.logs import LogPackage, LogRecord, parse_log_package
from .wire.notifications import (
    BatteryNotification,
    DoorState,
    LockStatusChange,
    Notification,
    NotificationCode,
    Trigger,
)

__all__ = [
    "AlertCode",
    "AlertError",
    "BatteryNotification",
    "BatteryReport",
    "BleakClientLike",
    "CloudAuthError",
    "CloudError",
    "CloudLock",
    "CloudNotFoundError",
    "CloudRateLimitError",
    "CloudScopeError",
    "CloudServerError",
    "Command",
    "CommandError",
    "ConnectionStatus",
    "Connector",
    "Credentials",
    "DeviceCertificate",
    "DoorState",
    "HandshakeError",
    "IntegrityError",
    "LockParam",
    "LockState",
    "LockStatusChange",
    "LockTimeoutError",
    "LogPackage",
    "LogRecord",
    "MtuTooSmallError",
    "NoConnectionSlotError",
    "NotConnectedError",
    "NotOurLockError",
    "Notification",
    "NotificationCode",
    "OutcomeUnknownError",
    "ProtocolError",
    "ResultCode",
    "SessionConfig",
    "SessionError",
    "SessionExhaustedError",
    "SessionListener",
    "SignedTime",
    "StateReport",
    "TedeeCloud",
    "TedeeError",
    "TedeeLockClient",
    "TedeeSession",
    "Trigger",
    "TrustedTimeError",
    "UnlockParam",
    "VersionReport",
    "bleak_connector",
    "parse_log_package",
    "serial_to_service_uuid",
    "service_uuid_to_serial",
]
