"""How the demo's locks reach Home Assistant: ESPHome proxies, or the direct bridge.

With proxies (the default), simulated ESPHome Bluetooth proxies listen on
loopback ports and are added to Home Assistant's own esphome integration by host
and port, as a user adds one; every lock is in range of each of them, at a
different signal strength. A spare proxy can listen without being added, for
trying Add integration -> ESPHome by hand. Without proxies, the direct bridge
(a remote scanner of our own) is used, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import logging
from typing import Any

from homeassistant.components import bluetooth
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.event import async_track_time_interval

from simulator.esphome_proxy import EsphomeProxy, ProxyConfig
from simulator.ha_bridge import SimulatorScanner
from simulator.lock import SimulatedLock

_LOGGER = logging.getLogger(__name__)
ADVERTISE_EVERY = timedelta(seconds=5)  # the direct bridge's advertisements


def rssi_for(proxy_index: int, lock_index: int) -> int:
    """Each lock nearer to one proxy than to the others (-52 ... -82 dBm)."""
    return -52 - 12 * ((proxy_index + lock_index) % 3)


class DemoRadio:
    """The proxies (or the bridge) between the demo's locks and Home Assistant."""

    def __init__(
        self,
        hass: HomeAssistant,
        locks: list[SimulatedLock],
        *,
        proxies: int,
        spare: int,
        first_port: int,
    ) -> None:
        """Nothing runs until ``async_start``."""
        self.hass = hass
        self.locks = locks
        self.proxies = [
            EsphomeProxy(
                ProxyConfig(
                    name=f"bt-proxy-{i + 1}",
                    mac=f"A0:B7:65:00:00:{i + 1:02X}",
                )
            )
            for i in range(proxies + spare)
        ]
        self._added = proxies
        self._first_port = first_port
        self._scanner: SimulatorScanner | None = None
        self._cancels: list[Callable[[], None]] = []

    async def async_start(self) -> None:
        """Listen, and add the proxies Home Assistant does not know yet."""
        if not self.proxies:
            self._start_bridge()
            return
        for i, proxy in enumerate(self.proxies):
            for j, lock in enumerate(self.locks):
                proxy.hear(lock, rssi_for(i, j))
            await proxy.start(port=self._first_port + i)
        known = {
            (entry.data.get("host"), entry.data.get("port"))
            for entry in self.hass.config_entries.async_entries("esphome")
        }
        for proxy in self.proxies[: self._added]:
            if ("127.0.0.1", proxy.port) in known:
                continue
            result = await self.hass.config_entries.flow.async_init(
                "esphome",
                context={"source": SOURCE_USER},
                data={"host": "127.0.0.1", "port": proxy.port},
            )
            _LOGGER.warning("Added %s: %s", proxy.config.name, result.get("type"))
        _LOGGER.warning(
            "Simulated ESPHome Bluetooth proxies: %s",
            ", ".join(
                f"{p.config.name} on 127.0.0.1:{p.port}"
                + ("" if i < self._added else " (not added: add it under ESPHome)")
                for i, p in enumerate(self.proxies)
            ),
        )

    def _start_bridge(self) -> None:
        scanner = SimulatorScanner()
        self._scanner = scanner
        self._cancels += [
            bluetooth.async_register_scanner(self.hass, scanner, connection_slots=3),
            scanner.async_setup(),
        ]
        for lock in self.locks:
            scanner.add_lock(lock)

        @callback
        def _advertise(_now: Any = None) -> None:
            for lock in self.locks:
                scanner.advertise(lock)

        self._cancels.append(
            async_track_time_interval(self.hass, _advertise, ADVERTISE_EVERY)
        )

    async def async_stop(self) -> None:
        """Everything down (Home Assistant stops)."""
        for cancel in self._cancels:
            cancel()
        for proxy in self.proxies:
            await proxy.stop()

    def into_range(self, lock: SimulatedLock) -> None:
        """The lock is back: advertise at once."""
        lock.in_range = True
        if self._scanner is not None:
            self._scanner.advertise(lock)
        for proxy in self.proxies:
            proxy.advertise_now()

    def proxy(self, number: int) -> EsphomeProxy:
        """Proxy ``number`` (1-based), or a translated refusal."""
        if not 1 <= number <= len(self.proxies):
            raise ServiceValidationError(
                f"there is no simulated proxy {number} (1 to {len(self.proxies)})"
            )
        return self.proxies[number - 1]

    def leave(self, lock: SimulatedLock, number: int) -> None:
        """The lock leaves one proxy's range (moved, or a wall in between)."""
        self.proxy(number).lose(lock)

    def reach(self, lock: SimulatedLock, number: int, rssi: int) -> None:
        """The lock comes into one proxy's range, at this signal strength."""
        proxy = self.proxy(number)
        proxy.hear(lock, rssi)
        proxy.advertise_now()

    async def async_power(self, number: int, on: bool) -> None:
        """A proxy is unplugged, or plugged in again (on its port)."""
        proxy = self.proxy(number)
        if on:
            if not proxy.listening:
                await proxy.start()
        else:
            await proxy.stop()
