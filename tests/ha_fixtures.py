"""Home Assistant test fixtures: the simulators behind HA's real Bluetooth stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestServer
from homeassistant.components import bluetooth
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tedee_bluetooth import cloud_api
from custom_components.tedee_bluetooth.const import (
    CONF_CERT_EXPIRATION,
    CONF_CERT_ISSUED,
    CONF_CERTIFICATE,
    CONF_DEVICE_PUBLIC_KEY,
    CONF_DEVICE_SETTINGS,
    CONF_LOCK_ID,
    CONF_LOCK_RECORD_READ,
    CONF_LOCK_TYPE,
    CONF_MOBILE_ID,
    CONF_PERSONAL_KEY,
    CONF_PRIVATE_KEY,
    CONF_SERIAL,
    CONF_SETTINGS_READ_ONLY,
    CONF_SETTINGS_REVISION,
    CONF_SETTINGS_SYNCED,
    CONF_UPDATE_AVAILABLE,
    DOMAIN,
)
from simulator.cloud import make_app
from simulator.ha_bridge import LOCKS, SimulatorScanner
from simulator.ha_dev.tedee_sim.cloud_url import use_simulated_cloud
from simulator.lock import SimulatedLock

from .hass_clock import HassClock
from .world import ACCOUNT, KEY, World, fast_config, make_world


def lock_on_account(world: World, **config: Any) -> SimulatedLock:
    """Another simulated lock on the test account, on the world's clock."""
    lock = SimulatedLock(
        world.cloud.ca.public_key, fast_config(**config), clock=world.cloud.clock
    )
    world.cloud.add_simulated_lock(ACCOUNT, lock)
    return lock


def entry_data_for(world: World, lock: SimulatedLock) -> dict[str, Any]:
    """Entry data as pairing would store it (key certified by the simulated CA)."""
    pem, mobile_id, cert, device_key = world.cloud.issue_credentials(
        ACCOUNT, lock.config.device_id
    )
    now = dt_util.utcnow()
    record = world.cloud.accounts[ACCOUNT].locks[lock.config.device_id]
    return {
        CONF_PERSONAL_KEY: KEY,
        CONF_LOCK_ID: lock.config.device_id,
        CONF_SERIAL: lock.config.serial,
        CONF_LOCK_TYPE: lock.config.type,
        CONF_MOBILE_ID: mobile_id,
        CONF_PRIVATE_KEY: pem,
        CONF_CERTIFICATE: cert,
        CONF_CERT_EXPIRATION: (now + world.cloud.cert_validity).isoformat(),
        CONF_CERT_ISSUED: now.isoformat(),
        CONF_DEVICE_PUBLIC_KEY: device_key,
        CONF_UPDATE_AVAILABLE: False,
        CONF_LOCK_RECORD_READ: now.isoformat(),
        CONF_DEVICE_SETTINGS: dict(record.settings),
        CONF_SETTINGS_REVISION: record.revision,
        CONF_SETTINGS_SYNCED: True,
        CONF_SETTINGS_READ_ONLY: None,
    }


@dataclass
class Sim:
    """A simulated cloud (over HTTP) and locks in range of Home Assistant."""

    hass: HomeAssistant
    world: World
    scanner: SimulatorScanner
    base_url: str
    locks: list[SimulatedLock] = field(default_factory=list)

    @property
    def lock(self) -> SimulatedLock:
        """The first lock."""
        return self.world.lock

    def advertise(self, lock: SimulatedLock | None = None, rssi: int = -62) -> None:
        """One advertisement from a lock."""
        self.scanner.advertise(lock or self.lock, rssi)

    def entry_data(self, lock: SimulatedLock | None = None) -> dict[str, Any]:
        """Entry data as pairing would store it (key certified by the simulated CA)."""
        return entry_data_for(self.world, lock or self.lock)

    def entry(
        self, options: dict[str, Any] | None = None, lock: SimulatedLock | None = None
    ) -> MockConfigEntry:
        """A config entry for a lock, added to hass (not set up)."""
        lock = lock or self.lock
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=lock.config.name,
            unique_id=lock.config.serial,
            data=self.entry_data(lock),
            options=options or {},
        )
        entry.add_to_hass(self.hass)
        return entry

    def entry_issued_ago(self, age: timedelta) -> MockConfigEntry:
        """An entry whose 10-day certificate was issued ``age`` ago (by its own data)."""
        entry = self.entry()
        issued = dt_util.utcnow() - age
        self.hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                CONF_CERT_ISSUED: issued.isoformat(),
                CONF_CERT_EXPIRATION: (issued + timedelta(days=10)).isoformat(),
            },
        )
        return entry

    def entry_with_refused_certificate(self) -> tuple[MockConfigEntry, str]:
        """An entry that thinks its certificate is fresh while the lock refuses it.

        Returns the entry and that (expired) certificate.
        """
        entry = self.entry()
        validity = self.world.cloud.cert_validity
        self.world.cloud.cert_validity = timedelta(days=-1)
        stale = self.entry_data()[CONF_CERTIFICATE]
        self.world.cloud.cert_validity = validity
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_CERTIFICATE: stale}
        )
        return entry, stale

    async def setup(self, options: dict[str, Any] | None = None) -> MockConfigEntry:
        """Add and set up an entry for the first lock."""
        entry = self.entry(options)
        await self.hass.config_entries.async_setup(entry.entry_id)
        await self.hass.async_block_till_done()
        # Battery and version are read right after the first state: let them.
        await clock_of(self.hass).advance(0)
        return entry

    def change_options(self, entry: MockConfigEntry, **options: Any) -> None:
        """Options saved, the others as they were (the update listener runs)."""
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, **options}
        )

    async def setup_then_change(
        self, then: dict[str, Any], first: dict[str, Any] | None = None
    ) -> MockConfigEntry:
        """Set up with ``first``, then save ``then``: applied in place, the link stays."""
        entry = await self.setup(first)
        links = list(self.lock.connections)
        self.change_options(entry, **then)
        await clock_of(self.hass).advance(0.1)
        assert self.lock.connections == links  # no reload
        return entry

    async def key_deleted_as_the_lock_wants_time(self) -> None:
        """The user deleted the key in the Tedee portal; the lock lost its clock.

        The signed time it asks for is refused: the status says so, and the
        user is asked for a new key.
        """
        self.world.cloud.reject_key(KEY)
        self.lock.lose_trusted_time()
        await clock_of(self.hass).advance(0.1)

    async def out_of_range(self, seconds: float = 60) -> None:
        """The first lock leaves Bluetooth range for ``seconds``, past the grace."""
        self.lock.go_out_of_range()
        await clock_of(self.hass).advance(seconds)
        state = self.hass.states.get(LOCK)
        assert state is not None
        assert state.state == "unavailable"

    async def back_in_range(self) -> None:
        """It is heard again; wait until it is connected."""
        self.lock.in_range = True
        self.advertise()
        await until_state(self.hass, STATUS, "connected", limit=10)

    def add_lock(self, **config: Any) -> SimulatedLock:
        """Another lock on the same account, in range."""
        lock = lock_on_account(self.world, **config)
        self.scanner.add_lock(lock)
        self.locks.append(lock)
        return lock


