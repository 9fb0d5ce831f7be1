"""The one place the integration builds a Tedee cloud client.

Shipped code always talks to the real Tedee API. The development helper
``tedee_sim`` (never shipped) points ``BASE_URL`` at a simulated cloud on this
machine at runtime; nothing here reads the environment.
"""

from __future__ import annotations

import hashlib

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from .tedee import TedeeCloud
from .tedee.cloud.api import DEFAULT_BASE_URL
from .tedee.cloud.budget import CloudBudget

BASE_URL: str = DEFAULT_BASE_URL

# One budget per Personal Access Key (so per account), for every entry, the
# config flows included; keyed by a digest so no key sits in hass.data.
BUDGETS: HassKey[dict[str, CloudBudget]] = HassKey("tedee_bluetooth_cloud_budgets")


def cloud_budget(hass: HomeAssistant, personal_key: str) -> CloudBudget:
    """The account's shared request budget."""
    budgets = hass.data.setdefault(BUDGETS, {})
    digest = hashlib.sha256(personal_key.encode()).hexdigest()
    if (budget := budgets.get(digest)) is None:
        budget = budgets[digest] = CloudBudget(clock=hass.loop.time)
    return budget


def tedee_cloud(hass: HomeAssistant, personal_key: str) -> TedeeCloud:
    """A cloud client on Home Assistant's shared aiohttp session and budget."""
    return TedeeCloud(
        async_get_clientsession(hass),
        personal_key,
        base_url=BASE_URL,
        budget=cloud_budget(hass, personal_key),
    )
