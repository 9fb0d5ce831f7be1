"""Is Home Assistant's clock right? Asked of the Tedee cloud when it matters.

A lock refuses a handshake whose time is minutes off its own, and a certificate
that is already expired by our clock means the same. Neither says by how much,
so the cloud's signed time (one request, at most hourly per lock, across setup
retries) measures it, and a repair issue names the difference.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, ISSUE_CLOCK_SKEW, LOGGER
from .tedee import CloudError, TedeeCloud

CHECK_SPACING = timedelta(hours=1)
SKEW_WORTH_SAYING = 60.0  # seconds; the lock itself tolerates a few minutes

# serial -> when its clock was last checked (kept across setup retries).
LAST_CHECKS: HassKey[dict[str, datetime]] = HassKey("tedee_bluetooth_clock_checks")


async def async_check_clock(
    hass: HomeAssistant, cloud: TedeeCloud, name: str, serial: str
) -> float | None:
    """Seconds this host is ahead of the cloud (behind: negative); None: not asked."""
    checks = hass.data.setdefault(LAST_CHECKS, {})
    now = dt_util.utcnow()
    last = checks.get(serial)
    if last is not None and now - last < CHECK_SPACING:
        return None
    checks[serial] = now
    try:
        signed = await cloud.get_signed_time()
    except CloudError as err:
        LOGGER.debug("%s: cannot ask the cloud for its time: %s", name, err)
        return None
    cloud_time = int.from_bytes(signed.datetime_bytes, "big") / 1000
    offset = dt_util.utcnow().timestamp() - cloud_time
    if abs(offset) < SKEW_WORTH_SAYING:
        return offset
    LOGGER.warning(
        "Home Assistant's clock is %.0f s %s the Tedee cloud's; %s refuses it",
        abs(offset),
        "ahead of" if offset > 0 else "behind",
        name,
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_CLOCK_SKEW}_{serial}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_CLOCK_SKEW,
        translation_placeholders={
            "name": name,
            "minutes": str(max(1, round(abs(offset) / 60))),
        },
    )
    return offset
