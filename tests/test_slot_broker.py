"""Who lends a proxy slot to whom: the broker's choices, one by one.

The whole path (ten locks, three proxies, the real esphome integration) is in
test_ten_locks.py; here each rule of the choice is pinned on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.tedee_bluetooth import slots
from custom_components.tedee_bluetooth.slots import SlotBroker, async_get_broker


@dataclass
class FakeSession:
    """What the broker reads of a session, and whether it agrees to lend."""

    can_lend_slot: bool = True
    last_used: float = 0.0
    agrees: bool = True
    lent: list[bool] = field(default_factory=list)

    async def async_lend_slot(self) -> bool:
        self.lent.append(self.agrees)
        return self.agrees


@pytest.fixture
def heard_by(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """address -> the sources (adapters, proxies) that hear it."""
    sources: dict[str, set[str]] = {}

    def devices(_hass: HomeAssistant, address: str, connectable: bool) -> list[Any]:
        assert connectable
        return [
            SimpleNamespace(scanner=SimpleNamespace(source=source))
            for source in sorted(sources.get(address, set()))
        ]

    monkeypatch.setattr(slots.bluetooth, "async_scanner_devices_by_address", devices)
    return sources


def join(
    broker: SlotBroker, serial: str, session: FakeSession, address: str | None
) -> None:
    broker.add(serial, serial.title(), lambda: address, session)  # type: ignore[arg-type]


async def test_the_lock_idle_longest_lends(
    hass: HomeAssistant, heard_by: dict[str, set[str]]
) -> None:
    broker = async_get_broker(hass)
    assert async_get_broker(hass) is broker  # one per Home Assistant
    busy, recent, idle = (
        FakeSession(can_lend_slot=False),
        FakeSession(last_used=50),
        FakeSession(last_used=10),
    )
    for serial, session in (("busy", busy), ("recent", recent), ("idle", idle)):
        join(broker, serial, session, f"AA:{serial}")
    join(broker, "me", FakeSession(), "AA:me")
    assert await broker.async_borrow("me")
    assert (busy.lent, recent.lent, idle.lent) == ([], [], [True])
    assert broker.lent == 1


async def test_only_a_lock_on_a_proxy_that_hears_the_borrower_lends(
    hass: HomeAssistant, heard_by: dict[str, set[str]]
) -> None:
    broker = SlotBroker(hass)
    far, near = FakeSession(last_used=0), FakeSession(last_used=99)
    join(broker, "far", far, "AA:far")
    join(broker, "near", near, "AA:near")
    join(broker, "me", FakeSession(), "AA:me")
    heard_by.update(
        {"AA:far": {"proxy-2"}, "AA:near": {"proxy-1"}, "AA:me": {"proxy-1"}}
    )
    assert await broker.async_borrow("me")
    assert (far.lent, near.lent) == ([], [True])


async def test_nobody_lends_when_nobody_can(
    hass: HomeAssistant, heard_by: dict[str, set[str]]
) -> None:
    broker = SlotBroker(hass)
    assert not await broker.async_borrow("unknown")  # not (or no longer) set up
    refuses = FakeSession(agrees=False)  # it started a command meanwhile
    join(broker, "other", refuses, None)  # not heard right now: any proxy may do
    join(broker, "me", FakeSession(), "AA:me")
    assert not await broker.async_borrow("me")
    assert refuses.lent == [False]
    refuses.can_lend_slot = False
    assert not await broker.async_borrow("me")
    assert broker.lent == 0


async def test_a_lock_that_leaves_is_forgotten(
    hass: HomeAssistant, heard_by: dict[str, set[str]]
) -> None:
    broker = SlotBroker(hass)
    old, new = FakeSession(), FakeSession()
    leave_old = broker.add("lock", "Lock", lambda: None, old)  # type: ignore[arg-type]
    broker.add("lock", "Lock", lambda: None, new)  # type: ignore[arg-type] # reloaded
    leave_old()  # the old entry's unload does not remove the new one
    join(broker, "me", FakeSession(), None)
    assert await broker.async_borrow("me")
    assert (old.lent, new.lent) == ([], [True])
