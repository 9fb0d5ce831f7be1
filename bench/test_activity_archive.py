"""What keeping the activity log costs: per package read, and on disk at the cap.

A lock's archive filled to its 2,000 records with packages of four keypad
records (a PIN name each), the worst case for size. Printed, never asserted.
"""

from __future__ import annotations

from pathlib import Path
import time

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.tedee_bluetooth.activity_archive import MAX_RECORDS
from custom_components.tedee_bluetooth.tedee.wire.logs import read_log_package
from simulator.activity_log import Entry, encode_package
from simulator.lock_crypto import new_key
from tests.ha_fixtures import Sim

PER_PACKAGE = 4


async def test_archive_cost(hass: HomeAssistant, sim: Sim, tmp_path: Path) -> None:
    """Fill one lock's archive to its cap; time it and weigh the export."""
    hass.config.config_dir = str(tmp_path)
    entry = await sim.setup()
    archive = entry.runtime_data.archive
    key = new_key()
    now_ms = int(dt_util.utcnow().timestamp() * 1000)
    raws = [
        encode_package(
            [
                Entry(0x3D, now_ms + n * PER_PACKAGE + i, 35800, 1002, "Garden gate")
                for i in range(PER_PACKAGE)
            ],
            key,
        )
        for n in range(MAX_RECORDS // PER_PACKAGE)
    ]
    start = time.perf_counter()
    for raw in raws:
        archive.add(read_log_package(raw))
    per_package = (time.perf_counter() - start) / len(raws)
    start = time.perf_counter()
    answer = await archive.async_export()
    export = time.perf_counter() - start
    size = Path(answer["path"]).stat().st_size
    print(
        f"\nactivity archive: {per_package * 1e6:.0f} us per package of "
        f"{PER_PACKAGE} kept (parse, describe, bound); at the cap "
        f"({answer['records']} records) the export is {size / 1024:.0f} KiB, "
        f"written in {export * 1e3:.0f} ms"
    )
