"""Config flow against the simulated cloud and lock, through HA's Bluetooth stack."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.tedee_bluetooth.const import (
    CONF_PERSONAL_KEY,
    CONF_SERIAL,
    DOMAIN,
)
from simulator.cloud import ALL_SCOPES

from .ha_fixtures import Sim
from .world import ACCOUNT, KEY


async def test_user_flow_pairs_and_creates_entry(hass: HomeAssistant, sim: Sim) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PERSONAL_KEY: KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SERIAL: sim.lock.config.serial}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["title"] == "Front door"
    assert result["result"].unique_id == sim.lock.config.serial
    mobiles = sim.world.cloud.accounts[ACCOUNT].mobiles
    assert result["data"]["mobile_id"] in mobiles
    await hass.async_block_till_done()
    assert hass.states.get("lock.front_door") is not None
    _ = ALL_SCOPES