async def start_world(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> tuple[HassClock, World, TestServer, str]:
    """The virtual clock, a world with one lock, and its cloud serving on loopback."""
    clock = HassClock(hass, monkeypatch)
    hass.data[CLOCK_KEY] = clock
    world = make_world()
    world.cloud.clock = clock.wall
    world.lock.clock = clock.wall
    server = TestServer(make_app(world.cloud), host="127.0.0.1")
    await server.start_server()
    base_url = str(server.make_url("/api/v37"))
    monkeypatch.setattr(cloud_api, "BASE_URL", cloud_api.BASE_URL)  # restored after
    use_simulated_cloud(base_url)  # as the demo's helper does
    return clock, world, server, base_url


@pytest.fixture
async def sim(
    hass: HomeAssistant,
    enable_bluetooth: None,
    enable_custom_integrations: None,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Sim]:
    """Cloud on 127.0.0.1, the lock advertised through a remote scanner."""
    clock, world, server, base_url = await start_world(hass, monkeypatch)
    scanner = SimulatorScanner()
    cancels: list[Callable[[], None]] = [
        bluetooth.async_register_scanner(hass, scanner, connection_slots=3),
        scanner.async_setup(),
    ]
    scanner.add_lock(world.lock)
    sim = Sim(hass, world, scanner, base_url, [world.lock])
    yield sim
    for entry in hass.config_entries.async_entries(DOMAIN):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for lock in sim.locks:
        lock.shutdown()
        scanner.remove_lock(lock)
    for cancel in cancels:
        cancel()
    await server.close()
    LOCKS.clear()
    clock.restore()


CLOCK_KEY = "tedee_bluetooth_test_clock"
LOCK = "lock.front_door"
STATUS = "sensor.front_door_connection_status"
BATTERY = "sensor.front_door_battery"
CHARGING = "binary_sensor.front_door_charging"
ACTIVITY = "event.front_door_activity"


def clock_of(hass: HomeAssistant) -> HassClock:
    """The virtual clock of this test's Home Assistant."""
    clock: HassClock = hass.data[CLOCK_KEY]
    return clock


async def settle(hass: HomeAssistant, seconds: float = 0.1) -> None:
    """Let ``seconds`` of virtual time pass, every timer on the way firing in order."""
    await clock_of(hass).advance(seconds)


def watch_states(
    hass: HomeAssistant, entity_id: str, *, changes_only: bool = False
) -> list[str]:
    """Every state an entity takes from now on (in the loop, as it happens).

    ``changes_only`` leaves out a state equal to the one before it (an update of
    attributes only).
    """
    states: list[str] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is None or (changes_only and states and states[-1] == new.state):
            return
        states.append(new.state)

    async_track_state_change_event(hass, [entity_id], _record)
    return states


async def jump(hass: HomeAssistant, seconds: float) -> None:
    """The same as ``settle``: named for the long waits (back-off, keep-alive)."""
    await clock_of(hass).advance(seconds)


async def until_state(
    hass: HomeAssistant, entity_id: str, state: str, limit: float = 10.0
) -> float:
    """Move time until an entity shows ``state`` (at most ``limit`` s); the time taken."""

    def reached() -> bool:
        current = hass.states.get(entity_id)
        return current is not None and current.state == state

    return await clock_of(hass).until(reached, limit)
