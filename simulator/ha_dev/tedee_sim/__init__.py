"""Development-only helper: simulated Tedee locks in range of Home Assistant.

Simulated ESPHome Bluetooth proxies (or, with ``proxies: 0``, a remote scanner of
our own) advertise the demo locks with their lock-service and serial-number
UUIDs, and their connections lead into the lock simulator (see ``radio.py``). Services act on the lock in the hallway: press its button, type a PIN on
its keypad, jam it, open the door, drain the battery. Never shipped to users.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from simulator.cloud import CONTROL_PREFIX
from simulator.demo import (
    KEYPAD_PIN_NAME,
    KEYPAD_USER_ID,
    hallway_path,
    load,
    load_hallway,
    save_hallway,
)
from simulator.lock import LockConfig, SimulatedLock
from simulator.wire import Door

from .cloud_url import check_loopback, use_simulated_cloud
from .radio import DemoRadio

_LOGGER = logging.getLogger(__name__)
DOMAIN = "tedee_sim"
CONF_STATE_FILE = "state_file"
CONF_CLOUD_URL = "cloud_url"
CONF_PROXIES = "proxies"  # ESPHome proxies added to Home Assistant; 0: the bridge
CONF_SPARE_PROXIES = "spare_proxies"  # listening, for adding one by hand
CONF_PROXY_PORT = "proxy_port"  # the first proxy's API port; the next ones follow

CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {
                vol.Required(CONF_STATE_FILE): cv.string,
                vol.Optional(CONF_CLOUD_URL): vol.All(cv.string, check_loopback),
                vol.Optional(CONF_PROXIES, default=0): vol.All(
                    vol.Coerce(int), vol.Range(min=0, max=9)
                ),
                vol.Optional(CONF_SPARE_PROXIES, default=0): vol.All(
                    vol.Coerce(int), vol.Range(min=0, max=3)
                ),
                vol.Optional(CONF_PROXY_PORT, default=16053): cv.port,
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)
SERIAL = vol.Schema({vol.Optional("serial"): cv.string}, extra=vol.ALLOW_EXTRA)
PROXY = vol.Schema({vol.Required("proxy"): vol.Coerce(int)})
CONF_KEY = "key"
DEMO_KEY = "demo-personal-access-key"
KEY = vol.Schema({vol.Optional(CONF_KEY, default=DEMO_KEY): cv.string})


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Point the integration at the simulated cloud; put the demo locks in range."""
    if CONF_CLOUD_URL in config[DOMAIN]:
        _LOGGER.warning(
            "Tedee cloud for this demo: %s",
            use_simulated_cloud(config[DOMAIN][CONF_CLOUD_URL]),
        )
        # An entry set up before this helper built its client for the real API.
        for entry in hass.config_entries.async_entries("tedee_bluetooth"):
            if entry.state is not ConfigEntryState.NOT_LOADED:
                hass.config_entries.async_schedule_reload(entry.entry_id)
    demo = await hass.async_add_executor_job(load, config[DOMAIN][CONF_STATE_FILE])
    locks: dict[str, SimulatedLock] = {}
    for spec in demo.locks:
        locks[spec.serial] = SimulatedLock(
            demo.ca.public_key,
            LockConfig(
                serial=spec.serial,
                device_id=spec.device_id,
                name=spec.name,
                type=spec.type,
                has_door_sensor=spec.has_door_sensor,
            ),
            identity_key=spec.identity_key,
        )
    hallway_file = hallway_path(config[DOMAIN][CONF_STATE_FILE])
    hallway = await hass.async_add_executor_job(load_hallway, hallway_file)
    for serial, lock in locks.items():
        restore_hallway(lock, hallway.get(serial, {}))

    radio = DemoRadio(
        hass,
        list(locks.values()),
        proxies=config[DOMAIN][CONF_PROXIES],
        spare=config[DOMAIN][CONF_SPARE_PROXIES],
        first_port=config[DOMAIN][CONF_PROXY_PORT],
    )
    _LOGGER.warning(
        "Simulated Tedee locks in Bluetooth range: %s",
        ", ".join(f"{lock.config.name} ({serial})" for serial, lock in locks.items()),
    )

    async def _stop(_event: Any) -> None:
        await radio.async_stop()
        now = {serial: hallway_of(lock) for serial, lock in locks.items()}
        for lock in locks.values():
            lock.shutdown()
        await hass.async_add_executor_job(save_hallway, hallway_file, now)

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop)

    def _lock(call: ServiceCall) -> SimulatedLock:
        serial = call.data.get("serial")
        if serial is None:
            return next(iter(locks.values()))
        if serial not in locks:
            raise ServiceValidationError(f"no simulated lock {serial}")
        return locks[serial]

    actions = {
        "press_button": lambda lock, call: lock.press_button(),
        "keypad_unlock": lambda lock, call: lock.keypad_unlock(
            KEYPAD_USER_ID, KEYPAD_PIN_NAME
        ),
        "jam_next": lambda lock, call: setattr(lock, "jam_next", True),
        "open_door": lambda lock, call: lock.set_door(door_open=True),
        "close_door": lambda lock, call: lock.set_door(door_open=False),
        "set_battery": lambda lock, call: lock.set_battery(int(call.data["level"])),
        "set_charging": lambda lock, call: lock.set_charging(
            bool(call.data["charging"])
        ),
        "lose_time": lambda lock, call: lock.lose_trusted_time(),
        "lose_calibration": lambda lock, call: lock.lose_calibration(),
        "turn_knob": lambda lock, call: lock.calibration.turn_knob(
            float(call.data["degrees"])
        ),
        "calibrate_in_app": lambda lock, call: lock.calibrated_in_app(),
        "out_of_range": lambda lock, call: lock.go_out_of_range(),
        "into_range": lambda lock, call: radio.into_range(lock),
        "leave_proxy": lambda lock, call: radio.leave(lock, int(call.data["proxy"])),
        "reach_proxy": lambda lock, call: radio.reach(
            lock, int(call.data["proxy"]), int(call.data.get("rssi", -60))
        ),
    }
    for name, action in actions.items():

        @callback
        def _handle(call: ServiceCall, action: Any = action) -> None:
            lock = _lock(call)
            try:
                action(lock, call)
            except RuntimeError as err:  # e.g. open_door on a lock without a sensor
                raise ServiceValidationError(f"{lock.config.name}: {err}") from err

        hass.services.async_register(DOMAIN, name, _handle, schema=SERIAL)

    async def _power(call: ServiceCall) -> None:
        await radio.async_power(call.data["proxy"], call.service == "start_proxy")

    for name in ("stop_proxy", "start_proxy"):
        hass.services.async_register(DOMAIN, name, _power, schema=PROXY)
    if CONF_CLOUD_URL in config[DOMAIN]:
        _register_cloud_actions(hass, config[DOMAIN][CONF_CLOUD_URL])
        _register_lock_record_actions(hass, config[DOMAIN][CONF_CLOUD_URL], _lock)
    # After the services: the esphome entries it adds take a moment to connect.
    await radio.async_start()
    return True


