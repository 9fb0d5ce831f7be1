"""The one place the integration builds a Tedee cloud client.

Shipped code always talks to the real Tedee API. The development helper
``tedee_sim`` (never shipped) points ``BASE_URL`` at a simulated cloud on this
machine at runtime; nothing here reads the environment.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .tedee import TedeeCloud
from .tedee.cloud import DEFAULT_BASE_URL

BASE_URL: str = DEFAULT_BASE_URL


def tedee_cloud(hass: HomeAssistant, personal_key: str) -> TedeeCloud:
    """A cloud client on Home Assistant's shared aiohttp session."""
    return TedeeCloud(async_get_clientsession(hass), personal_key, base_url=BASE_URL)
