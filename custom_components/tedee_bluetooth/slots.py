"""More always-connected locks than proxy slots: commands first, every lock in turn.

An ESPHome proxy has three connection slots, shared by everything that stays
connected. With ten locks behind three proxies, one lock has no slot. Rather
than leave it unusable, a lock that needs a slot borrows one: the lock that has
been idle longest, heard by a proxy that also hears the borrower, lets go of its
link. It keeps its last state, says ``waiting_for_slot``, and takes a slot back
the same way once it has waited its turn (``SessionConfig.slot_hold``). So a
command always lands within its deadline, and no lock is starved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import logging

from homeassistant.components import bluetooth
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .tedee import TedeeSession

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class _Member:
    name: str
    address: Callable[[], str | None]
    session: TedeeSession


class SlotBroker:
    """The locks of this integration, and who lends a slot to whom."""

    def __init__(self, hass: HomeAssistant) -> None:
        """No locks yet."""
        self._hass = hass
        self._members: dict[str, _Member] = {}
        self.lent = 0  # slots lent so far

    @callback
    def add(
        self,
        serial: str,
        name: str,
        address: Callable[[], str | None],
        session: TedeeSession,
    ) -> CALLBACK_TYPE:
        """A lock joins (its entry is set up); returns its removal."""
        self._members[serial] = _Member(name, address, session)

        @callback
        def _remove() -> None:
            if (member := self._members.get(serial)) and member.session is session:
                del self._members[serial]

        return _remove

    async def async_borrow(self, serial: str) -> bool:
        """Ask the lock idle longest to let go of its slot for ``serial``."""
        borrower = self._members.get(serial)
        if borrower is None:
            return False
        near = self._sources(borrower)
        lenders = [
            member
            for key, member in self._members.items()
            if key != serial
            and member.session.can_lend_slot
            and (not near or near & self._sources(member))
        ]
        if not lenders:
            return False
        lender = min(lenders, key=lambda member: member.session.last_used)
        if not await lender.session.async_lend_slot():
            return False
        self.lent += 1
        _LOGGER.debug("%s lent its connection slot to %s", lender.name, borrower.name)
        return True

    def _sources(self, member: _Member) -> set[str]:
        """The connectable scanners (adapters, proxies) that hear the lock."""
        address = member.address()
        if address is None:
            return set()
        return {
            device.scanner.source
            for device in bluetooth.async_scanner_devices_by_address(
                self._hass, address, connectable=True
            )
        }


SLOT_BROKER: HassKey[SlotBroker] = HassKey("tedee_bluetooth_slot_broker")


@callback
def async_get_broker(hass: HomeAssistant) -> SlotBroker:
    """The one broker of this Home Assistant."""
    if (broker := hass.data.get(SLOT_BROKER)) is None:
        broker = hass.data[SLOT_BROKER] = SlotBroker(hass)
    return broker
