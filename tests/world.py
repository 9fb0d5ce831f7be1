"""The simulated world of a test: a cloud, a lock on the account, credentials."""

from __future__ import annotations

from dataclasses import dataclass

from custom_components.tedee_bluetooth.tedee import Credentials, TedeeLockClient
from simulator.cloud import CloudState
from simulator.lock import LockConfig, SimulatedLock

ACCOUNT = "acct"
KEY = "test-personal-key"


@dataclass
class World:
    """A cloud, one lock on the account and a certified mobile key."""

    cloud: CloudState
    lock: SimulatedLock
    creds: Credentials
    mobile_id: str

    async def signed_time(self) -> tuple[bytes, bytes]:
        """Signed-time provider straight from the simulated cloud's CA."""
        return self.cloud.ca.sign_time(int(self.cloud.clock() * 1000))

    async def client(
        self, *, att_mtu: int = 247, latency: float | None = None, **kwargs: object
    ) -> TedeeLockClient:
        """A connected, handshaken client."""
        conn = self.lock.connect(att_mtu=att_mtu, latency=latency)
        await conn.connect()
        client = TedeeLockClient(conn, self.creds, **kwargs)  # type: ignore[arg-type]
        conn.disconnected_callback = lambda _c: client.handle_disconnect()
        await client.connect()
        return client


def fast_config(**overrides: object) -> LockConfig:
    """A lock that moves in milliseconds so tests stay quick."""
    values: dict[str, object] = {
        "move_time": 0.03,
        "pull_time": 0.02,
        "pull_hold": 0.02,
        "has_logs_interval": 0.5,
    }
    values.update(overrides)
    return LockConfig(**values)  # type: ignore[arg-type]


def make_world(config: LockConfig | None = None) -> World:
    """Build a cloud with one account and key, a lock on it and credentials."""
    cloud = CloudState()
    cloud.add_key(KEY, ACCOUNT)
    lock = SimulatedLock(cloud.ca.public_key, config or fast_config())
    cloud.add_simulated_lock(ACCOUNT, lock)
    pem, mobile_id, cert, device_key = cloud.issue_credentials(
        ACCOUNT, lock.config.device_id
    )
    return World(cloud, lock, Credentials(pem, cert, device_key), mobile_id)
