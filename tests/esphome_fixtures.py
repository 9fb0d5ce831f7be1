"""Home Assistant's real esphome integration, against simulated Bluetooth proxies.

Nothing of the direct bridge here: the locks are heard and reached only through
``EsphomeProxy`` servers on loopback, so every byte passes aioesphomeapi,
bleak-esphome and habluetooth's slot accounting as it does in a user's home.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tedee_bluetooth.const import DOMAIN
from simulator.esphome_proxy import EsphomeProxy, ProxyConfig
from simulator.lock import SimulatedLock

from .ha_fixtures import clock_of, entry_data_for, lock_on_account, start_world
from .world import World


def slug(lock: SimulatedLock) -> str:
    """The object id Home Assistant gives the lock's entities ("Door 2": door_2)."""
    return lock.config.name.lower().replace(" ", "_")


@dataclass
class Proxied:
    """The simulated cloud, locks, and ESPHome proxies that reach them."""

    hass: HomeAssistant
    world: World
    proxies: list[EsphomeProxy] = field(default_factory=list)
    entries: dict[str, MockConfigEntry] = field(default_factory=dict)
    locks: list[SimulatedLock] = field(default_factory=list)

    @property
    def lock(self) -> SimulatedLock:
        """The first lock."""
        return self.world.lock

    async def add_proxy(
        self,
        name: str,
        *,
        slots: int = 3,
        hears: dict[int, int] | None = None,
        advertise_every: float = 2.0,
    ) -> EsphomeProxy:
        """A proxy added to Home Assistant as a user adds one (host and port).

        ``hears``: lock index -> RSSI; by default it hears every lock at -60.
        """
        index = len(self.proxies) + 1
        proxy = EsphomeProxy(
            ProxyConfig(
                name=name,
                mac=f"A0:B7:65:00:00:{index:02X}",
                slots=slots,
                advertise_every=advertise_every,
            )
        )
        for i, lock in enumerate(self.locks):
            if hears is None or i in hears:
                proxy.hear(lock, -60 if hears is None else hears[i])
        await proxy.start()
        entry = MockConfigEntry(
            domain="esphome",
            title=name,
            unique_id=proxy.config.mac.lower(),
            data={
                "host": "127.0.0.1",
                "port": proxy.port,
                "password": "",
                "noise_psk": "",
            },
        )
        entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.LOADED
        self.proxies.append(proxy)
        self.entries[name] = entry
        return proxy

    async def setup_lock(self, lock: SimulatedLock) -> MockConfigEntry:
        """An entry for a lock as pairing would make it, set up."""
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=lock.config.name,
            unique_id=lock.config.serial,
            data=entry_data_for(self.world, lock),
        )
        entry.add_to_hass(self.hass)
        await self.hass.config_entries.async_setup(entry.entry_id)
        return entry

    async def household(
        self, locks: int = 10, proxies: int = 3, **lock_config: object
    ) -> list[SimulatedLock]:
        """``locks`` locks set up behind ``proxies`` proxies that each hear them all.

        Each lock is nearer to one proxy than to the others; ``lock_config`` is
        applied to every lock (the first included) before anything connects.
        """
        for i in range(1, locks):
            self.add_lock(
                serial=f"1000{i:04d}-{i + 1:06d}",
                device_id=35800 + i,
                name=f"Door {i + 1}",
            )
        for lock in self.locks:
            for key, value in lock_config.items():
                setattr(lock.config, key, value)
        for p in range(proxies):
            hears = {j: -50 - 8 * ((p + j) % proxies) for j in range(locks)}
            await self.add_proxy(f"bt-proxy-{p + 1}", hears=hears, advertise_every=10)
        for lock in self.locks:
            await self.setup_lock(lock)
        await clock_of(self.hass).advance(60)
        return self.locks

    def add_lock(self, **config: object) -> SimulatedLock:
        """Another lock on the same account (in no proxy's range yet)."""
        lock = lock_on_account(self.world, **config)
        self.locks.append(lock)
        return lock


@pytest.fixture
async def proxied(
    hass: HomeAssistant,
    enable_custom_integrations: None,  # first: Bluetooth reads the matchers once
    enable_bluetooth: None,
    socket_enabled: None,
    mock_async_zeroconf: object,  # the proxies are added by address, not mDNS
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Proxied]:
    """The cloud on loopback and one lock; proxies come with ``add_proxy``."""
    clock, world, server, _base_url = await start_world(hass, monkeypatch)
    # What the esphome integration depends on; ffmpeg is not installed here.
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass, "ffmpeg", {"ffmpeg": {"ffmpeg_bin": "true"}}
    )
    proxied = Proxied(hass, world, locks=[world.lock])
    yield proxied
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    for entry in proxied.entries.values():
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for proxy in proxied.proxies:
        await proxy.stop()
    for lock in proxied.locks:
        lock.shutdown()
    await clock_of(hass).advance(0)
    await server.close()
    clock.restore()
