"""Point the integration at the simulated cloud, at runtime, and only on loopback.

The shipped integration has no switch for this: it always builds its cloud client
from ``cloud_api.BASE_URL``. This helper overwrites that module attribute, and it
refuses any address that is not this machine, so a Personal Access Key typed into
the demo can never travel anywhere but to the simulator (or the real Tedee API).
"""

from __future__ import annotations

from urllib.parse import urlparse

# Imported with this helper (Home Assistant imports integrations off the event loop).
from custom_components.tedee_bluetooth import cloud_api

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class NotLoopbackError(ValueError):
    """The simulated cloud must run on this machine."""


def check_loopback(url: str) -> str:
    """The URL, if it is plain HTTP on this machine; otherwise NotLoopbackError."""
    parsed = urlparse(url)
    if parsed.scheme != "http" or parsed.hostname not in LOOPBACK_HOSTS:
        raise NotLoopbackError(
            f"{url!r}: the simulated cloud must be http:// on a loopback address"
        )
    return url


def use_simulated_cloud(url: str) -> str:
    """Make every cloud client the integration builds from now on talk to ``url``."""
    cloud_api.BASE_URL = check_loopback(url)
    return cloud_api.BASE_URL
