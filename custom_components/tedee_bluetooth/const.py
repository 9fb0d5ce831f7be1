"""Constants of the Tedee Bluetooth integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "tedee_bluetooth"
LOGGER = logging.getLogger(__package__)

CONF_PERSONAL_KEY: Final = "personal_access_key"
CONF_LOCK_ID: Final = "lock_id"
CONF_SERIAL: Final = "serial"
CONF_MOBILE_ID: Final = "mobile_id"
CONF_PRIVATE_KEY: Final = "private_key"
CONF_CERTIFICATE: Final = "certificate"
CONF_CERT_EXPIRATION: Final = "certificate_expiration"
CONF_CERT_ISSUED: Final = "certificate_issued"
CONF_DEVICE_PUBLIC_KEY: Final = "device_public_key"
CONF_LOCK_TYPE: Final = "lock_type"
CONF_PULL_SPRING_ENABLED: Final = (
    "pull_spring_enabled"  # from the cloud; absent: unknown
)
CONF_HAS_DOOR_SENSOR: Final = "has_door_sensor"  # learned from the first report
CONF_FIRMWARE: Final = "firmware"  # cached: read again daily or after an update
CONF_FIRMWARE_READ: Final = "firmware_read"
FIRMWARE_MAX_AGE: Final = timedelta(days=1)
# From the cloud's lock record (softwareVersions), read at most daily.
CONF_UPDATE_AVAILABLE: Final = "update_available"
CONF_LOCK_RECORD_READ: Final = "lock_record_read"
LOCK_RECORD_MAX_AGE: Final = timedelta(days=1)
LOCK_RECORD_SETUP_AGE: Final = timedelta(hours=1)  # older: read again at setup
# The lock's device settings from the same record, and whether we may change them.
CONF_DEVICE_SETTINGS: Final = "device_settings"
CONF_SETTINGS_REVISION: Final = "settings_revision"
CONF_SETTINGS_SYNCED: Final = "settings_synced"
CONF_SETTINGS_READ_ONLY: Final = "settings_read_only"  # "scope" or "access"

# Options
CONF_PULL_ON_UNLOCK: Final = "pull_spring_on_unlock"
CONF_CONNECTION_MODE: Final = "connection_mode"
CONF_REFRESH_INTERVAL: Final = "refresh_interval"
# Reading the log deletes it from the lock; "who did it" comes only from there.
CONF_READ_ACTIVITY_LOG: Final = "read_activity_log"
MODE_ALWAYS: Final = "always_connected"
MODE_ON_DEMAND: Final = "on_demand"
DEFAULT_REFRESH_INTERVAL: Final = 300

# Session timings live in tedee.SessionConfig.
CERT_REFRESH_FRACTION: Final = 0.5  # refresh when half the validity is left
CERT_RETRY: Final = timedelta(hours=1)
# After a renewal, the next is never sooner than this (a certificate that is
# already "due" by our clock must not be fetched again and again).
CERT_MIN_SPACING: Final = timedelta(hours=1)

ATTR_ACCESS_ID: Final = "access_id"
ATTR_USER_ID: Final = "user_id"
ATTR_TIMESTAMP: Final = "timestamp"
ATTR_SOURCE: Final = "source"

SERVICE_FORCE_LOCK: Final = "force_lock"
SERVICE_FORCE_UNLOCK: Final = "force_unlock"
SERVICE_UNLOCK: Final = "unlock"
SERVICE_EXPORT_ACTIVITY: Final = "export_activity"
ATTR_AUTO_UNLOCK: Final = "auto_unlock"

# Fired on the bus once per operation at the lock and per door movement; device
# triggers and the logbook read it.
EVENT_ACTIVITY: Final = f"{DOMAIN}_activity"

ISSUE_NOT_REGISTERED: Final = "not_registered"
ISSUE_NO_CONNECTION_SLOT: Final = "no_connection_slot"
ISSUE_UNCALIBRATED: Final = "uncalibrated"
ISSUE_CALIBRATE: Final = "calibrate"  # asked for with the Calibrate button
ISSUE_CLOCK_SKEW: Final = "clock_skew"