def _register_cloud_actions(hass: HomeAssistant, cloud_url: str) -> None:
    """The user deletes the key in the Tedee portal, or it works again."""
    control = cloud_url.split("/api/", 1)[0] + CONTROL_PREFIX

    async def _key(call: ServiceCall) -> None:
        action = "reject" if call.service == "reject_key" else "accept"
        url = f"{control}/key/{call.data[CONF_KEY]}/{action}"
        async with async_get_clientsession(hass).post(url) as response:
            changed = (await response.json())["changed"]
        if not changed:
            raise ServiceValidationError(
                f"the simulated cloud cannot {action} that key"
            )

    for name in ("reject_key", "accept_key"):
        hass.services.async_register(DOMAIN, name, _key, schema=KEY)


NEW_FIRMWARE = (2, 5, 40001)


def _register_lock_record_actions(
    hass: HomeAssistant, cloud_url: str, lock_of: Callable[[ServiceCall], SimulatedLock]
) -> None:
    """Tedee offers firmware, the app installs it; the app syncs the settings."""
    control = cloud_url.split("/api/", 1)[0] + CONTROL_PREFIX

    async def _post(lock: SimulatedLock, action: str, body: Any = None) -> Any:
        url = f"{control}/lock/{lock.config.device_id}/{action}"
        async with async_get_clientsession(hass).post(url, json=body) as response:
            return await response.json()

    async def _offer(call: ServiceCall) -> None:
        await _post(lock_of(call), "offer_update")

    async def _install(call: ServiceCall) -> None:
        lock = lock_of(call)
        lock.install_firmware(NEW_FIRMWARE, duration=20.0)
        await _post(lock, "installed", {"version": ".".join(map(str, NEW_FIRMWARE))})

    async def _sync(call: ServiceCall) -> None:
        lock = lock_of(call)
        settings = (await _post(lock, "sync"))["settings"]
        lock.config.auto_pull = bool(settings["autoPullSpringEnabled"])
        lock.config.pull_spring_enabled = bool(settings["pullSpringEnabled"])

    for name, handler in (
        ("offer_firmware", _offer),
        ("install_firmware", _install),
        ("sync_settings", _sync),
    ):
        hass.services.async_register(DOMAIN, name, handler, schema=SERIAL)


def hallway_of(lock: SimulatedLock) -> dict[str, object]:
    """What survives a restart: battery, charger and door."""
    return {"battery": lock.battery, "charging": lock.charging, "door": int(lock.door)}


def restore_hallway(lock: SimulatedLock, saved: dict[str, object]) -> None:
    """Put a lock back as it was (before anyone connects: nothing to notify)."""
    battery, charging, door = (saved.get(k) for k in ("battery", "charging", "door"))
    if isinstance(battery, int):
        lock.battery = battery
    if isinstance(charging, bool):
        lock.charging = charging
    if isinstance(door, int) and lock.config.has_door_sensor:
        lock.door = Door(door)
