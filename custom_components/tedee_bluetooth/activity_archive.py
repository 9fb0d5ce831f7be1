"""Everything read from the lock's activity log, kept: the lock deletes what it sends.

Reading the log removes those records from the lock for good (the vendor's
activity-log how-to), and the cloud has no way to take them. So each package
read is kept in Home Assistant's storage as it came (its bytes, even when they
do not parse) with its decoded records; bounded to the newest ``MAX_RECORDS``
records per lock; written a few seconds after each read and when the entry
unloads; exported on request as one JSON file.
"""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .models import event_from_log
from .tedee.wire.logs import FetchedPackage, LogRecord

STORAGE_VERSION = 1
MAX_RECORDS = 2000
SAVE_DELAY = 5.0  # seconds: packages come in bursts of a few


class ActivityArchive:
    """One lock's archive of activity-log packages."""

    def __init__(
        self, hass: HomeAssistant, serial: str, names: Callable[[int], str | None]
    ) -> None:
        """Nothing is loaded before ``async_load``."""
        self._hass = hass
        self._serial = serial
        self._names = names
        # Private: it names people and their PINs.
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.activity_{serial}", private=True
        )
        self._packages: list[dict[str, Any]] = []

    async def async_load(self) -> None:
        """What earlier runs kept."""
        data = await self._store.async_load()
        if data is not None:
            self._packages = list(data.get("packages", []))

    @property
    def record_count(self) -> int:
        """Records kept (a package that did not parse counts as one)."""
        return sum(max(1, len(p["records"])) for p in self._packages)

    @callback
    def add(self, package: FetchedPackage) -> None:
        """Keep a package just read; the oldest go beyond ``MAX_RECORDS``."""
        self._packages.append(
            {
                "read": dt_util.utcnow().isoformat(),
                "raw": package.raw.hex(),
                "error": package.error,
                "records": [self._record(r) for r in package.records],
            }
        )
        while self.record_count > MAX_RECORDS and len(self._packages) > 1:
            self._packages.pop(0)
        self._store.async_delay_save(self._data, SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write now (the entry unloads: a reload must find every package)."""
        await self._store.async_save(self._data())

    async def async_export(self) -> dict[str, Any]:
        """Write the archive to ``<config>/tedee_bluetooth/<serial>-activity.json``."""
        path = Path(self._hass.config.path(DOMAIN, f"{self._serial}-activity.json"))
        content = {
            "serial": self._serial,
            "exported": dt_util.utcnow().isoformat(),
            **self._data(),
        }
        text = json.dumps(content, indent=1, ensure_ascii=False)
        await self._hass.async_add_executor_job(_write, path, text)
        return {"path": str(path), "records": self.record_count}

    def _data(self) -> dict[str, Any]:
        return {"packages": self._packages}

    def _record(self, record: LogRecord) -> dict[str, Any]:
        user_id = record.user_id or None
        return {
            "timestamp": record.timestamp.isoformat(),
            "event_id": record.event_id,
            "event": record.event_name,
            "type": event_from_log(record).event_type,
            "user_id": user_id,
            "user_name": None if user_id is None else self._names(user_id),
            "pin_name": record.pin_alias,
            "device_id": record.device_id,
        }


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
