"""The demo's hallway: every action described, and the cloud's key switch."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess

from aiohttp.test_utils import TestClient, TestServer
import pytest
import yaml

from simulator.ca import CertificateAuthority
from simulator.cloud import CONTROL_PREFIX, CloudState, make_app
from simulator.demo import hallway_path, load_hallway, save_hallway
from simulator.ha_dev.tedee_sim import hallway_of, restore_hallway
from simulator.lock import SimulatedLock
from simulator.wire import Door

from .world import fast_config

HELPER = Path(__file__).parent.parent / "simulator" / "ha_dev" / "tedee_sim"

pytestmark = pytest.mark.usefixtures("socket_enabled")


def test_every_hallway_action_and_field_is_described() -> None:
    services = yaml.safe_load((HELPER / "services.yaml").read_text())
    texts = json.loads((HELPER / "translations" / "en.json").read_text())["services"]
    registered = set((HELPER / "__init__.py").read_text().split('"')[1::2])
    assert set(texts) == set(services)
    for name, spec in services.items():
        assert name in registered  # an action the helper really offers
        assert texts[name]["name"]
        assert texts[name]["description"]
        for field in spec.get("fields", {}):
            assert texts[name]["fields"][field]["description"]


async def test_a_rejected_key_gets_401_until_accepted_again() -> None:
    state = CloudState()
    state.add_key("k1")
    async with TestClient(TestServer(make_app(state), host="127.0.0.1")) as client:
        headers = {"Authorization": "PersonalKey k1"}
        assert (await client.get("/api/v37/my/lock", headers=headers)).status == 200
        answer = await client.post(f"{CONTROL_PREFIX}/key/k1/reject")
        assert await answer.json() == {"changed": True}
        assert (await client.get("/api/v37/my/lock", headers=headers)).status == 401
        again = await client.post(f"{CONTROL_PREFIX}/key/k1/reject")
        assert await again.json() == {"changed": False}  # nothing left to reject
        answer = await client.post(f"{CONTROL_PREFIX}/key/k1/accept")
        assert await answer.json() == {"changed": True}
        assert (await client.get("/api/v37/my/lock", headers=headers)).status == 200
        unknown = await client.post(f"{CONTROL_PREFIX}/key/k1/forget")
        assert unknown.status == 404  # only reject and accept exist


async def test_the_demo_offers_firmware_records_its_install_and_syncs() -> None:
    state = CloudState()
    state.add_key("k1")
    record = state.add_lock(
        "demo", device_id=7, serial="1-1", name="D", type=4, device_public_point=b""
    )
    async with TestClient(TestServer(make_app(state), host="127.0.0.1")) as client:
        await client.post(f"{CONTROL_PREFIX}/lock/7/offer_update")
        assert record.update_available
        await client.post(
            f"{CONTROL_PREFIX}/lock/7/installed", json={"version": "2.5.1"}
        )
        assert (record.firmware, record.update_available) == ("2.5.1", False)
        record.change_settings({"autoPullSpringEnabled": True})
        answer = await client.post(f"{CONTROL_PREFIX}/lock/7/sync")
        assert (await answer.json())["settings"]["autoPullSpringEnabled"] is True
        assert record.device_revision == record.target_device_revision == 2
        missing = await client.post(f"{CONTROL_PREFIX}/lock/8/sync")
        assert missing.status == 404


def test_battery_charger_and_door_survive_a_restart(tmp_path: Path) -> None:
    before = SimulatedLock(
        CertificateAuthority().public_key, fast_config(has_door_sensor=True)
    )
    before.set_battery(23)
    before.set_charging(True)
    before.set_door(door_open=True)
    path = hallway_path(tmp_path / "sim-state.json")
    save_hallway(path, {"s1": hallway_of(before)})
    after = SimulatedLock(
        CertificateAuthority().public_key, fast_config(has_door_sensor=True)
    )
    restore_hallway(after, load_hallway(path)["s1"])
    assert (after.battery, after.charging, after.door) == (23, True, Door.OPEN)
    assert load_hallway(tmp_path / "missing.json") == {}  # the first run
    before.shutdown()
    after.shutdown()


def test_develop_explains_its_options() -> None:
    """A newcomer's first question is answered, and nothing is started for it."""
    script = Path(__file__).parent.parent / "scripts" / "develop"
    done = subprocess.run(
        ["bash", str(script), "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    for option in ("--locks N", "--newest", "--port N", "--cloud-port N", "--config"):
        assert option in done.stdout
    wrong = subprocess.run(
        ["bash", str(script), "--bogus"], capture_output=True, text=True, check=False
    )
    assert wrong.returncode == 2
    assert "scripts/develop --help" in wrong.stderr
