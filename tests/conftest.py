"""Shared fixtures: a simulated cloud and lock, paired credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

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
