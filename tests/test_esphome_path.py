"""The path users run: Home Assistant's esphome integration and a Bluetooth proxy.

Every test here reaches the lock only through simulated ESPHome proxies on the
native API over TCP: aioesphomeapi, bleak-esphome and habluetooth as shipped.
"""

from __future__ import annotations

from typing import Any

from habluetooth import get_manager
from homeassistant.components import bluetooth
from homeassistant.config_entries import SOURCE_BLUETOOTH, ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir

from custom_components.tedee_bluetooth.const import (
    CONF_PERSONAL_KEY,
    DOMAIN,
    EVENT_ACTIVITY,
    ISSUE_NO_CONNECTION_SLOT,
)
from custom_components.tedee_bluetooth.tedee import SessionConfig
from simulator.esphome_proxy import lock_address, mac_to_int
from simulator.wire import Op

from .esphome_fixtures import Proxied
from .ha_fixtures import LOCK, STATUS, clock_of, jump, settle, until_state
from .test_config_flow import configure
from .world import KEY


async def pair_through_the_proxy(hass: HomeAssistant) -> ConfigEntry[Any]:
    """The lock is discovered from a proxy's advertisements and paired through it."""

    def discovered() -> bool:
        return bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN))

    await clock_of(hass).until(discovered, 10)
    flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
    assert flow["context"]["source"] == SOURCE_BLUETOOTH
    result = await configure(hass, flow["flow_id"], {CONF_PERSONAL_KEY: KEY})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await until_state(hass, STATUS, "connected", 30)
    entry: ConfigEntry[Any] = result["result"]
    return entry


def activity(hass: HomeAssistant) -> list[str]:
    """The types of the activity bus events from now on."""
    fired: list[str] = []

    @callback
    def _record(event: Event) -> None:
        fired.append(event.data["type"])

    hass.bus.async_listen(EVENT_ACTIVITY, _record)
    return fired


async def test_discovered_paired_and_operated_through_a_proxy(
    hass: HomeAssistant, proxied: Proxied
) -> None:
    proxied.lock.config.pull_spring_enabled = True
    proxy = await proxied.add_proxy("bt-proxy-1")
    await pair_through_the_proxy(hass)
    address = mac_to_int(lock_address(proxied.lock))
    # The session's link is the proxy's: one slot taken, at the proxy's MTU.
    assert list(proxy.links) == [address]
    assert proxy.links[address].conn.negotiated_mtu == 247
    assert proxy.free == 2
    assert hass.states.get(LOCK).state == "locked"
    events = activity(hass)
    for service, state in (("unlock", "unlocked"), ("lock", "locked")):
        await hass.services.async_call(
            "lock", service, {"entity_id": LOCK}, blocking=True
        )
        await until_state(hass, LOCK, state)
    await hass.services.async_call("lock", "open", {"entity_id": LOCK}, blocking=True)
    await until_state(hass, LOCK, "open")
    await until_state(hass, LOCK, "unlocked")
    # What happens at the door comes back through the proxy's notifications.
    proxied.lock.press_button()
    await until_state(hass, LOCK, "locked")
    await settle(hass, 12)
    assert events == [
        "unlocked_remote",
        "locked_remote",
        "unlocked_remote",
        "opened_remote",
        "locked_button",
    ]
    # Each command was sent once: through the proxy, nothing ran twice.
    sent = [op for op, _ in proxied.lock.executed if op in (Op.LOCK, Op.UNLOCK)]
    assert sent == [Op.UNLOCK, Op.LOCK, Op.UNLOCK]


async def test_a_dropped_link_comes_back_through_the_proxy(
    hass: HomeAssistant, proxied: Proxied
) -> None:
    proxy = await proxied.add_proxy("bt-proxy-1")
    await pair_through_the_proxy(hass)
    connects = proxy.stats.connects
    proxied.lock.connections[0].drop("supervision timeout")
    await until_state(hass, STATUS, "connected", 60)
    assert proxy.stats.connects == connects + 1
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await until_state(hass, LOCK, "unlocked")


