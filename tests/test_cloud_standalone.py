"""The simulated cloud runs standalone, as scripts/develop starts it."""

from __future__ import annotations

import asyncio
from pathlib import Path
import socket
import sys

import aiohttp
import pytest

from simulator.demo import load

pytestmark = pytest.mark.usefixtures("socket_enabled")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_python_m_simulator_cloud() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator.cloud",
        "--port",
        str(port),
        "--key",
        "k1",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert f":{port}/api/v37" in line.decode()
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/api/v37/my/lock"
            async with session.get(
                url, headers={"Authorization": "PersonalKey k1"}
            ) as resp:
                assert resp.status == 200
                assert (await resp.json())["success"] is True
            async with session.get(
                url, headers={"Authorization": "PersonalKey no"}
            ) as resp:
                assert resp.status == 401
    finally:
        proc.terminate()
        await proc.wait()


async def test_the_demo_cloud_knows_which_lock_has_a_door_sensor(
    tmp_path: Path,
) -> None:
    """As scripts/develop runs it: the first demo lock's record names its door
    sensor, so Home Assistant creates the door entity at pairing."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator.cloud",
        "--port",
        str(port),
        "--key",
        "k1",
        "--locks",
        "2",
        "--state",
        str(tmp_path / "sim-state.json"),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        await asyncio.wait_for(proc.stdout.readline(), 20)
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://127.0.0.1:{port}/api/v37/my/lock",
                headers={"Authorization": "PersonalKey k1"},
            ) as resp,
        ):
            locks = (await resp.json())["result"]
        doors = {lock["name"]: lock["lockProperties"]["doorState"] for lock in locks}
        assert doors == {"Front door": 3, "Back door": 0}  # Closed; NotPaired
        # The simulated lock in Home Assistant's process reads the same file.
        assert [
            lock.has_door_sensor for lock in load(tmp_path / "sim-state.json").locks
        ] == [True, False]
    finally:
        proc.terminate()
        await proc.wait()
