"""No deprecation warning names the integration, on whichever Home Assistant runs.

Run on 2025.4.4 and on 2026.2.3 (``scripts/test --newest``): Home Assistant reports a
custom integration's deprecated calls in its log ("Detected that custom integration
'tedee_bluetooth' ... will stop working"), and Python's warnings module reports the rest.
"""

from __future__ import annotations

import logging
import warnings

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from custom_components.tedee_bluetooth.const import (
    CONF_CONNECTION_MODE,
    CONF_PERSONAL_KEY,
    CONF_PULL_ON_UNLOCK,
    CONF_REFRESH_INTERVAL,
    MODE_ON_DEMAND,
)

from .ha_fixtures import Sim
from .world import ACCOUNT

MARKERS = ("deprecat", "detected that", "will stop working", "stop working in")


def _offending(records: list[logging.LogRecord], caught: list[str]) -> list[str]:
    texts = [r.getMessage() for r in records] + caught
    return [
        t
        for t in texts
        if "tedee_bluetooth" in t and any(m in t.lower() for m in MARKERS)
    ]


async def test_setup_reauth_reconfigure_options_unload_log_no_deprecation(
    hass: HomeAssistant, sim: Sim, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        entry = await sim.setup()
        assert entry.state is ConfigEntryState.LOADED
        sim.world.cloud.add_key("second-key", ACCOUNT)
        sim.world.cloud.add_key("third-key", ACCOUNT)

        result = await entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PERSONAL_KEY: "second-key"}
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reauth_successful"

        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PERSONAL_KEY: "third-key"}
        )
        await hass.async_block_till_done()
        assert result["reason"] == "reconfigure_successful"

        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                CONF_PULL_ON_UNLOCK: False,
                CONF_CONNECTION_MODE: MODE_ON_DEMAND,
                CONF_REFRESH_INTERVAL: 120,
            },
        )
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data.always_connected is False

        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.NOT_LOADED
    assert entry.data[CONF_PERSONAL_KEY] == "third-key"
    assert _offending(caplog.records, [str(w.message) for w in caught]) == []


def test_the_check_recognises_home_assistants_report() -> None:
    """The matcher must catch the text HA's frame helper actually logs."""
    report = (
        "Detected that custom integration 'tedee_bluetooth' calls "
        "async_update_reload_and_abort ... This will stop working in Home "
        "Assistant 2026.12.0, please report it to the author"
    )
    record = logging.LogRecord("x", logging.WARNING, "f", 1, report, None, None)
    assert _offending([record], []) == [report]
    assert _offending([], ["tedee_bluetooth uses a deprecated call"]) != []
    assert _offending([], ["another_integration is deprecated"]) == []
