"""Bluetooth as Home Assistant core wants it: its client class, no stale links."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.tedee_bluetooth.tedee.link import connector
from simulator.ha_bridge import address_for

from .ha_fixtures import STATUS, Sim, jump, until_state


async def test_links_use_home_assistants_caching_client_and_close_stale_ones(
    hass: HomeAssistant, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_first: list[str] = []
    real_close = connector.close_stale_connections_by_address

    async def spy(address: str, *args: Any, **kwargs: Any) -> None:
        closed_first.append(address)
        await real_close(address, *args, **kwargs)

    monkeypatch.setattr(connector, "close_stale_connections_by_address", spy)
    entry = await sim.setup()
    session = entry.runtime_data.session
    link = session.client._ble  # the BleakClient the session talks through
    # Home Assistant's class: routes through adapters and proxies, caches services.
    # Home Assistant's own caching client, failing fast when no slot is free.
    assert type(link).__mro__[1].__name__ == "HaBleakClientWithServiceCache"
    assert closed_first == [address_for(sim.lock)]
    sim.lock.connections[0].drop("radio")
    await jump(hass, 1)
    await until_state(hass, STATUS, "connected")
    assert closed_first == [address_for(sim.lock)] * 2  # before every connection
