"""What is read from the lock's log is kept: the lock deletes it once read.

Kept in Home Assistant's storage (bytes and decoded records), bounded,
surviving reloads and unloads, exported on request; and reading can be turned
off, leaving the Tedee app its history.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.tedee_bluetooth.activity_archive import MAX_RECORDS
from custom_components.tedee_bluetooth.const import CONF_READ_ACTIVITY_LOG, DOMAIN
from custom_components.tedee_bluetooth.tedee.wire.const import Command
from custom_components.tedee_bluetooth.tedee.wire.logs import read_log_package
from simulator.activity_log import Entry, encode_package
from simulator.lock_crypto import new_key

from .ha_fixtures import LOCK, Sim, settle
from .test_activity_who import watch_events, who

STORE_KEY = f"{DOMAIN}.activity_10000000-000001"
ANNA = 1002


@pytest.fixture(autouse=True)
def config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """Exports go to this test's own configuration folder."""
    hass.config.config_dir = str(tmp_path)


async def _export(hass: HomeAssistant) -> tuple[dict[str, Any], dict[str, Any]]:
    """The action's answer, and the file it wrote."""
    response = await hass.services.async_call(
        DOMAIN,
        "export_activity",
        {"entity_id": LOCK},
        blocking=True,
        return_response=True,
    )
    answer = response[LOCK]
    return answer, json.loads(Path(answer["path"]).read_text())


def _records(export: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for p in export["packages"] for r in p["records"]]


async def test_what_is_read_is_kept_and_exported(hass: HomeAssistant, sim: Sim) -> None:
    sim.world.cloud.add_user("anna", "Anna", ANNA)
    sim.world.cloud.add_activity(sim.lock.config.device_id, "anna", 0x3D)
    await sim.setup()
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 3)
    await hass.services.async_call("lock", "lock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 3)
    sim.lock.keypad_unlock(ANNA, "Garden gate")
    await settle(hass, 12)
    assert sim.lock.logs == []  # the lock deleted what it sent ...
    answer, export = await _export(hass)
    records = _records(export)  # ... and Home Assistant kept it
    assert [r["type"] for r in records] == [
        "unlocked_remote",
        "locked_remote",
        "unlocked_keypad",
    ]
    assert records[2]["user_name"] == "Anna"
    assert records[2]["pin_name"] == "Garden gate"
    assert records[2]["event"] == "unlock_by_pin"
    assert answer == {
        "path": hass.config.path(DOMAIN, "10000000-000001-activity.json"),
        "records": 3,
    }
    assert export["serial"] == "10000000-000001"
    for package in export["packages"]:  # as the lock sent it, re-readable
        raw = bytes.fromhex(package["raw"])
        assert len(read_log_package(raw).records) == len(package["records"])


async def test_a_package_that_does_not_parse_is_kept_as_bytes(
    hass: HomeAssistant, sim: Sim
) -> None:
    await sim.setup()
    sim.lock.record_event(0x22)
    sim.lock.faults.log_garbage = bytes.fromhex("0101010301")  # cut short
    await settle(hass, 6)
    _answer, export = await _export(hass)
    (bad,) = [p for p in export["packages"] if p["error"]]
    assert bad["raw"] == "0101010301"
    assert bad["records"] == []
    assert "runs past the package" in bad["error"]


async def test_the_archive_survives_an_unload_right_after_a_read(
    hass: HomeAssistant, sim: Sim, hass_storage: dict[str, Any]
) -> None:
    entry = await sim.setup()
    sim.lock.press_button()
    await settle(hass, 2.5)  # read, not yet written (it waits 5 s for more)
    assert STORE_KEY not in hass_storage
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[STORE_KEY]["data"]["packages"]
    assert [r["type"] for p in stored for r in p["records"]] == ["unlocked_button"]
    assert await hass.config_entries.async_setup(entry.entry_id)
    sim.lock.press_button()
    await settle(hass, 3)
    _answer, export = await _export(hass)
    assert [r["type"] for r in _records(export)] == ["unlocked_button", "locked_button"]


async def test_the_archive_keeps_the_newest_records(
    hass: HomeAssistant, sim: Sim
) -> None:
    entry = await sim.setup()
    archive = entry.runtime_data.archive
    key = new_key()
    now_ms = int(dt_util.utcnow().timestamp() * 1000)
    for n in range(MAX_RECORDS // 4 + 10):
        entries = [Entry(0x22, now_ms + 4 * n + i, 35800) for i in range(4)]
        archive.add(read_log_package(encode_package(entries, key)))
    assert archive.record_count == MAX_RECORDS
    _answer, export = await _export(hass)
    first = export["packages"][0]["records"][0]["timestamp"]
    assert first == dt_util.utc_from_timestamp((now_ms + 40) / 1000).isoformat()


@pytest.mark.parametrize("in_place", [False, True], ids=["at setup", "changed"])
async def test_with_reading_off_the_log_stays_on_the_lock(
    hass: HomeAssistant, sim: Sim, in_place: bool
) -> None:
    """Off from the start, or switched off in the options (no reload: same link)."""
    off = {CONF_READ_ACTIVITY_LOG: False}
    await (sim.setup_then_change(off) if in_place else sim.setup(off))
    await settle(hass, 0.1)
    events = watch_events(hass)
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 3)
    assert [e["event_type"] for e in events] == ["unlocked_remote"]  # at once
    assert who(events[0]) == (None, None)  # who is only in the log
    assert Command.GET_LOGS_TLV not in [op for op, _ in sim.lock.executed]
    assert len(sim.lock.logs) == 1  # the Tedee app will read it


async def test_reading_switched_on_reads_what_waited_on_the_lock(
    hass: HomeAssistant, sim: Sim
) -> None:
    """Switched on in the options: the records left on the lock are read at once."""
    entry = await sim.setup({CONF_READ_ACTIVITY_LOG: False})
    link = sim.lock.connections[0]
    await hass.services.async_call("lock", "unlock", {"entity_id": LOCK}, blocking=True)
    await settle(hass, 3)
    assert len(sim.lock.logs) == 1
    sim.change_options(entry, **{CONF_READ_ACTIVITY_LOG: True})
    await settle(hass, 2)
    assert sim.lock.logs == []  # read (the lock deletes what is read)
    assert sim.lock.connections == [link]  # no reload
