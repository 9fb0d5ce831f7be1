"""The demo's shared state: the simulated CA and lock identities.

``scripts/develop`` runs the cloud and Home Assistant as two processes; both read
this file (the cloud creates it) so certificates and signed times made by one are
trusted by the locks living in the other. It lives in the git-ignored dev folder.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from .ca import CertificateAuthority
from .lock_crypto import key_from_pem, key_to_pem, new_key

NAMES = [
    "Front door",
    "Back door",
    "Garage",
    "Cellar",
    "Office",
    "Shed",
    "Gate",
    "Attic",
]


# The household member who uses the demo locks' keypads.
KEYPAD_USER_ID = 1002
KEYPAD_USER_NAME = "Anna"
KEYPAD_PIN_NAME = "Garden gate"  # the name Anna gave her PIN in the Tedee app


@dataclass
class LockSpec:
    """Who a demo lock is."""

    serial: str
    device_id: int
    name: str
    type: int
    identity_key: ec.EllipticCurvePrivateKey
    # The first lock has a door sensor: the lock (in Home Assistant's process) and
    # its cloud record (in the cloud's) both say so.
    has_door_sensor: bool = False


@dataclass
class DemoState:
    """The CA and the locks."""

    ca: CertificateAuthority
    locks: list[LockSpec]


def _spec(index: int, key: ec.EllipticCurvePrivateKey) -> LockSpec:
    name = NAMES[index] if index < len(NAMES) else f"Door {index + 1}"
    return LockSpec(
        serial=f"1000{index:04d}-{index + 1:06d}",
        device_id=35800 + index,
        name=name,
        type=2 if index % 2 else 4,
        identity_key=key,
        has_door_sensor=index == 0,
    )


def load(path: str | Path) -> DemoState:
    """Read the state file."""
    raw = json.loads(Path(path).read_text())
    ca = CertificateAuthority(key_from_pem(raw["ca"]))
    locks = [_spec(i, key_from_pem(pem)) for i, pem in enumerate(raw["locks"])]
    return DemoState(ca, locks)


def load_or_create(path: str | Path, count: int) -> DemoState:
    """Load the state, growing it to ``count`` locks; create it if missing."""
    path = Path(path)
    state = load(path) if path.exists() else DemoState(CertificateAuthority(), [])
    while len(state.locks) < count:
        state.locks.append(_spec(len(state.locks), new_key()))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "ca": key_to_pem(state.ca.key),
        "locks": [key_to_pem(s.identity_key) for s in state.locks],
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    return state


def hallway_path(state_file: str | Path) -> Path:
    """Where the locks' battery, charger and door are kept between runs."""
    return Path(state_file).with_name("sim-hallway.json")


def save_hallway(path: str | Path, hallway: dict[str, dict[str, object]]) -> None:
    """Write what the hallway looks like now (per serial)."""
    Path(path).write_text(json.dumps(hallway, indent=1, sort_keys=True))


def load_hallway(path: str | Path) -> dict[str, dict[str, object]]:
    """What the hallway looked like when the demo last stopped; empty the first time."""
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {}
    return {str(k): dict(v) for k, v in raw.items()}
