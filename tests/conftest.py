"""Shared fixtures: a simulated cloud and lock, paired credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import logging
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

from .esphome_fixtures import proxied  # noqa: F401 - Home Assistant behind proxies
from .ha_fixtures import sim  # noqa: F401 - the Home Assistant fixture
from .world import World, make_world

# The test harness's own noise, not caused by the integration: on Home Assistant
# 2026.2 the `enable_bluetooth` fixture's fake local adapter cannot stop its
# scanner at teardown (it never had a real one).
HARNESS_NOISE = (("habluetooth.scanner", "00:00:00:00:00:01): Failed to force stop"),)


class _ErrorRecords(logging.Handler):
    """Every ERROR (or worse) record logged anywhere while a test runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(record.name == name and text in message for name, text in HARNESS_NOISE):
            return
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_error_log() -> Iterator[None]:
    """An ERROR in a test's log fails the test, teardown included.

    Set up before Home Assistant and the simulators, so it is torn down after
    them: an error logged while unloading or stopping counts too.
    """
    handler = _ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    if handler.records:
        lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in handler.records[:10])
        pytest.fail(f"ERROR records in the log:\n{lines}", pytrace=False)


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
