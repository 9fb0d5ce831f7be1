"""The demo's cloud override lives in the dev-only helper, and only reaches loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
import voluptuous as vol

from custom_components.tedee_bluetooth import cloud_api
from custom_components.tedee_bluetooth.tedee.cloud.api import DEFAULT_BASE_URL
from simulator.ha_dev.tedee_sim import CONFIG_SCHEMA
from simulator.ha_dev.tedee_sim.cloud_url import NotLoopbackError, use_simulated_cloud

SHIPPED = Path(__file__).parent.parent / "custom_components" / "tedee_bluetooth"


def test_shipped_integration_talks_to_the_real_api() -> None:
    assert cloud_api.BASE_URL == DEFAULT_BASE_URL == "https://api.tedee.com/api/v37"


def test_shipped_code_has_no_environment_switch() -> None:
    offenders = [
        str(path.relative_to(SHIPPED))
        for path in SHIPPED.rglob("*.py")
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/api/v37",
        "http://localhost:1/api/v37",
        "http://[::1]:8765/api/v37",
    ],
)
def test_helper_points_the_integration_at_a_loopback_cloud(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setattr(cloud_api, "BASE_URL", DEFAULT_BASE_URL)
    assert use_simulated_cloud(url) == url
    assert url == cloud_api.BASE_URL


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/api/v37",
        "http://10.0.0.5/api/v37",
        "https://127.0.0.1/api/v37",  # loopback, but not the simulator's plain HTTP
        "http://127.0.0.1.evil.example/api/v37",
        "file:///etc/passwd",
    ],
)
def test_helper_refuses_anything_but_loopback(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setattr(cloud_api, "BASE_URL", DEFAULT_BASE_URL)
    with pytest.raises(NotLoopbackError, match="loopback"):
        use_simulated_cloud(url)
    assert cloud_api.BASE_URL == DEFAULT_BASE_URL
    with pytest.raises(vol.Invalid):
        CONFIG_SCHEMA({"tedee_sim": {"state_file": "/tmp/s.json", "cloud_url": url}})


def test_helper_config_accepts_a_loopback_cloud() -> None:
    config = {"state_file": "/tmp/s.json", "cloud_url": "http://127.0.0.1:1/api/v37"}
    # The demo's radio defaults to the direct bridge; scripts/develop asks for proxies.
    defaults = {"proxies": 0, "spare_proxies": 0, "proxy_port": 16053}
    assert CONFIG_SCHEMA({"tedee_sim": config})["tedee_sim"] == config | defaults