async def test_the_proxy_restarting(hass: HomeAssistant, proxied: Proxied) -> None:
    """TCP closed, the proxy's links gone; it comes back and so does the lock."""
    proxy = await proxied.add_proxy("bt-proxy-1")
    await pair_through_the_proxy(hass)
    await proxy.stop()
    await until_state(hass, STATUS, "disconnected", 60)
    assert proxied.lock.connections == []
    await proxy.start()
    await until_state(hass, STATUS, "connected", 180)
    assert proxy.stats.api_sessions == 2
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await until_state(hass, LOCK, "unlocked")


async def test_no_free_slot_on_the_proxy(
    hass: HomeAssistant,
    proxied: Proxied,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A proxy whose three slots are taken: named, repaired, and back when one frees.

    Named within seconds: Home Assistant's "no backend with an available
    connection slot" ends the attempt at once instead of bleak-retry-connector's
    nine tries 4 s apart, which outlasted the 20 s connect timeout and read as
    "disconnected".
    """
    proxy = await proxied.add_proxy("bt-proxy-1")
    await pair_through_the_proxy(hass)
    issue_id = f"{ISSUE_NO_CONNECTION_SLOT}_{proxied.lock.config.serial}"
    # Cameras and plugs take every slot; then our link drops.
    proxy.set_slots(1)
    proxied.lock.connections[0].drop("supervision timeout")
    proxy.set_slots(0)
    await until_state(hass, STATUS, "no_connection_slot", 60)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    attempts = proxy.stats.connects
    await jump(hass, SessionConfig().no_slot_backoff[0] - 5)
    assert proxy.stats.connects == attempts  # the longer back-off, no storm
    proxy.set_slots(3)
    await jump(hass, SessionConfig().no_slot_backoff[-1])
    await until_state(hass, STATUS, "connected", 60)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unloading_frees_the_proxy_slot(
    hass: HomeAssistant, proxied: Proxied
) -> None:
    proxy = await proxied.add_proxy("bt-proxy-1")
    entry = await pair_through_the_proxy(hass)
    assert proxy.free == 2
    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass, 1)
    assert proxy.free == 3
    assert proxied.lock.connections == []


async def test_the_scanner_shows_its_slots(
    hass: HomeAssistant, proxied: Proxied
) -> None:
    """Settings -> Bluetooth lists the proxy as a scanner with its connection slots."""
    proxy = await proxied.add_proxy("bt-proxy-1", slots=3)
    await settle(hass, 3)
    scanner = bluetooth.async_scanner_by_source(hass, proxy.config.mac)
    assert scanner is not None
    allocations = get_manager().async_current_allocations(proxy.config.mac)
    assert allocations is not None
    assert [(a.slots, a.free) for a in allocations] == [(3, 3)]


async def test_a_lock_discovered_before_the_account_is_named_once_it_is_known(
    hass: HomeAssistant, proxied: Proxied
) -> None:
    """Two locks heard; pairing one names the other as the Tedee app does."""
    back = proxied.add_lock(serial="10000001-000002", device_id=35801, name="Back door")
    await proxied.add_proxy("bt-proxy-1")

    def titles() -> dict[str, tuple[str, str]]:
        return {
            f["context"]["unique_id"]: (
                f["step_id"],
                f["context"]["title_placeholders"]["name"],
            )
            for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        }

    await clock_of(hass).until(lambda: len(titles()) == 2, 10)
    assert titles()[back.config.serial] == ("bluetooth_confirm", "Lock-8BD9")
    front = next(
        f
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if f["context"]["unique_id"] == proxied.lock.config.serial
    )
    result = await configure(hass, front["flow_id"], {CONF_PERSONAL_KEY: KEY})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The next advertisement opens Back door's dialog again, by its Tedee name.
    await clock_of(hass).until(lambda: back.config.serial in titles(), 10)
    assert titles() == {back.config.serial: ("bluetooth_confirm_account", "Back door")}
