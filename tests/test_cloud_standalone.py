"""The simulated cloud runs standalone, as scripts/develop starts it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def cloud(*args: str) -> AsyncIterator[tuple[int, str]]:
    """``python -m simulator.cloud`` with key k1; its port and first line."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator.cloud",
        "--port",
        str(port),
        "--key",
        "k1",
        *args,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        yield port, line.decode()
    finally:
        proc.terminate()
        await proc.wait()


async def test_python_m_simulator_cloud() -> None:
    async with cloud() as (port, line):
        assert f":{port}/api/v37" in line
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


async def test_the_demo_cloud_knows_which_lock_has_a_door_sensor(
    tmp_path: Path,
) -> None:
    """As scripts/develop runs it: the first demo lock's record names its door
    sensor, so Home Assistant creates the door entity at pairing."""
    state = tmp_path / "sim-state.json"
    async with (
        cloud("--locks", "2", "--state", str(state)) as (port, _),
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
    assert [lock.has_door_sensor for lock in load(state).locks] == [True, False]
