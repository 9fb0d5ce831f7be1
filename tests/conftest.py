"""Shared fixtures: a simulated cloud and lock, paired credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from unittest.mock import PropertyMock, patch

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
import pytest
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from custom_components.tedee_bluetooth.tedee import TedeeLockClient

from .ha_fixtures import sim  # noqa: F401 - the Home Assistant fixture
from .world import World, make_world


@pytest.fixture
def world() -> Iterator[World]:
    """A fresh simulated world; the lock is shut down after the test."""
    w = make_world()
    yield w
    w.lock.shutdown()


@pytest.fixture
async def lock_client(world: World) -> AsyncIterator[TedeeLockClient]:
    """A client with an established session to the world's lock."""
    client = await world.client()
    yield client
    await client.disconnect()


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Entities that users must enable by hand (signal strength) start enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


class ReleaseSnapshotExtension(HomeAssistantSnapshotExtension):
    """Home Assistant's snapshot format, one directory per release.

    Registry entries gain fields between releases, and the suite runs on two.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """``tests/snapshots-ha2025.4`` and so on (side by side, not nested, so
        neither release's run takes the other's files for unused ones)."""
        base = Path(super().dirname(test_location=test_location))
        return str(base.with_name(f"{base.name}-ha{MAJOR_VERSION}.{MINOR_VERSION}"))


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, for the release under test."""
    return snapshot.use_extension(ReleaseSnapshotExtension)
