"""Repair issues that follow the session's status: raised, then cleared by itself."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_CLOCK_SKEW,
    ISSUE_NO_CONNECTION_SLOT,
    ISSUE_NOT_REGISTERED,
    ISSUE_UNCALIBRATED,
)
from .tedee import ConnectionStatus


@callback
def async_sync_repairs(
    hass: HomeAssistant, status: ConnectionStatus, name: str, serial: str
) -> None:
    """Raise the issue a status calls for; a good connection deletes them all."""
    if status is ConnectionStatus.NOT_REGISTERED:
        _create(hass, ISSUE_NOT_REGISTERED, ir.IssueSeverity.ERROR, serial, name)
    elif status is ConnectionStatus.NO_CONNECTION_SLOT:
        _create(hass, ISSUE_NO_CONNECTION_SLOT, ir.IssueSeverity.WARNING, serial, name)
    elif status is ConnectionStatus.CONNECTED:
        for issue in (ISSUE_NOT_REGISTERED, ISSUE_NO_CONNECTION_SLOT, ISSUE_CLOCK_SKEW):
            ir.async_delete_issue(hass, DOMAIN, f"{issue}_{serial}")


@callback
def async_sync_calibration(
    hass: HomeAssistant, uncalibrated: bool, name: str, serial: str
) -> None:
    """Raise the calibration issue while the lock says UNCALIBRATED; clear it after."""
    if uncalibrated:
        _create(hass, ISSUE_UNCALIBRATED, ir.IssueSeverity.WARNING, serial, name)
    else:
        ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_UNCALIBRATED}_{serial}")


def _create(
    hass: HomeAssistant,
    issue: str,
    severity: ir.IssueSeverity,
    serial: str,
    name: str,
) -> None:
    placeholders = {"name": name}
    if issue == ISSUE_NOT_REGISTERED:
        placeholders["serial"] = serial
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{issue}_{serial}",
        is_fixable=False,
        severity=severity,
        translation_key=issue,
        translation_placeholders=placeholders,
    )
