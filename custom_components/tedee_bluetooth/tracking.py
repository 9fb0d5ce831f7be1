"""Where Home Assistant's Bluetooth stack hears the lock, and when it stops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bleak.backends.device import BLEDevice
from homeassistant.components import bluetooth
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .pairing import async_find_lock_service_info, freshest_device
from .tedee import serial_to_service_uuid

# Home Assistant passes on only advertisements that differ from the last one, so a
# lock back after a short dropout says nothing new; its history still shows it.
HISTORY_CHECK = timedelta(seconds=1)


class LockTracker:
    """The lock's address, signal and freshest path (adapter or proxy)."""

    def __init__(
        self,
        hass: HomeAssistant,
        serial: str,
        on_heard: Callable[[], None],
        on_lost: Callable[[], None],
        waiting: Callable[[], bool],
    ) -> None:
        """Looks for the lock among what Bluetooth has heard already.

        ``waiting()`` is True while the session is down: then an advertisement
        equal to the last one counts too (the lock is there to connect to).
        """
        self._hass = hass
        self._serial = serial
        self._on_heard = on_heard
        self._on_lost = on_lost
        self._waiting = waiting
        self._unsubs: list[CALLBACK_TYPE] = []
        self._seen: float | None = None  # monotonic time of the last advertisement
        self.address: str | None = None
        self.rssi: int | None = None
        self._find()

    def _find(self) -> None:
        if info := async_find_lock_service_info(self._hass, self._serial):
            self.address, self.rssi, self._seen = info.address, info.rssi, info.time

    def device(self) -> BLEDevice | None:
        """The freshest path to the lock; None while nothing hears it."""
        if self.address is None:
            self._find()
        return None if self.address is None else self.freshest(self.address)

    def freshest(self, address: str) -> BLEDevice | None:
        """The best connectable path to ``address`` right now."""
        return freshest_device(self._hass, address)

    def reachable(self, address: str) -> bool:
        """A connectable adapter or proxy that is up hears ``address`` now."""
        return bool(
            bluetooth.async_scanner_devices_by_address(
                self._hass, address, connectable=True
            )
        )

    def silent_for(self) -> float | None:
        """Seconds since Bluetooth last heard the lock; None if it never did."""
        info = self._last_heard()
        return None if info is None else bluetooth.MONOTONIC_TIME() - info.time

    def _last_heard(self) -> bluetooth.BluetoothServiceInfoBleak | None:
        """The latest advertisement, passed on to callbacks or not."""
        if self.address is None:
            return None
        return bluetooth.async_last_service_info(
            self._hass, self.address, connectable=True
        )

    @callback
    def start(self) -> None:
        """Follow advertisements and the lock going out of range."""
        self._unsubs.append(
            bluetooth.async_register_callback(
                self._hass,
                self._async_on_advertisement,
                bluetooth.BluetoothCallbackMatcher(
                    service_uuid=serial_to_service_uuid(self._serial), connectable=True
                ),
                bluetooth.BluetoothScanningMode.ACTIVE,
            )
        )
        if self.address is not None:
            self._track_unavailable()
        self._unsubs.append(
            async_track_time_interval(self._hass, self._check_history, HISTORY_CHECK)
        )

    @callback
    def stop(self) -> None:
        """No more callbacks."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    @callback
    def _track_unavailable(self) -> None:
        assert self.address is not None
        self._unsubs.append(
            bluetooth.async_track_unavailable(
                self._hass, self._async_on_unavailable, self.address, connectable=True
            )
        )

    @callback
    def _async_on_advertisement(
        self,
        info: bluetooth.BluetoothServiceInfoBleak,
        _change: bluetooth.BluetoothChange,
    ) -> None:
        first = self.address is None
        self.address, self.rssi = info.address, info.rssi
        self._seen = info.time
        if first:
            self._track_unavailable()
        self._on_heard()

    @callback
    def _check_history(self, _now: datetime) -> None:
        """While the session is down, an unchanged advertisement counts as heard."""
        if not self._waiting():
            return
        info = self._last_heard()
        if info is None or (self._seen is not None and info.time <= self._seen):
            return
        self._seen = info.time
        self.rssi = info.rssi
        self._on_heard()

    @callback
    def _async_on_unavailable(self, _info: bluetooth.BluetoothServiceInfoBleak) -> None:
        self.rssi = None
        self._on_lost()
