"""Snapshots of every entity (registry entry and state) and of the diagnostics.

A change to a name, unique id, device class, unit, attribute or translation key
shows up here as a diff to review, not as a silent change for users.
"""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.tedee_bluetooth import PLATFORMS

from .ha_fixtures import LOCK, Sim, settle


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", PLATFORMS)  # every platform, one at a time
async def test_entities(
    hass: HomeAssistant,
    sim: Sim,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    sim.lock.config.has_door_sensor = True
    with patch("custom_components.tedee_bluetooth.PLATFORMS", [platform]):
        entry = await sim.setup()
        sim.lock.set_door(door_open=True)  # the door entity appears when reported
        await settle(hass, 0.02)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_diagnostics(
    hass: HomeAssistant, sim: Sim, hass_client: object, snapshot: SnapshotAssertion
) -> None:
    sim.lock.config.has_door_sensor = True
    entry = await sim.setup()
    sim.lock.set_door(door_open=True)
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)  # type: ignore[arg-type]
    # Dates follow the test's clock; everything else must not change.
    assert diagnostics == snapshot(
        exclude=props(
            "certificate_expiration",
            "certificate_issued",
            "firmware_read",
            "lock_record_read",
        )
    )
