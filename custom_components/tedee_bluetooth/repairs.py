"""Repair issues that follow the session's status: raised, then cleared by itself.

The calibration issues are fixable: their fix is the guided calibration.
"""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .calibration import CalibrationFlow
from .const import (
    DOMAIN,
    ISSUE_CALIBRATE,
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
    hass: HomeAssistant, uncalibrated: bool, name: str, serial: str, entry_id: str
) -> None:
    """Raise the calibration issue while the lock says UNCALIBRATED; clear it after."""
    if uncalibrated:
        _create(
            hass, ISSUE_UNCALIBRATED, ir.IssueSeverity.WARNING, serial, name, entry_id
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_UNCALIBRATED}_{serial}")


@callback
def async_offer_calibration(
    hass: HomeAssistant, name: str, serial: str, entry_id: str
) -> None:
    """The owner asked to calibrate (the Calibrate button): its fix is the guide."""
    _create(hass, ISSUE_CALIBRATE, ir.IssueSeverity.WARNING, serial, name, entry_id)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The guided calibration, for either calibration issue."""
    return CalibrationFlow(str((data or {}).get("entry_id", "")))


def _create(
    hass: HomeAssistant,
    issue: str,
    severity: ir.IssueSeverity,
    serial: str,
    name: str,
    entry_id: str | None = None,
) -> None:
    """An issue; with ``entry_id`` a fixable one (the calibration guide)."""
    placeholders = {"name": name}
    if issue == ISSUE_NOT_REGISTERED:
        placeholders["serial"] = serial
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{issue}_{serial}",
        is_fixable=entry_id is not None,
        data=None if entry_id is None else {"entry_id": entry_id},
        severity=severity,
        translation_key=issue,
        translation_placeholders=placeholders,
    )
